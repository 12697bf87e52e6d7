import { parseArgs, type ParseArgsConfig } from 'node:util'
import { createDb, isUniqueViolation, migrateDatabase, queries, type Db } from '@showfloor/db'
import { seedDemo } from './cli/seed.js'

// The operator's command line (contract section 2): the result alone on stdout, JSON when
// structured; errors on stderr with exit code 1, or 2 when the command line itself is wrong.

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/showfloor'
const DEFAULT_TEAM = 'Administrators'
// The organizer slug is the first path segment of every admin URL: the same rule as event slugs.
const ORGANIZER_SLUG = /^[a-z0-9.-]{1,50}$/

const USAGE = `Usage: cli <command> [options]

Commands:
  migrate                                  create the database when missing, apply pending migrations
  create-organizer <slug> <name>           create an organizer; prints it as JSON
  create-token --organizer <slug> [--team <name>] [--all-events | --events a,b] [--permissions p1,p2]
                                           create (or reuse by name) a team and an API token; prints the token
  seed-demo                                create demo data; prints slugs, a token and access and scan codes

Configuration: DATABASE_URL (default ${DEFAULT_DATABASE_URL})`

/** The command line is wrong: exit code 2, with the usage. */
class UsageError extends Error {}
/** The command cannot do what was asked: exit code 1. */
class CommandError extends Error {}

function databaseUrl (): string {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
  if (!/^postgres(ql)?:\/\/./.test(url)) throw new CommandError('DATABASE_URL must be a postgres:// URL')
  return url
}

/** parseArgs (strict), its complaints as usage errors. */
function parse<T extends ParseArgsConfig> (config: T) {
  try {
    return parseArgs<T>(config)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function list (value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '')
}

async function withDb<T> (run: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(databaseUrl(), { max: 2, applicationName: 'showfloor-cli' })
  try {
    return await run(db)
  } finally {
    await db.destroy()
  }
}

async function migrate (args: string[]): Promise<string> {
  parse({ args, options: {}, allowPositionals: false, strict: true })
  const url = databaseUrl()
  const result = await migrateDatabase(url)
  return JSON.stringify({ database: decodeURIComponent(new URL(url).pathname.slice(1)), ...result })
}

async function createOrganizer (args: string[]): Promise<string> {
  const { positionals } = parse({ args, options: {}, allowPositionals: true, strict: true })
  if (positionals.length !== 2) throw new UsageError('create-organizer needs <slug> and <name>')
  const [slug, rawName] = positionals
  const name = rawName.trim()
  if (!ORGANIZER_SLUG.test(slug)) throw new CommandError(`invalid organizer slug "${slug}": use 1-50 characters of a-z, 0-9, "." and "-"`)
  if (name === '' || name.length > 200) throw new CommandError('the organizer name must have 1-200 characters')
  return await withDb(async (db) => {
    try {
      const organizer = await queries.organizers.createOrganizer(db, slug, name)
      return JSON.stringify({ slug: organizer.slug, name: organizer.name })
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandError(`organizer "${slug}" already exists`)
      throw err
    }
  })
}

async function createToken (args: string[]): Promise<string> {
  const { values } = parse({
    args,
    strict: true,
    options: {
      organizer: { type: 'string' },
      team: { type: 'string' },
      'all-events': { type: 'boolean' },
      events: { type: 'string' },
      permissions: { type: 'string' }
    },
    allowPositionals: false
  })
  if (values.organizer === undefined) throw new UsageError('create-token needs --organizer <slug>')
  if (values['all-events'] && values.events !== undefined) throw new UsageError('use either --all-events or --events, not both')
  const teamName = (values.team ?? DEFAULT_TEAM).trim()
  if (teamName === '' || teamName.length > 190) throw new CommandError('the team name must have 1-190 characters')

  const known: readonly string[] = queries.tokens.TEAM_PERMISSIONS
  const permissions = values.permissions === undefined ? queries.tokens.TEAM_PERMISSIONS : list(values.permissions)
  const unknown = permissions.filter((p) => !known.includes(p))
  if (unknown.length > 0) throw new CommandError(`unknown permission ${unknown.map((p) => `"${p}"`).join(', ')}; known: ${known.join(', ')}`)

  return await withDb(async (db) => {
    const organizer = await queries.organizers.findOrganizer(db, values.organizer!)
    if (!organizer) throw new CommandError(`organizer "${values.organizer}" does not exist`)
    const eventIds: number[] = []
    const slugs = values.events === undefined ? [] : list(values.events)
    const missing: string[] = []
    for (const slug of slugs) {
      const event = await queries.events.findEvent(db, organizer.id, slug)
      if (event) eventIds.push(event.id)
      else missing.push(slug)
    }
    if (missing.length > 0) throw new CommandError(`organizer "${organizer.slug}" has no event ${missing.map((s) => `"${s}"`).join(', ')}`)
    const team = await queries.tokens.upsertTeam(db, {
      organizerId: organizer.id,
      name: teamName,
      allEvents: values.events === undefined,
      eventIds,
      permissions: permissions as queries.tokens.TeamPermission[]
    })
    return await queries.tokens.createToken(db, team.id, 'cli')
  })
}

async function seed (args: string[]): Promise<string> {
  parse({ args, options: {}, allowPositionals: false, strict: true })
  const result = await withDb(async (db) => await seedDemo(db, {
    adminApi: process.env.PUBLIC_ADMIN_URL || `http://localhost:${process.env.ADMIN_API_PORT || 8001}`,
    appApi: process.env.PUBLIC_APP_URL || `http://localhost:${process.env.APP_API_PORT || 8002}`
  }))
  return JSON.stringify(result, null, 2)
}

const commands: Record<string, (args: string[]) => Promise<string>> = {
  migrate,
  'create-organizer': createOrganizer,
  'create-token': createToken,
  'seed-demo': seed
}

function describe (err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describe(err.errors[0])
  const e = err as { message?: string, code?: string }
  return e?.message || e?.code || String(err)
}

async function main (argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    if (name === undefined) {
      process.stderr.write(USAGE + '\n')
      return 2
    }
    process.stdout.write(USAGE + '\n')
    return 0
  }
  const command = commands[name]
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`)
    process.stdout.write(await command(args) + '\n')
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`)
      return 2
    }
    process.stderr.write(`error: ${describe(err)}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))

import { parseArgs, type ParseArgsConfig } from 'node:util'
import { Value } from '@sinclair/typebox/value'
import { createDb, isUniqueViolation, migrateDatabase, queries, type Db } from '@showfloor/db'
import { CliEnv } from '@showfloor/schemas'
import { seedDemo } from './seed.js'

// The operator's command line (contract section 2): the result alone on stdout, JSON when
// structured; errors on stderr with exit code 1, or 2 when the command line itself is wrong.

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

Configuration: DATABASE_URL (default ${CliEnv.properties.DATABASE_URL.default})`

/** The command line is wrong: exit code 2, with the usage. */
class UsageError extends Error {}
/** The command cannot do what was asked: exit code 1. */
class CommandError extends Error {}

/** Where the command line writes, and the environment it reads: a process's own, or a test's. */
export interface CliIo {
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown }
  env: Record<string, string | undefined>
}

/**
 * The configuration, read only by commands that need it (help and usage errors work whatever the
 * environment says). Empty values count as unset, as for the services.
 */
function config (env: CliIo['env']): CliEnv {
  const data = Object.fromEntries(Object.keys(CliEnv.properties).flatMap((key) => env[key] ? [[key, env[key]]] : []))
  const value: unknown = Value.Default(CliEnv, Value.Convert(CliEnv, data))
  const error = Value.Errors(CliEnv, value).First()
  if (error) throw new CommandError(`invalid ${error.path.slice(1)}: ${error.message}`)
  return value as CliEnv
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

async function withDb<T> (env: CliIo['env'], work: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(config(env).DATABASE_URL, { max: 2, applicationName: 'showfloor-cli' })
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}

async function migrate (args: string[], env: CliIo['env']): Promise<string> {
  parse({ args, options: {}, allowPositionals: false, strict: true })
  const url = config(env).DATABASE_URL
  const result = await migrateDatabase(url)
  return JSON.stringify({ database: decodeURIComponent(new URL(url).pathname.slice(1)), ...result })
}

async function createOrganizer (args: string[], env: CliIo['env']): Promise<string> {
  const { positionals } = parse({ args, options: {}, allowPositionals: true, strict: true })
  if (positionals.length !== 2) throw new UsageError('create-organizer needs <slug> and <name>')
  const [slug, rawName] = positionals
  const name = rawName.trim()
  if (!ORGANIZER_SLUG.test(slug)) throw new CommandError(`invalid organizer slug "${slug}": use 1-50 characters of a-z, 0-9, "." and "-"`)
  if (name === '' || name.length > 200) throw new CommandError('the organizer name must have 1-200 characters')
  return await withDb(env, async (db) => {
    try {
      const organizer = await queries.organizers.createOrganizer(db, slug, name)
      return JSON.stringify({ slug: organizer.slug, name: organizer.name })
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandError(`organizer "${slug}" already exists`)
      throw err
    }
  })
}

async function createToken (args: string[], env: CliIo['env']): Promise<string> {
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

  return await withDb(env, async (db) => {
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

async function seed (args: string[], env: CliIo['env']): Promise<string> {
  parse({ args, options: {}, allowPositionals: false, strict: true })
  const { PUBLIC_ADMIN_URL, ADMIN_API_PORT, PUBLIC_APP_URL, APP_API_PORT } = config(env)
  const result = await withDb(env, async (db) => await seedDemo(db, {
    adminApi: PUBLIC_ADMIN_URL ?? `http://localhost:${ADMIN_API_PORT}`,
    appApi: PUBLIC_APP_URL ?? `http://localhost:${APP_API_PORT}`
  }))
  return JSON.stringify(result, null, 2)
}

const commands: Record<string, (args: string[], env: CliIo['env']) => Promise<string>> = {
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

/** Runs one command line (without the program name); resolves with the exit code. */
export async function run (argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    if (name === undefined) {
      io.stderr.write(USAGE + '\n')
      return 2
    }
    io.stdout.write(USAGE + '\n')
    return 0
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`)
    io.stdout.write(await command(args, io.env) + '\n')
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n\n${USAGE}\n`)
      return 2
    }
    io.stderr.write(`error: ${describe(err)}\n`)
    return 1
  }
}

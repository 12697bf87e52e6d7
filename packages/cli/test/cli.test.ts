import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import t from 'tap'
import { createDb, queries, type Db } from '@showfloor/db'
import { dropDatabase, repoRoot, runSource, shellEnv } from '@showfloor/db/testing'
import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '@showfloor/admin-api'
import type { FastifyInstance } from 'fastify'
import { run } from '../src/cli.js'

const suffix = randomBytes(4).toString('hex')

interface Run { code: number, stdout: string, stderr: string }

/** Runs the command line in this process, as `main.ts` does, with the environment of this test. */
async function cli (databaseUrl: string, ...args: string[]): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const code = await run(args, {
    stdout: { write: (text: string) => { stdout += text } },
    stderr: { write: (text: string) => { stderr += text } },
    env: { ...process.env, DATABASE_URL: databaseUrl }
  })
  return { code, stdout, stderr }
}

/** Runs the command line as its own process, as an operator does from the repository root. */
async function spawnCli (databaseUrl: string, ...args: string[]): Promise<Run> {
  const child = runSource('packages/cli/src/main.ts', { DATABASE_URL: databaseUrl }, args)
  const [code] = await child.closed
  return { code: code ?? 1, stdout: child.lines.map((line) => line + '\n').join(''), stderr: child.stderr() }
}

t.test('command line', async (t) => {
  const names: string[] = []
  const freshUrl = (label: string): string => {
    const name = `showfloor_cli_${label}_${suffix}`
    names.push(name)
    const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/showfloor')
    url.pathname = '/' + name
    return url.toString()
  }
  let db: Db | undefined
  let app: FastifyInstance | undefined
  t.teardown(async () => {
    await app?.close()
    await db?.destroy()
    for (const name of names) await dropDatabase(name)
  })

  t.test('migrate creates a missing database, and a second run is a no-op', async (t) => {
    const url = freshUrl('migrate')
    const first = await cli(url, 'migrate')
    t.equal(first.code, 0, first.stderr)
    t.equal(first.stderr, '')
    const summary = JSON.parse(first.stdout)
    t.equal(summary.created, true)
    t.ok(summary.applied.length > 0, 'migrations applied')
    t.ok(summary.applied.includes('2026_11_28_0001_initial'))

    const second = await cli(url, 'migrate')
    t.equal(second.code, 0, second.stderr)
    t.same(JSON.parse(second.stdout), { ...summary, created: false, applied: [] })

    const check = createDb(url, { max: 1 })
    t.teardown(async () => { await check.destroy() })
    t.same(await check.selectFrom('organizers').selectAll().execute(), [], 'the tables exist')
  })

  t.test('two concurrent migrate runs both succeed', async (t) => {
    const url = freshUrl('concurrent')
    // Processes of their own, as several containers starting at once would run it.
    const runs = await Promise.all([spawnCli(url, 'migrate'), spawnCli(url, 'migrate')])
    for (const run of runs) t.equal(run.code, 0, run.stderr)
    const summaries = runs.map((run) => JSON.parse(run.stdout))
    t.equal(summaries.filter((s) => s.created).length, 1, 'one of them created the database')
    t.equal(summaries.flatMap((s) => s.applied).filter((m: string) => m === '2026_11_28_0001_initial').length, 1, 'each migration applied once')
  })

  const url = freshUrl('main')
  t.test('migrate the database the other commands use', async (t) => {
    t.equal((await cli(url, 'migrate')).code, 0)
    db = createDb(url, { max: 2 })
    app = await buildApp(loadConfig(AdminApiEnv, { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent', PUBLIC_ADMIN_URL: '' }))
  })

  const inject = async (token: string, method: 'GET' | 'POST', path: string, payload?: object) =>
    await app!.inject({ method, url: path, headers: { authorization: `Token ${token}` }, payload })

  t.test('create-organizer prints the organizer as JSON', async (t) => {
    const run = await cli(url, 'create-organizer', 'acme', 'Acme Corporation')
    t.equal(run.code, 0, run.stderr)
    t.same(JSON.parse(run.stdout), { slug: 'acme', name: 'Acme Corporation' })
    t.equal(run.stderr, '')
    t.ok(await queries.organizers.findOrganizer(db!, 'acme'), 'stored')

    const [dup, bad, missing] = await Promise.all([
      cli(url, 'create-organizer', 'acme', 'Again'),
      cli(url, 'create-organizer', 'Not A Slug', 'Bad'),
      cli(url, 'create-organizer', 'only-slug')
    ])
    t.equal(dup.code, 1)
    t.equal(dup.stdout, '')
    t.match(dup.stderr, /already exists/)
    t.equal(bad.code, 1)
    t.equal(bad.stdout, '')
    t.match(bad.stderr, /slug/)
    t.equal(missing.code, 2, 'a usage error')
    t.match(missing.stderr, /Usage/)
  })

  t.test('create-token prints only a token that authenticates', async (t) => {
    const organizer = (await queries.organizers.findOrganizer(db!, 'acme'))!
    await queries.events.createEvent(db!, { organizer_id: organizer.id, slug: 'alpha', name: JSON.stringify({ en: 'Alpha' }), date_from: '2026-12-01T09:00:00Z' })
    await queries.events.createEvent(db!, { organizer_id: organizer.id, slug: 'beta', name: JSON.stringify({ en: 'Beta' }), date_from: '2026-12-01T09:00:00Z' })

    const run = await cli(url, 'create-token', '--organizer', 'acme')
    t.equal(run.code, 0, run.stderr)
    t.match(run.stdout, /^[0-9a-f]{64}\n$/, 'the token and nothing else')
    t.equal(run.stderr, '')
    const token = run.stdout.trim()
    const list = await inject(token, 'GET', '/api/v1/organizers/acme/events/')
    t.equal(list.statusCode, 200)
    t.equal(list.json().count, 2, 'all events by default')
    const created = await inject(token, 'POST', '/api/v1/organizers/acme/events/', { name: { en: 'Gamma' }, slug: 'gamma', date_from: '2026-12-01T09:00:00Z' })
    t.equal(created.statusCode, 201, 'every permission by default')
    t.equal((await inject(token, 'GET', '/api/v1/organizers/other/events/')).statusCode, 403, 'only its own organizer')
    t.equal((await inject(token, 'GET', '/api/v1/organizers/acme/webhooks/')).statusCode, 200, 'can_change_organizer_settings by default: webhooks')

    const team = await db!.selectFrom('teams').selectAll().where('organizer_id', '=', organizer.id).executeTakeFirstOrThrow()
    t.equal(team.name, 'Administrators', 'the default team name')
    t.equal(team.all_events, true)
    const again = await cli(url, 'create-token', '--organizer', 'acme', '--all-events')
    t.equal(again.code, 0, again.stderr)
    t.not(again.stdout, run.stdout, 'a new token')
    t.equal((await db!.selectFrom('teams').select('id').where('organizer_id', '=', organizer.id).execute()).length, 1, 'the team is reused by name')
    t.equal((await inject(again.stdout.trim(), 'GET', '/api/v1/organizers/acme/events/')).statusCode, 200)
    t.equal((await inject(token, 'GET', '/api/v1/organizers/acme/events/')).statusCode, 200, 'the first token still works')
  })

  t.test('--permissions limits the flags', async (t) => {
    const run = await cli(url, 'create-token', '--organizer', 'acme', '--team', 'Readers', '--permissions', 'can_view_orders,can_view_vouchers')
    t.equal(run.code, 0, run.stderr)
    const token = run.stdout.trim()
    t.equal((await inject(token, 'GET', '/api/v1/organizers/acme/events/')).statusCode, 200)
    const create = await inject(token, 'POST', '/api/v1/organizers/acme/events/', { name: { en: 'Delta' }, slug: 'delta', date_from: '2026-12-01T09:00:00Z' })
    t.equal(create.statusCode, 403, 'no can_create_events')
    const team = await db!.selectFrom('teams').selectAll().where('name', '=', 'Readers').executeTakeFirstOrThrow()
    t.match(team, {
      can_create_events: false,
      can_change_event_settings: false,
      can_change_items: false,
      can_view_orders: true,
      can_change_orders: false,
      can_view_vouchers: true,
      can_change_vouchers: false,
      can_change_organizer_settings: false
    })
  })

  t.test('--events limits the events', async (t) => {
    const run = await cli(url, 'create-token', '--organizer', 'acme', '--team', 'Alpha crew', '--events', 'alpha')
    t.equal(run.code, 0, run.stderr)
    const token = run.stdout.trim()
    t.equal((await inject(token, 'GET', '/api/v1/organizers/acme/events/alpha/')).statusCode, 200)
    t.equal((await inject(token, 'GET', '/api/v1/organizers/acme/events/beta/')).statusCode, 403)
    const list = (await inject(token, 'GET', '/api/v1/organizers/acme/events/')).json()
    t.same(list.results.map((e: { slug: string }) => e.slug), ['alpha'])

    const two = await cli(url, 'create-token', '--organizer', 'acme', '--team', 'Both', '--events', 'alpha,beta')
    t.equal(two.code, 0, two.stderr)
    t.equal((await inject(two.stdout.trim(), 'GET', '/api/v1/organizers/acme/events/')).json().count, 2)
  })

  t.test('errors: a message on stderr, nothing on stdout, a non-zero exit', async (t) => {
    const cases: Array<{ args: string[], code: number, message: RegExp }> = [
      { args: ['create-token', '--organizer', 'nope'], code: 1, message: /organizer "nope"/ },
      { args: ['create-token', '--organizer', 'acme', '--events', 'alpha,nope'], code: 1, message: /"nope"/ },
      { args: ['create-token', '--organizer', 'acme', '--permissions', 'can_view_orders,can_fly'], code: 1, message: /can_fly/ },
      { args: ['create-token'], code: 2, message: /--organizer/ },
      { args: ['create-token', '--organizer', 'acme', '--all-events', '--events', 'alpha'], code: 2, message: /--all-events/ },
      { args: ['create-token', '--organizer', 'acme', '--bogus'], code: 2, message: /bogus/ },
      { args: ['fly'], code: 2, message: /unknown command/ },
      { args: [], code: 2, message: /Usage/ }
    ]
    const runs = await Promise.all(cases.map(async (c) => await cli(url, ...c.args)))
    for (const [i, c] of cases.entries()) {
      const run = runs[i]
      t.equal(run.code, c.code, `exit code of ${c.args.join(' ')}`)
      t.equal(run.stdout, '', `no output of ${c.args.join(' ')}`)
      t.match(run.stderr, c.message)
    }
    const teams = await db!.selectFrom('teams').select('name').orderBy('id').execute()
    t.same(teams.map((team) => team.name), ['Administrators', 'Readers', 'Alpha crew', 'Both'], 'failed runs created no team')

    const [unreachable, badUrl, help] = await Promise.all([
      cli('postgres://postgres@127.0.0.1:1/nothing', 'create-organizer', 'x', 'X'),
      cli('mysql://localhost/x', 'migrate'),
      cli(url, '--help')
    ])
    t.equal(unreachable.code, 1)
    t.equal(unreachable.stdout, '')
    t.match(unreachable.stderr, /ECONNREFUSED|connect/)
    t.equal(badUrl.code, 1)
    t.match(badUrl.stderr, /DATABASE_URL/)
    t.equal(help.code, 0)
    t.match(help.stdout, /create-token/)
  })

  t.test('seed-demo prints slugs, a token and codes of stored data', async (t) => {
    const run = await cli(url, 'seed-demo')
    t.equal(run.code, 0, run.stderr)
    t.equal(run.stderr, '')
    const demo = JSON.parse(run.stdout)
    t.match(demo, {
      organizer: 'demo',
      event: String,
      token: /^[0-9a-f]{64}$/,
      admin_api: 'http://localhost:8001',
      app_api: 'http://localhost:8002'
    })
    t.ok(demo.exhibitors.length >= 2, 'exhibitors')
    t.ok(demo.attendees.length >= 4, 'attendees')
    const codes = new Set<string>()
    for (const e of demo.exhibitors) {
      t.match(e, { name: String, access_code: /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/, lead_scanning_access_code: /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/ })
      codes.add(e.access_code)
      codes.add(e.lead_scanning_access_code)
    }
    t.equal(codes.size, demo.exhibitors.length * 2, 'every code differs')
    for (const a of demo.attendees) t.match(a, { name: String, scan_code: /^[A-Z0-9]{10}$/ })

    const organizer = (await queries.organizers.findOrganizer(db!, demo.organizer))!
    const event = (await queries.events.findEvent(db!, organizer.id, demo.event))!
    t.ok(event, 'the event exists')
    for (const e of demo.exhibitors) {
      const rows = await db!.selectFrom('exhibitor_access_codes')
        .innerJoin('exhibitors', 'exhibitors.id', 'exhibitor_access_codes.exhibitor_id')
        .select(['exhibitor_access_codes.code', 'exhibitor_access_codes.full_access', 'exhibitors.name', 'exhibitors.event_id'])
        .where('exhibitor_access_codes.code', 'in', [e.access_code, e.lead_scanning_access_code])
        .orderBy('exhibitor_access_codes.full_access', 'desc').execute()
      t.same(rows, [
        { code: e.access_code, full_access: true, name: e.name, event_id: event.id },
        { code: e.lead_scanning_access_code, full_access: false, name: e.name, event_id: event.id }
      ], `codes of ${e.name}`)
    }
    const positions = await db!.selectFrom('order_positions').select(['attendee_name', 'pseudonymization_id', 'attendee_email', 'company'])
      .where('event_id', '=', event.id).orderBy('id').execute()
    t.same(positions.map((p) => ({ name: p.attendee_name, scan_code: p.pseudonymization_id })), demo.attendees)
    t.ok(positions.every((p) => p.company), 'attendees have companies')
    const orders = await db!.selectFrom('orders').select('id').where('event_id', '=', event.id).execute()
    t.ok(orders.length >= 2 && orders.length < positions.length, 'orders with several positions')
    t.equal((await db!.selectFrom('items').select('id').where('event_id', '=', event.id).execute()).length, 2, 'two items')
    const vouchers = await db!.selectFrom('vouchers').select('id').where('event_id', '=', event.id).execute()
    const attached = await db!.selectFrom('exhibitor_vouchers').innerJoin('vouchers', 'vouchers.id', 'exhibitor_vouchers.voucher_id')
      .select('vouchers.id').where('vouchers.event_id', '=', event.id).execute()
    t.ok(vouchers.length > attached.length && attached.length > 0, 'vouchers, some attached to exhibitors')
    const settings = await queries.exhibitorSettings.getSettings(db!, event.id)
    t.ok(settings.lead_fields.length > 0)

    const eventUrl = `/api/v1/organizers/${demo.organizer}/events/${demo.event}/`
    t.equal((await inject(demo.token, 'GET', eventUrl)).statusCode, 200, 'the token works')
    t.equal((await inject(demo.token, 'GET', eventUrl + 'exhibitor_settings/')).statusCode, 200)

    const again = await cli(url, 'seed-demo')
    t.equal(again.code, 0, again.stderr)
    const second = JSON.parse(again.stdout)
    t.same({ ...second, token: '' }, { ...demo, token: '' }, 'a second run finds the same data')
    t.not(second.token, demo.token)
    t.equal((await inject(second.token, 'GET', eventUrl)).statusCode, 200)
    t.equal((await db!.selectFrom('exhibitors').select('id').where('event_id', '=', event.id).execute()).length, demo.exhibitors.length, 'nothing duplicated')
  })
})

t.test('pnpm --silent cli passes the exit code and the streams through', async (t) => {
  const run = await new Promise<Run>((resolve) => {
    execFile('pnpm', ['--silent', 'cli', 'fly'], { cwd: repoRoot, env: shellEnv(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
  t.equal(run.code, 2, run.stderr)
  t.equal(run.stdout, '')
  t.match(run.stderr, /unknown command "fly"/)
})

import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent, request as httpRequest } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { queries } from '@showfloor/db'
import { createTestDatabase } from '@showfloor/db/testing'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const CLIENTS = 64
const ATTENDEES = 5_000

// The child runs as from an operator's shell, without the test runner's loaders.
const childEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('_TAPJS_') && !key.startsWith('TAP')))

const scanCode = (i: number) => 'P' + String(i).padStart(9, '0')

interface Outcome { status?: number, connection?: string, error?: string, afterSignal: boolean }

t.test('SIGTERM under keep-alive load: every stored upload gets its answer', async (t) => {
  const testDb = await createTestDatabase('app_sigterm')
  t.teardown(async () => { await testDb.drop() })
  const db = testDb.db
  const organizer = await queries.organizers.createOrganizer(db, 'bigevents', 'Big Events')
  const event = await queries.events.createEvent(db, { organizer_id: organizer.id, slug: 'conf', name: JSON.stringify({ en: 'Conf' }), date_from: '2026-12-01T09:00:00Z' })
  const item = await db.insertInto('items').values({ event_id: event.id, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' }).returning('id').executeTakeFirstOrThrow()
  await sql`
    insert into orders (event_id, code, status, email, total)
    select ${event.id}, 'O' || g, 'p', 'order' || g || '@example.com', 10 from generate_series(1, ${ATTENDEES}) g`.execute(db)
  await sql`
    insert into order_positions (order_id, event_id, positionid, item_id, price, attendee_name, secret, pseudonymization_id)
    select o.id, ${event.id}, 1, ${item.id}, 10, 'Attendee ' || g, 'secret' || g, 'P' || lpad(g::text, 9, '0')
    from generate_series(1, ${ATTENDEES}) g join orders o on o.event_id = ${event.id} and o.code = 'O' || g`.execute(db)
  const exhibitor = await queries.exhibitors.createExhibitor(db, { event_id: event.id, name: 'Aperture Science', booth: 'A2', locale: 'en' }, [])

  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/app-api/src/server.ts'], {
    cwd: root,
    env: { ...childEnv, DATABASE_URL: testDb.url, APP_API_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const logs: string[] = []
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" log line in time\n${logs.join('\n')}\n${stderr}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line)
      const match = /Server listening at (http:\/\/[^"\s]+)/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`exited before listening\n${logs.join('\n')}\n${stderr}`)) })
  })

  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  t.teardown(() => agent.destroy())
  const outcomes = new Map<string, Outcome>()
  let next = 0
  let signalled = false
  let stopped = false

  function upload (code: string): Promise<Outcome> {
    const body = JSON.stringify({ code, scanned: '2026-12-01T10:00:00.000+00:00', scan_type: 'lead', notes: '', device_name: 'tablet' })
    return new Promise((resolve) => {
      const req = httpRequest(`${base}/exhibitors/api/v1/leads/`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Exhibitor ${exhibitor.lead_scanning_access_code}` }
      }, (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, afterSignal: signalled }))
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, afterSignal: signalled }))
      })
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, afterSignal: signalled }))
      req.end(body)
    })
  }

  async function client (): Promise<void> {
    while (next < ATTENDEES) {
      if (stopped) return
      const code = scanCode(++next)
      const outcome = await upload(code)
      outcomes.set(code, outcome)
      // The listener is gone: nothing more can reach this server.
      if (outcome.error === 'ECONNREFUSED') return
    }
  }

  const clients = Promise.all(Array.from({ length: CLIENTS }, async () => { await client() }))
  // Load first, then the signal while requests are in flight and arriving on open connections.
  while (outcomes.size < 300) await new Promise((resolve) => setTimeout(resolve, 10))
  signalled = true
  child.kill('SIGTERM')
  const [code, signal] = await exited
  stopped = true
  await clients

  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, `clean exit; stderr: ${stderr}`)

  const stored = new Set((await db.selectFrom('leads').innerJoin('order_positions', 'order_positions.id', 'leads.position_id')
    .select('order_positions.pseudonymization_id as code').execute()).map((row) => row.code))
  const storedWithoutAnswer = [...stored].filter((code) => outcomes.get(code)?.status !== 201)
  t.same(storedWithoutAnswer.map((code) => [code, outcomes.get(code)]), [], 'every stored upload was answered 201')
  const answered = [...outcomes].filter(([, o]) => o.status !== undefined)
  t.same(answered.filter(([, o]) => o.status !== 201), [], 'every answer is a 201: requests that arrived were processed')
  t.same(answered.filter(([code]) => !stored.has(code)), [], 'every 201 was stored')
  const lateAnswers = answered.filter(([, o]) => o.afterSignal)
  t.ok(lateAnswers.length > 0, `requests were answered after the signal (${lateAnswers.length})`)
  t.ok(lateAnswers.some(([, o]) => o.connection === 'close'), 'answers after the signal close their connection')

  // The log: one JSON line per answered request, and no access code anywhere.
  const completed = logs.filter((line) => line.includes('"request completed"')).map((line) => JSON.parse(line))
  t.equal(completed.filter((line) => line.req?.method === 'POST' && line.req?.url === '/exhibitors/api/v1/leads/' && line.res?.statusCode === 201 && typeof line.responseTime === 'number').length,
    answered.length, 'one completion line per answer')
  t.notOk(logs.some((line) => line.includes(exhibitor.lead_scanning_access_code)), 'no access code in the log')

  const errors = [...outcomes].filter(([, o]) => o.error !== undefined)
  t.comment(`${answered.length} answered (${lateAnswers.length} after the signal), errors: ${JSON.stringify(errors.reduce<Record<string, number>>((n, [, o]) => ({ ...n, [o.error!]: (n[o.error!] ?? 0) + 1 }), {}))}`)
})

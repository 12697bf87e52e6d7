import t, { type Test } from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { queries } from '@showfloor/db'
import { parseMail, removePrefix as removeKeys, startSmtpSink, testPrefix } from '@showfloor/db/testing'
import { harness, type Harness } from './helper.js'

const removePrefix = async (prefix: string): Promise<void> => { await removeKeys(redisUrl, prefix) }

const root = fileURLToPath(new URL('../../../', import.meta.url))
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const TIMEOUT_MS = 4000
const childEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('_TAPJS_') && !key.startsWith('TAP')))

interface RunningWorker { stop: () => Promise<void> }

/** The worker service as its own process, from source, as an operator starts it. */
async function startWorker (t: Test, env: Record<string, string>): Promise<RunningWorker> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/worker/src/main.ts'], {
    cwd: root,
    env: { ...childEnv, WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAIL_SEND_TIMEOUT_MS: '1000', ...env }
  })
  const exited = once(child, 'exit')
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await exited
  }
  t.teardown(stop)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start\n${stderr}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (/Server listening at/.test(line)) { clearTimeout(timer); resolve() }
    })
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`the worker exited\n${stderr}`)) })
  })
  return { stop }
}

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function createExhibitor (h: Harness, eventSlug: string, values: Partial<queries.exhibitors.ExhibitorValues> = {}) {
  const event = (await queries.events.findEvent(h.db, h.organizerId, eventSlug))!
  return await queries.exhibitors.createExhibitor(h.db, { event_id: event.id, name: 'Aperture Science', contact_email: 'cave@aperture.example', ...values }, [])
}

const url = (event: string, id: number | string) => `/api/v1/organizers/demo/events/${event}/exhibitors/${id}/send_access_code/`

t.test('send_access_code', async (t) => {
  let refusing = false
  const sink = await startSmtpSink({ refuse: () => refusing })
  t.teardown(sink.close)
  const prefix = testPrefix('sendcode')
  t.teardown(async () => { await removePrefix(prefix) })
  const h = await harness(t, { QUEUE_PREFIX: prefix, ACCESS_CODE_MAIL_TIMEOUT_MS: String(TIMEOUT_MS) })
  const workerEnv = { DATABASE_URL: h.app.config.DATABASE_URL, QUEUE_PREFIX: prefix, MAIL_FROM: 'fair@example.org', PUBLIC_APP_URL: 'https://leads.example.org' }
  let worker = await startWorker(t, { ...workerEnv, SMTP_URL: sink.url })
  await h.createEvent('conf', { name: { en: 'Sample Conference', de: 'Beispielkonferenz' } })
  await h.createEvent('other')
  const post = async (id: number | string, opts: { token?: string, event?: string, headers?: Record<string, string> } = {}) =>
    await h.request(opts.token ?? h.token, { method: 'POST', url: url(opts.event ?? 'conf', id), headers: opts.headers })

  t.test('204 once the mail server accepted the mail: To, Cc, subject and both codes (English)', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', {
      contact_email: 'cave@aperture.example',
      contact_cc_email: 'glados@aperture.example,chell@aperture.example',
      locale: 'en'
    })
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 204, res.body)
    t.equal(res.body, '')
    const mail = sink.messages.find((m) => m.headers.to === 'cave@aperture.example')!
    t.ok(mail, 'accepted by the mail server before the answer')
    t.same(mail.envelope.to.sort(), ['cave@aperture.example', 'chell@aperture.example', 'glados@aperture.example'])
    t.equal(mail.headers.cc, 'glados@aperture.example, chell@aperture.example')
    t.equal(mail.headers.from, 'fair@example.org')
    t.equal(mail.subject, 'Your access codes for Sample Conference')
    t.match(mail.text, `Access code: ${exhibitor.access_code}\n`)
    t.match(mail.text, `Booth staff code: ${exhibitor.lead_scanning_access_code}\n`)
    t.match(mail.text, 'Aperture Science')
    t.match(mail.text, 'Server: https://leads.example.org')
    t.match(mail.html, exhibitor.access_code)
    const rows = await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitor.id).execute()
    t.equal(rows.length, 1)
    t.equal(rows[0].status, 'sent')
  })

  t.test('German', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', { name: 'Beispiel GmbH', contact_email: 'info@beispiel.example', locale: 'de' })
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 204, res.body)
    const mail = sink.messages.find((m) => m.headers.to === 'info@beispiel.example')!
    t.equal(mail.subject, 'Ihre Zugangscodes für Beispielkonferenz')
    t.match(mail.text, `Zugangscode: ${exhibitor.access_code}\n`)
    t.match(mail.text, `Code für das Standpersonal: ${exhibitor.lead_scanning_access_code}\n`)
    t.match(mail.text, 'Beispiel GmbH ist als Aussteller bei Beispielkonferenz registriert.')
  })

  t.test('also without the trailing slash, and with an idempotency key: replayed, not sent twice', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: 'once@example.org' })
    const headers = { 'x-idempotency-key': 'send-once' }
    const first = await h.request(h.token, { method: 'POST', url: url('conf', exhibitor.id).replace(/\/$/, ''), headers })
    t.equal(first.statusCode, 204, first.body)
    const again = await post(exhibitor.id, { headers })
    t.equal(again.statusCode, 204)
    await sleep(300)
    t.equal(sink.messages.filter((m) => m.headers.to === 'once@example.org').length, 1, 'one mail')
  })

  t.test('400 without contact_email', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: null })
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 400)
    t.same(res.json(), { detail: 'The exhibitor does not have an email address associated.' })
    const rows = await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitor.id).execute()
    t.equal(rows.length, 0, 'nothing queued')
  })

  t.test('404 for an exhibitor that does not exist in the event', async (t) => {
    const elsewhere = await createExhibitor(h, 'other')
    for (const id of [999999, elsewhere.id, 99999999999]) {
      const res = await post(id)
      t.equal(res.statusCode, 404, `id ${id}`)
      t.same(res.json(), { detail: 'Not found.' })
    }
    const other = await post(elsewhere.id, { event: 'other' })
    t.equal(other.statusCode, 204, 'in its own event it is found')
  })

  t.test('403 without can_change_event_settings, for an unknown event, and 401 without a token', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: 'forbidden@example.org' })
    const viewer = await h.tokenFor({ permissions: ['can_view_orders'] })
    const res = await post(exhibitor.id, { token: viewer })
    t.equal(res.statusCode, 403)
    t.match(res.json(), { detail: String })
    const unknown = await post(exhibitor.id, { event: 'nope' })
    t.equal(unknown.statusCode, 403)
    t.same(unknown.json(), res.json(), 'the same answer: existence is not leaked')
    const anonymous = await h.request(null, { method: 'POST', url: url('conf', exhibitor.id) })
    t.equal(anonymous.statusCode, 401)
    await sleep(200)
    t.notOk(sink.messages.some((m) => m.headers.to === 'forbidden@example.org'))
  })

  t.test('503 when the mail server refuses, and no mail later even once it accepts again', async (t) => {
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: 'refused@example.org' })
    refusing = true
    const started = Date.now()
    const res = await post(exhibitor.id)
    const took = Date.now() - started
    t.equal(res.statusCode, 503)
    t.same(res.json(), { detail: 'The email could not be sent.' })
    t.ok(took >= 1000 && took < TIMEOUT_MS + 1500, `answered by the deadline (${took} ms)`)
    t.ok(sink.refusals > 0, 'the worker tried')
    refusing = false
    await sleep(3000)
    t.notOk(sink.messages.some((m) => m.headers.to === 'refused@example.org'), 'never delivered')
    const row = await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitor.id).executeTakeFirstOrThrow()
    t.not(row.status, 'sent')
    t.ok(['failed', 'abandoned'].includes(row.status), row.status)
  })

  t.test('503 when no worker runs, and nothing is sent when one starts later', async (t) => {
    await worker.stop()
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: 'late@example.org' })
    const started = Date.now()
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 503)
    t.ok(Date.now() - started >= TIMEOUT_MS - 200, 'waited for the deadline')
    const row = await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitor.id).executeTakeFirstOrThrow()
    t.equal(row.status, 'abandoned')

    worker = await startWorker(t, { ...workerEnv, SMTP_URL: sink.url })
    // The queued job is picked up now, and must not send.
    const check = await createExhibitor(h, 'conf', { contact_email: 'after@example.org' })
    t.equal((await post(check.id)).statusCode, 204, 'the new worker works')
    t.notOk(sink.messages.some((m) => m.headers.to === 'late@example.org'), 'the abandoned request was not sent')
    const after = await h.db.selectFrom('mail_requests').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()
    t.equal(after.status, 'abandoned')
  })

  t.test('without SMTP_URL the mail is written to MAIL_DIR as an .eml file', async (t) => {
    await worker.stop()
    const mailDir = await mkdtemp(join(tmpdir(), 'showfloor-admin-mail-'))
    t.teardown(async () => { await rm(mailDir, { recursive: true, force: true }) })
    worker = await startWorker(t, { ...workerEnv, MAIL_DIR: mailDir })
    const exhibitor = await createExhibitor(h, 'conf', { contact_email: 'file@example.org', contact_cc_email: 'cc@example.org', locale: 'de' })
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 204, res.body)
    const files = (await readdir(mailDir)).filter((f) => f.endsWith('.eml'))
    t.equal(files.length, 1, 'the file is there when the answer comes')
    const mail = parseMail(await readFile(join(mailDir, files[0]), 'utf8'))
    t.equal(mail.headers.to, 'file@example.org')
    t.equal(mail.headers.cc, 'cc@example.org')
    t.equal(mail.subject, 'Ihre Zugangscodes für Beispielkonferenz')
    t.match(mail.text, exhibitor.access_code)
    t.match(mail.text, exhibitor.lead_scanning_access_code)
  })
})

t.test('503 at once when Redis is unreachable', async (t) => {
  const h = await harness(t, { REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: testPrefix('noredis'), ACCESS_CODE_MAIL_TIMEOUT_MS: String(TIMEOUT_MS) })
  await h.createEvent('conf')
  const exhibitor = await createExhibitor(h, 'conf')
  const started = Date.now()
  const res = await h.request(h.token, { method: 'POST', url: url('conf', exhibitor.id) })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { detail: 'The email could not be sent.' })
  t.ok(Date.now() - started < 1000, `fails fast (${Date.now() - started} ms)`)
  const row = await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitor.id).executeTakeFirstOrThrow()
  t.equal(row.status, 'abandoned', 'and can never be sent later')
})

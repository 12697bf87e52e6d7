import t, { type Test } from 'tap'
import { queries } from '@showfloor/db'
import { removePrefix as removeKeys, startService, startSmtpSink, testPrefix } from '@showfloor/db/testing'
import { harness, type Harness } from './helper.js'

// send_access_code against a mail server that is slow to confirm a message, and a worker killed
// while the server holds the message. The rule: a 204 means exactly one mail; a 503 comes by the
// deadline.

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const TIMEOUT_MS = 4000
const SEND_TIMEOUT_MS = 1000

t.setTimeout(180_000)

/** The worker service as its own process, from source, as an operator starts it. */
async function startWorker (t: Test, env: Record<string, string>): Promise<{ kill: () => Promise<void> }> {
  const worker = await startService('services/worker/src/main.ts', { WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAIL_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS), ...env }, 60_000)
  t.teardown(worker.kill)
  return { kill: async () => { await worker.stop('SIGKILL') } }
}

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function createExhibitor (h: Harness, contactEmail: string) {
  const event = (await queries.events.findEvent(h.db, h.organizerId, 'conf'))!
  return await queries.exhibitors.createExhibitor(h.db, { event_id: event.id, name: 'Aperture Science', contact_email: contactEmail }, [])
}

t.test('send_access_code with a slow mail server and a dying worker', async (t) => {
  let replyDelay = 0
  const sink = await startSmtpSink({ replyDelayMs: () => replyDelay })
  t.teardown(sink.close)
  const prefix = testPrefix('sendfaults')
  t.teardown(async () => { await removeKeys(redisUrl, prefix) })
  const h = await harness(t, { QUEUE_PREFIX: prefix, ACCESS_CODE_MAIL_TIMEOUT_MS: String(TIMEOUT_MS) })
  await h.createEvent('conf')
  const worker = await startWorker(t, { DATABASE_URL: h.app.config.DATABASE_URL, QUEUE_PREFIX: prefix, SMTP_URL: sink.url })
  const post = async (id: number) => await h.request(h.token, { method: 'POST', url: `/api/v1/organizers/demo/events/conf/exhibitors/${id}/send_access_code/` })
  const received = (to: string) => sink.messages.filter((m) => m.headers.to === to).length
  const row = async (exhibitorId: number) => await h.db.selectFrom('mail_requests').selectAll().where('exhibitor_id', '=', exhibitorId).executeTakeFirstOrThrow()

  t.test('a server slower than MAIL_SEND_TIMEOUT_MS to confirm: 204, and exactly one mail', async (t) => {
    replyDelay = SEND_TIMEOUT_MS * 2
    t.teardown(() => { replyDelay = 0 })
    const exhibitor = await createExhibitor(h, 'slow@example.org')
    const res = await post(exhibitor.id)
    t.equal(res.statusCode, 204, res.body)
    await sleep(2000)
    t.equal(received('slow@example.org'), 1, 'one mail')
    t.equal((await row(exhibitor.id)).status, 'sent')
  })

  t.test('a worker killed while the server holds the message: 503 at the deadline, the request settled', async (t) => {
    replyDelay = 60_000
    const exhibitor = await createExhibitor(h, 'held@example.org')
    const started = Date.now()
    const answer = post(exhibitor.id)
    const until = Date.now() + TIMEOUT_MS
    while (received('held@example.org') === 0) {
      if (Date.now() > until) throw new Error('the message did not reach the mail server')
      await sleep(20)
    }
    await worker.kill()
    const res = await answer
    const took = Date.now() - started
    t.equal(res.statusCode, 503)
    t.same(res.json(), { detail: 'The email could not be sent.' })
    t.ok(took >= TIMEOUT_MS - 200 && took < TIMEOUT_MS + 1000, `answered at the deadline (${took} ms)`)
    const settled = await row(exhibitor.id)
    t.equal(settled.status, 'unconfirmed', 'it may or may not have been delivered')
    t.ok(settled.finished_at)
    t.equal(received('held@example.org'), 1)
  })
})

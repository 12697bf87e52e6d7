import t from 'tap'
import { queries } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedEvent, seedExhibitor, startSmtpSink, testPrefix, waitFor } from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { closeRedis, createProducerRedis, createProducers } from '@showfloor/queue'
import { startWorkers } from '../src/workers.js'
import { sharedRedisUrl, silentLog, silentOutage } from './support/queues.js'

// A slow mail server: one that takes longer than the send timeout to confirm a message it already
// has must not get it twice; one that stalls before the message is sent gets it on a retry.

const SEND_TIMEOUT = 1000
const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('slow mail servers', async (t) => {
  let replyDelay = 0
  let rcptDelays: number[] = []
  const sink = await startSmtpSink({ replyDelayMs: () => replyDelay, rcptDelayMs: () => rcptDelays.shift() ?? 0 })
  t.teardown(sink.close)
  const testDb = await createTestDatabase('worker_slow_smtp')
  const db = testDb.db
  const prefix = testPrefix('slowsmtp')
  const running = startWorkers({
    db,
    redisUrl: sharedRedisUrl,
    prefix,
    log: silentLog,
    mail: { smtpUrl: sink.url, mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: SEND_TIMEOUT },
    relay: false
  })
  const producer = createProducerRedis(sharedRedisUrl)
  const queues = createProducers(producer, prefix, silentOutage)
  t.teardown(async () => {
    for (const closable of [...running.closables].reverse()) await closable.close()
    await Promise.all(Object.values(queues).map(async (q) => { await q.close() }))
    await closeRedis(producer)
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const event = await seedEvent(db)
  const email = queues[QUEUES.email]
  await waitFor('the producer connection', async () => producer.status === 'ready')

  const request = async (to: string, timeoutMs: number) => {
    const exhibitor = await seedExhibitor(db, event, { contact_email: to })
    const id = await queries.mailRequests.createMailRequest(db, exhibitor.id, timeoutMs)
    await email.add(JOBS.accessCodeEmail, { mail_request_id: id }, { jobId: id })
    return id
  }
  const outcome = async (id: string) => await waitFor(`mail request ${id}`, async () => {
    const state = await queries.mailRequests.getMailRequestState(db, id)
    return state && queries.mailRequests.FINAL_STATUSES.includes(state.status) ? state.status : undefined
  }, 20_000)
  const received = (to: string) => sink.messages.filter((m) => m.headers.to === to).length

  t.test('confirmed after the send timeout but before the deadline: sent once', async (t) => {
    replyDelay = SEND_TIMEOUT * 2
    t.teardown(() => { replyDelay = 0 })
    const id = await request('slow@example.org', 6000)
    t.equal(await outcome(id), 'sent')
    await sleep(1500)
    t.equal(received('slow@example.org'), 1, 'one mail')
    t.equal(await email.getJobState(id), 'completed')
    t.equal((await email.getJob(id))?.attemptsStarted, 1, 'one attempt')
  })

  t.test('not confirmed before the deadline: unconfirmed, and never sent again', async (t) => {
    replyDelay = 8000
    t.teardown(() => { replyDelay = 0 })
    const started = Date.now()
    const id = await request('slower@example.org', 4000)
    t.equal(await outcome(id), 'unconfirmed')
    t.ok(Date.now() - started < 6000, `settled at the deadline, not when the server answers (${Date.now() - started} ms)`)
    replyDelay = 0
    await sleep(1500)
    t.equal(received('slower@example.org'), 1, 'the server has it once')
    const job = await waitFor('the job to fail', async () => (await email.getJobState(id)) === 'failed' ? await email.getJob(id) : undefined)
    t.equal(job.attemptsStarted, 1, 'not attempted again')
    t.match(job.failedReason, /did not confirm/)
    const row = await db.selectFrom('mail_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.match(row.error, /did not confirm/)
    t.ok(row.finished_at)
  })

  t.test('stalled before the message was sent: not delivered by that attempt, sent once by the next', async (t) => {
    rcptDelays = [SEND_TIMEOUT * 3]
    const id = await request('stalled@example.org', 8000)
    t.equal(await outcome(id), 'sent')
    await sleep(1500)
    t.equal(received('stalled@example.org'), 1, 'one mail')
    t.equal((await email.getJob(id))?.attemptsStarted, 2, 'the stalled attempt was given up, the next one delivered')
  })
})

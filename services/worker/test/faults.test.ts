import t from 'tap'
import { queries } from '@showfloor/db'
import {
  createTestDatabase, removePrefix, runSource, seedAttendees, seedEvent, seedExhibitor, startService, testPrefix, uploadLead, waitFor
} from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { closeRedis, createRedis } from '@showfloor/queue'
import { startWorkers } from '../src/workers.js'
import { inspectQueues, sharedRedisUrl, silentLog } from './support/queues.js'
import { privateRedis } from './support/redisServer.js'
import { privateQueues } from './support/privateQueues.js'
import { holdLeadRow } from './support/locks.js'

// Faults on a Redis of the test's own (never the machine's shared one): it is stopped and started.

const mail = { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 }

t.test('leads uploaded while Redis is down are all stored, and all enriched once it is back', async (t) => {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase('worker_redis_down')
  const db = testDb.db
  const prefix = testPrefix('redisdown')
  const running = startWorkers({ db, redisUrl: redisServer.url, prefix, log: silentLog, mail, relay: { idleMs: 50, maxErrorDelayMs: 300 } })
  t.teardown(async () => {
    for (const closable of [...running.closables].reverse()) await closable.close()
    await redisServer.stop()
    await testDb.drop()
  })

  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 40)
  const exhibitor = await seedExhibitor(db, event)

  // Working before the outage.
  const early = await uploadLead(db, exhibitor, attendees[0].code)
  await waitFor('the first lead enriched', async () =>
    (await db.selectFrom('leads').select('enriched_at').where('id', '=', early).executeTakeFirst())?.enriched_at ?? undefined)

  await redisServer.stop()
  const uploaded: number[] = []
  for (const attendee of attendees.slice(1)) uploaded.push(await uploadLead(db, exhibitor, attendee.code))
  t.equal(uploaded.length, 39, 'every upload succeeded while Redis was down')
  const stored = await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  t.equal(Number(stored.n), 40, 'every lead stored')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(await queries.outbox.countPending(db), 39, 'their work waits in the outbox')

  // Back, empty (no persistence): everything it needs comes from the outbox.
  await redisServer.start()
  await waitFor('every lead enriched', async () => {
    const row = await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).where('enriched_at', 'is', null).executeTakeFirstOrThrow()
    return Number(row.n) === 0
  }, 60_000, 100)
  t.equal(await queries.outbox.countPending(db), 0)
  await waitFor('the lead count', async () => {
    const row = await db.selectFrom('exhibitors').select('lead_count').where('id', '=', exhibitor.id).executeTakeFirstOrThrow()
    return row.lead_count === 40
  })
  t.pass('lead_count is 40')
})

t.test('a worker killed during a job: another worker takes the job over and completes it', async (t) => {
  const { redisServer, testDb, db, prefix, inspect } = await privateQueues(t, 'killed')
  const event = await seedEvent(db)
  const [attendee] = await seedAttendees(db, event, 1)
  const exhibitor = await seedExhibitor(db, event)
  const leadId = await uploadLead(db, exhibitor, attendee.code)

  // The lead's row is held, so the job blocks in the middle of its work (storing the snapshot).
  const held = await holdLeadRow(db, leadId)

  const child = runSource('services/worker/test/support/workerProcess.ts', {
    WORKER_TEST_OPTIONS: JSON.stringify({ databaseUrl: testDb.url, redisUrl: redisServer.url, prefix, lockDurationMs: 1500, stalledIntervalMs: 500 })
  })
  t.teardown(child.kill)
  await child.line(/^ready$/, 30_000)

  const queue = inspect[QUEUES.leadEnrichment]
  await queue.add(JOBS.leadEnrich, { lead_id: leadId }, { jobId: 'killed-1' })
  await child.line(/^active killed-1$/, 20_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await child.stop('SIGKILL')
  await held.release()
  t.equal((await queue.getJob('killed-1'))?.finishedOn, undefined, 'the job was not finished by the killed worker')

  const second = startWorkers({ db, redisUrl: redisServer.url, prefix, log: silentLog, mail, lockDurationMs: 1500, stalledIntervalMs: 500, relay: false })
  t.teardown(async () => { for (const closable of [...second.closables].reverse()) await closable.close() })
  const job = await waitFor('the job completed by the other worker', async () => {
    // The state first, then the job: a job read while still active has no return value yet.
    return (await queue.getJobState('killed-1')) === 'completed' ? await queue.getJob('killed-1') : undefined
  }, 30_000, 100)
  t.equal(job.attemptsStarted, 2, 'started twice: once in the killed worker, once in the other')
  const lead = await db.selectFrom('leads').select(['enriched_at', 'data']).where('id', '=', leadId).executeTakeFirstOrThrow()
  t.ok(lead.enriched_at, 'the lead is enriched')
  t.match(lead.data?.[0], { id: 'attendee_name', value: /^Ada Lovelace \d+$/ })
})

t.test('a worker started while Redis is down starts working once Redis is up', async (t) => {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase('worker_late_redis')
  const db = testDb.db
  t.teardown(async () => {
    await redisServer.stop()
    await testDb.drop()
  })
  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 3)
  const exhibitor = await seedExhibitor(db, event)
  // Redis comes back at different moments of the workers' start.
  for (const [i, downMs] of [200, 700, 2500].entries()) {
    await redisServer.stop()
    const running = startWorkers({ db, redisUrl: redisServer.url, prefix: testPrefix('lateredis'), log: silentLog, mail, relay: { idleMs: 50, maxErrorDelayMs: 300 } })
    const leadId = await uploadLead(db, exhibitor, attendees[i].code)
    await new Promise((resolve) => setTimeout(resolve, downMs))
    await redisServer.start()
    await waitFor(`the lead enriched (Redis down ${downMs} ms)`, async () =>
      (await db.selectFrom('leads').select('enriched_at').where('id', '=', leadId).executeTakeFirstOrThrow()).enriched_at ?? undefined, 30_000, 100)
    t.pass(`working after Redis was down for ${downMs} ms at start`)
    for (const closable of [...running.closables].reverse()) await closable.close()
  }
})

t.test('SIGTERM: the worker process finishes the job in hand, then exits 0', async (t) => {
  const testDb = await createTestDatabase('worker_sigterm')
  const db = testDb.db
  const prefix = testPrefix('sigterm')
  const redis = createRedis(sharedRedisUrl)
  await redis.connect()
  const inspect = inspectQueues(redis, prefix)
  t.teardown(async () => {
    await Promise.all(Object.values(inspect).map(async (q) => { await q.close() }))
    await closeRedis(redis)
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const event = await seedEvent(db)
  const [attendee] = await seedAttendees(db, event, 1)
  const exhibitor = await seedExhibitor(db, event)

  const worker = await startService('services/worker/src/main.ts', {
    DATABASE_URL: testDb.url, REDIS_URL: sharedRedisUrl, QUEUE_PREFIX: prefix, WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info'
  })
  t.teardown(worker.kill)

  // The job blocks on the lead's row while it is in hand.
  const leadId = await uploadLead(db, exhibitor, attendee.code)
  const held = await holdLeadRow(db, leadId)
  const queue = inspect[QUEUES.leadEnrichment]
  await waitFor('the job in hand', async () => (await queue.getActiveCount()) === 1, 20_000)

  worker.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(worker.child.exitCode, null, 'still running: it waits for the job')
  await held.release()
  const [code, signal] = await worker.exited
  t.equal(signal, null)
  t.equal(code, 0, 'a clean exit')
  const counts = await queue.getJobCounts('completed', 'active', 'waiting')
  t.same(counts, { completed: 1, active: 0, waiting: 0 }, 'the job completed before the exit')
  const lead = await db.selectFrom('leads').select('enriched_at').where('id', '=', leadId).executeTakeFirstOrThrow()
  t.ok(lead.enriched_at)
})

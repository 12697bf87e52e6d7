import t from 'tap'
import { UnrecoverableError, Worker } from 'bullmq'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedAttendees, seedEvent, seedExhibitor, testPrefix, uploadLead, waitFor } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { JOBS, PRUNE_SCHEDULER, QUEUES } from '@showfloor/schemas'
import { OutboxRelay } from '../src/outboxRelay.js'
import { Reconciler, reconcileBatchJobId } from '../src/reconciler.js'
import { startWorkers, type RunningWorkers } from '../src/workers.js'
import { producersFor, sharedRedisUrl, silentLog } from './support/queues.js'
import { privateRedis } from './support/redisServer.js'

const mail = { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 }

async function closeAll (running: RunningWorkers): Promise<void> {
  for (const closable of [...running.closables].reverse()) await closable.close()
}

/** `count` leads of one exhibitor, their outbox rows marked relayed and their jobs lost: the exhibitor and the leads' ids. */
async function leadsWithLostJobs (db: Db, count: number): Promise<{ exhibitorId: number, ids: number[] }> {
  const event = await seedEvent(db)
  const exhibitor = await seedExhibitor(db, event)
  const ids: number[] = []
  for (const attendee of await seedAttendees(db, event, count)) ids.push(await uploadLead(db, exhibitor, attendee.code))
  await db.updateTable('outbox').set({ relayed_at: sql`now()` }).execute()
  return { exhibitorId: exhibitor.id, ids }
}

const count = async (db: Db, where: 'unenriched' | 'all'): Promise<number> => {
  let query = db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n'))
  if (where === 'unenriched') query = query.where('enriched_at', 'is', null)
  return Number((await query.executeTakeFirstOrThrow()).n)
}

t.test('jobs relayed into a Redis that restarts without persistence: the reconciler queues them again', async (t) => {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase('worker_reconcile_lost')
  const db = testDb.db
  const prefix = testPrefix('reconcilelost')
  t.teardown(async () => {
    await redisServer.stop()
    await testDb.drop()
  })
  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 12)
  const exhibitors = [await seedExhibitor(db, event, { name: 'First' }), await seedExhibitor(db, event, { name: 'Second' })]
  for (const exhibitor of exhibitors) {
    for (const attendee of attendees) await uploadLead(db, exhibitor, attendee.code)
  }
  // Re-uploads: more outbox rows than leads.
  for (const attendee of attendees.slice(0, 4)) await uploadLead(db, exhibitors[0], attendee.code)
  // send_access_code requests: one whose API process went away before it settled it, one whose
  // worker and API went away while sending, and one still waiting, with time left, for its job.
  const pending = await queries.mailRequests.createMailRequest(db, exhibitors[0].id, 1000)
  const sending = await queries.mailRequests.createMailRequest(db, exhibitors[1].id, 1000)
  await db.updateTable('mail_requests').set({ status: 'sending' }).where('id', '=', sending).execute()
  const waiting = await queries.mailRequests.createMailRequest(db, exhibitors[0].id, 60_000)
  const producers = await producersFor(t, redisServer.url, prefix)
  await producers.queues[QUEUES.email].add(JOBS.accessCodeEmail, { mail_request_id: waiting }, { jobId: waiting })

  // The relay hands every row to Redis and marks it relayed; no worker takes the jobs yet.
  const relay = new OutboxRelay({ db, queues: producers.queues, redisReady: producers.ready, log: silentLog, idleMs: 20 })
  relay.start()
  await waitFor('every row relayed', async () => (await queries.outbox.countPending(db)) === 0)
  await relay.close()
  t.equal(relay.relayed, 28, 'every upload became a job')
  const relayedJobs = await producers.queues[QUEUES.leadEnrichment].getJobs(['waiting'])
  t.equal(new Set(relayedJobs.flatMap((job) => job.data.lead_ids)).size, 24, 'every lead waiting in Redis, in batches')

  // Redis restarts without persistence: every job is gone, and the outbox says they were relayed.
  await redisServer.stop()
  await redisServer.start()
  await waitFor('the producer connection back', async () => producers.ready())
  t.equal((await producers.queues[QUEUES.leadEnrichment].getJobCounts('waiting')).waiting, 0, 'the jobs are lost')
  t.equal(await queries.outbox.countPending(db), 0, 'nothing left for the relay')
  t.equal(await count(db, 'unenriched'), 24)

  const running = startWorkers({ db, redisUrl: redisServer.url, prefix, log: silentLog, mail, relay: { idleMs: 50 }, reconciler: { intervalMs: 200, afterMs: 1000 } })
  t.teardown(async () => { await closeAll(running) })
  await waitFor('every lead enriched', async () => (await count(db, 'unenriched')) === 0, 30_000, 100)
  t.equal(await count(db, 'all'), 24)
  const counts = await db.selectFrom('exhibitors').select(['id', 'lead_count']).orderBy('id').execute()
  t.same(counts, [{ id: exhibitors[0].id, lead_count: 12 }, { id: exhibitors[1].id, lead_count: 12 }], 'lead_count exact')
  const lead = await db.selectFrom('leads').select('data').orderBy('id').executeTakeFirstOrThrow()
  t.match(lead.data?.[0], { id: 'attendee_name', value: /^Ada Lovelace \d+$/ }, 'the snapshot is there')

  const status = async (id: string) => (await queries.mailRequests.getMailRequestState(db, id))?.status
  await waitFor('the mail requests settled', async () =>
    (await Promise.all([pending, sending, waiting].map(status))).every((s) => s !== 'pending' && s !== 'sending'), 30_000, 100)
  t.equal(await status(pending), 'abandoned', 'left pending past its deadline: abandoned, never sent later')
  t.equal(await status(sending), 'unconfirmed', 'left sending past its deadline: unconfirmed, never sent again')
  t.equal(await status(waiting), 'sent', 'its job lost, queued again while its deadline allowed: sent')
})

t.test('the reconciler takes leads not enriched since their last change, once per change', async (t) => {
  const testDb = await createTestDatabase('worker_reconcile_once')
  const db = testDb.db
  const prefix = testPrefix('reconcileonce')
  t.teardown(async () => {
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const { ids } = await leadsWithLostJobs(db, 5)
  const producers = await producersFor(t, sharedRedisUrl, prefix)
  const queue = producers.queues[QUEUES.leadEnrichment]
  // Pages of two, to walk past the first page.
  const reconciler = new Reconciler({ db, queues: producers.queues, redisReady: producers.ready, log: silentLog, afterMs: 1000, batchSize: 2, pruneEveryMs: 60_000, mailMarginMs: 2000 })

  t.same(await reconciler.reconcileOnce(), { leads: 0, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'changed too recently: their jobs may still be on the way')
  await db.updateTable('leads').set({ last_upload: sql`now() - interval '2 seconds'` }).execute()
  // Two of them were enriched after their last change.
  await db.updateTable('leads').set({ enriched_at: sql`now()` }).where('id', 'in', ids.slice(0, 2)).execute()

  t.same(await reconciler.reconcileOnce(), { leads: 3, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 })
  // The batches waiting, each as its lead ids.
  const waiting = async () => (await queue.getJobs(['waiting'])).map((job) => job.data.lead_ids as number[])
    .sort((a, b) => a[0] - b[0] || a.length - b.length)
  t.same(await waiting(), [ids.slice(2, 4), ids.slice(4)], 'a batch per page of leads without their enrichment')
  await reconciler.reconcileOnce()
  t.same(await waiting(), [ids.slice(2, 4), ids.slice(4)], 'a second run adds nothing')

  // A lead enriched before its last change is found again, in a batch of its own for that change.
  await db.updateTable('leads').set({ enriched_at: sql`now() - interval '1 hour'` }).where('id', '=', ids[0]).execute()
  t.same(await reconciler.reconcileOnce(), { leads: 4, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 })
  t.same(await waiting(), [[ids[0], ids[2]], ids.slice(2, 4), ids.slice(3, 5), ids.slice(4)])
  const changed = await db.selectFrom('leads').select(['id', sql<string>`(extract(epoch from last_upload) * 1000000)::bigint::text`.as('changed')])
    .where('id', 'in', [ids[0], ids[2]]).orderBy('id').execute()
  t.ok(await queue.getJob(reconcileBatchJobId(changed)), 'its job id names the leads and their changes')

  // A backlog means late jobs, not lost ones: the leads are left alone.
  const patient = new Reconciler({ db, queues: producers.queues, redisReady: producers.ready, log: silentLog, afterMs: 1000, backlogMs: 300, pruneEveryMs: 60_000, mailMarginMs: 2000 })
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.same(await patient.reconcileOnce(), { leads: null, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'the lead queue has waited 400 ms: behind')
  t.equal((await waiting()).length, 4, 'nothing added')
  await queue.drain()
  t.same(await patient.reconcileOnce(), { leads: 4, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'no backlog: queued again')
  t.same(await waiting(), [[ids[0], ...ids.slice(2)]], 'in one batch')
  await db.insertInto('outbox').values({ topic: 'lead.enrich', payload: JSON.stringify({ lead_id: ids[1] }), created_at: sql`now() - interval '1 second'` }).execute()
  t.same(await patient.reconcileOnce(), { leads: null, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'the relay has a row pending for a second: behind')
})

t.test('a page of leads whose reconcile job failed and is kept in Redis: the next run replaces it, and the leads get enriched', async (t) => {
  const testDb = await createTestDatabase('worker_reconcile_failed')
  const db = testDb.db
  const prefix = testPrefix('reconcilefailed')
  const redis = createRedis(sharedRedisUrl)
  await redis.connect()
  t.teardown(async () => {
    await closeRedis(redis)
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const { exhibitorId, ids } = await leadsWithLostJobs(db, 3)
  // Changed long enough ago for the reconciler.
  await db.updateTable('leads').set({ last_upload: sql`now() - interval '2 seconds'` }).execute()
  const producers = await producersFor(t, sharedRedisUrl, prefix)
  const queue = producers.queues[QUEUES.leadEnrichment]
  const reconciler = new Reconciler({ db, queues: producers.queues, redisReady: producers.ready, log: silentLog, afterMs: 1000, pruneEveryMs: 60_000, mailMarginMs: 2000 })

  t.same(await reconciler.reconcileOnce(), { leads: 3, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 })
  const changed = await db.selectFrom('leads').select(['id', sql<string>`(extract(epoch from last_upload) * 1000000)::bigint::text`.as('changed')])
    .orderBy('id').execute()
  const jobId = reconcileBatchJobId(changed.map((row) => ({ id: Number(row.id), changed: row.changed })))
  t.same((await queue.getJob(jobId))?.data, { lead_ids: ids }, 'one job for the page')

  // The job fails for good (an error that allows no further attempt), and BullMQ keeps it in its
  // failed set under the page's id.
  const failing = new Worker(QUEUES.leadEnrichment, async () => { throw new UnrecoverableError('the enrichment failed') }, { connection: redis, prefix })
  failing.on('error', () => {})
  await waitFor('the job failed', async () => (await queue.getJobState(jobId)) === 'failed')
  await failing.close()
  t.equal(await count(db, 'unenriched'), 3, 'no lead enriched')

  t.same(await reconciler.reconcileOnce(), { leads: 3, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'the same page found again')
  t.equal(await queue.getJobState(jobId), 'waiting', 'the failed job replaced by one that waits, under the same id')

  const running = startWorkers({ db, redisUrl: sharedRedisUrl, prefix, log: silentLog, mail, relay: false, reconciler: false })
  t.teardown(async () => { await closeAll(running) })
  await waitFor('every lead enriched', async () => (await count(db, 'unenriched')) === 0, 10_000)
  const leads = await db.selectFrom('leads').select(['id', 'data', sql<boolean>`enriched_at >= last_upload`.as('current')]).orderBy('id').execute()
  t.same(leads.map((lead) => [Number(lead.id), lead.current]), ids.map((id) => [id, true]), 'each lead enriched after its change')
  for (const lead of leads) t.match(lead.data?.[0], { id: 'attendee_name', value: /^Ada Lovelace \d+$/ }, 'with its snapshot')
  const stored = await db.selectFrom('exhibitors').select('lead_count').where('id', '=', exhibitorId).executeTakeFirstOrThrow()
  t.equal(stored.lead_count, 3, 'lead_count exact')
  // The job commits its enrichment before BullMQ moves it on: on a busy machine it is still active here.
  await waitFor('its job moved on', async () => (await queue.getJobState(jobId)) !== 'active', 5_000)
  t.equal(await queue.getJobState(jobId), 'completed')
  t.same(await reconciler.reconcileOnce(), { leads: 0, mailQueued: 0, mailSettled: 0, webhookFanOuts: 0, webhookDeliveries: 0 }, 'nothing left to do')
})

t.test('pruning is a job scheduler, recreated when Redis lost it', async (t) => {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase('worker_prune')
  const db = testDb.db
  const prefix = testPrefix('prune')
  t.teardown(async () => {
    await redisServer.stop()
    await testDb.drop()
  })
  const producers = await producersFor(t, redisServer.url, prefix)
  const running = startWorkers({
    db,
    redisUrl: redisServer.url,
    prefix,
    log: silentLog,
    mail,
    relay: false,
    reconciler: { intervalMs: 200 },
    prune: { everyMs: 300, outboxRetentionSeconds: 3600 }
  })
  t.teardown(async () => { await closeAll(running) })

  const expired = async () => {
    await sql`insert into idempotency_keys (auth_hash, key, method, path, created_at)
      select 'h', 'old-' || g, 'POST', '/x', now() - interval '25 hours' from generate_series(1, 3) g`.execute(db)
    await sql`insert into outbox (topic, payload, relayed_at)
      select 'lead.enrich', '{"lead_id": 1}', now() - interval '2 hours' from generate_series(1, 3) g`.execute(db)
  }
  const left = async () => ({
    keys: (await db.selectFrom('idempotency_keys').select('key').execute()).map((row) => row.key),
    outbox: Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  })
  await db.insertInto('idempotency_keys').values({ auth_hash: 'h', key: 'fresh', method: 'POST', path: '/x' }).execute()
  await db.insertInto('outbox').values({ topic: 'lead.enrich', payload: JSON.stringify({ lead_id: 2 }), relayed_at: sql`now()` }).execute()
  await expired()

  const maintenance = producers.queues[QUEUES.maintenance]
  const scheduler = await waitFor('the scheduler', async () => await maintenance.getJobScheduler(PRUNE_SCHEDULER))
  t.equal(Number(scheduler.every), 300)
  await waitFor('expired rows pruned', async () => (await left()).keys.length === 1)
  t.same(await left(), { keys: ['fresh'], outbox: 1 }, 'expired keys and old relayed rows go; fresh ones stay')

  // Redis loses everything, the scheduler with it; the reconciler puts it back.
  await redisServer.stop()
  await redisServer.start()
  await waitFor('the producer connection back', async () => producers.ready())
  await expired()
  await waitFor('the scheduler back', async () => await maintenance.getJobScheduler(PRUNE_SCHEDULER), 30_000)
  await waitFor('pruned again', async () => (await left()).keys.length === 1, 30_000)
  t.same(await left(), { keys: ['fresh'], outbox: 1 })
})

import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { seedEvent, waitFor } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { JOBS, QUEUES, webhookDeliveryJobId } from '@showfloor/schemas'
import { OutboxRelay } from '../src/outboxRelay.js'
import { Reconciler } from '../src/reconciler.js'
import { startWorkers, type WorkersOptions } from '../src/workers.js'
import { privateQueues } from './support/privateQueues.js'
import { producersFor, silentLog } from './support/queues.js'
import { startReceiver, type Receiver } from './support/receiver.js'
import { callsOf, createHook, mail, writeNotification } from './support/webhooks.js'

// Webhook work survives a Redis that loses its data (contract sections 9 and 13), on a redis-server
// of the test's own: its FLUSHALL never touches the machine's shared Redis. The receiver verifies
// every request with the standardwebhooks library.

type Private = Awaited<ReturnType<typeof privateQueues>>

/** Everything the private Redis holds is gone, as after a restart without persistence or a failover. */
async function flushAll (p: Private): Promise<void> {
  const admin = createRedis(p.redisServer.url)
  admin.on('error', () => {})
  await admin.connect()
  try {
    await admin.flushall()
  } finally {
    await closeRedis(admin)
  }
}

async function receiverFor (t: Test): Promise<Receiver> {
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  return receiver
}

function workersFor (t: Test, p: Private, options: Partial<WorkersOptions>) {
  const running = startWorkers({ db: p.db, redisUrl: p.redisServer.url, prefix: p.prefix, log: silentLog, mail, ...options })
  t.teardown(async () => { for (const closable of [...running.closables].reverse()) await closable.close() })
  return running
}

async function slugs (db: Db, eventId: number): Promise<{ organizer: string, event: string }> {
  return await db.selectFrom('events').innerJoin('organizers', 'organizers.id', 'events.organizer_id')
    .select(['organizers.slug as organizer', 'events.slug as event']).where('events.id', '=', eventId).executeTakeFirstOrThrow()
}

/** The notification ids a path received with a valid signature, each as often as it came. */
const verifiedIds = (receiver: Receiver, path: string) =>
  receiver.at(path).filter((r) => r.verified !== null).map((r) => r.headers['webhook-id'] as string).sort()

async function deliveryStates (db: Db): Promise<Array<{ webhook_id: number, notification_id: string, state: string, attempts: number }>> {
  return await db.selectFrom('webhook_deliveries').select(['webhook_id', 'notification_id', 'state', 'attempts'])
    .orderBy('webhook_id').orderBy('notification_id').execute()
}

const webhooks = { allowPrivate: true, firstRetryMs: 200, maxRetryMs: 1000, timeoutMs: 2000 }

t.test('Redis loses its data after the relay, before the fan-out: the reconciler fans out again, every notification arrives', async (t) => {
  const p = await privateQueues(t, 'wh_lost_fanout')
  const { db } = p
  const receiver = await receiverFor(t)
  const event = await seedEvent(db)
  const { organizer, event: eventSlug } = await slugs(db, event.eventId)
  const orders = await createHook(db, event.organizerId, { target: receiver.url('/orders'), actions: ['pretix.event.order.placed'] })
  const all = await createHook(db, event.organizerId, { target: receiver.url('/all'), actions: ['pretix.event.order.placed', 'showfloor.exhibitor.changed'] })
  receiver.setSecret('/orders', orders.secret)
  receiver.setSecret('/all', all.secret)
  const placed: string[] = []
  const changed: string[] = []
  for (let i = 0; i < 8; i++) placed.push(await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: `LOST${i}` }))
  for (let i = 0; i < 3; i++) changed.push(await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.changed', { exhibitor: i + 1 }))
  // Nobody listens for this one: its fan-out finds no webhook, and that too must count as done.
  const unheard = await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.deleted', { exhibitor: 1 })

  // The relay hands the rows to Redis and marks them relayed; no worker takes the fan-out yet.
  const producers = await producersFor(t, p.redisServer.url, p.prefix)
  const relay = new OutboxRelay({ db, queues: producers.queues, redisReady: producers.ready, log: silentLog, idleMs: 20, batchSize: 5 })
  relay.start()
  await waitFor('every row relayed', async () => (await queries.outbox.countPending(db)) === 0)
  await relay.close()
  t.ok((await p.inspect[QUEUES.webhooks].getWaitingCount()) >= 3, 'the fan-out jobs wait in Redis')

  await flushAll(p)
  t.equal((await p.inspect[QUEUES.webhooks].getJobCounts('waiting')).waiting, 0, 'the fan-out jobs are lost')
  t.equal(await queries.outbox.countPending(db), 0, 'and nothing is left for the relay')

  workersFor(t, p, { relay: { idleMs: 50 }, reconciler: { intervalMs: 200, afterMs: 500 }, webhooks })
  await waitFor('every notification delivered', async () =>
    verifiedIds(receiver, '/orders').length >= 8 && verifiedIds(receiver, '/all').length >= 11, 30_000, 100)
  await waitFor('every delivery stored as delivered', async () =>
    (await deliveryStates(db)).filter((d) => d.state === 'delivered').length === 19, 10_000)
  // A few more runs of the reconciler: nothing is queued twice.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.same(verifiedIds(receiver, '/orders'), [...placed].sort(), 'each order notification once, signed')
  t.same(verifiedIds(receiver, '/all'), [...placed, ...changed].sort(), 'each listened-for notification once, signed')
  t.equal(receiver.received.length, 19, 'nothing else, nothing twice')
  const marks = await db.selectFrom('webhook_fanouts').select('notification_id').execute()
  t.same(marks.map((m) => m.notification_id).sort(), [...placed, ...changed, unheard].sort(), 'every notification marked fanned out, the unheard one too')
  t.ok((await deliveryStates(db)).every((d) => d.state === 'delivered' && d.attempts === 1), 'every delivery delivered at its first attempt')
})

t.test('Redis loses its data while deliveries wait for their retry: once the receiver is back, each is delivered, as a retry', async (t) => {
  const p = await privateQueues(t, 'wh_lost_retry')
  const { db } = p
  const receiver = await receiverFor(t)
  const event = await seedEvent(db)
  const { organizer, event: eventSlug } = await slugs(db, event.eventId)
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/flaky'), actions: ['pretix.event.order.placed'] })
  receiver.setSecret('/flaky', hook.secret)
  let down = true
  receiver.answer('/flaky', () => down ? { status: 500, body: 'down' } : { status: 200 })

  // The first retry waits 4 s in Redis: long enough to lose it there.
  workersFor(t, p, {
    relay: { idleMs: 50 },
    reconciler: { intervalMs: 200, afterMs: 500 },
    webhooks: { ...webhooks, firstRetryMs: 4000, maxRetryMs: 8000 }
  })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: `RETRY${i}` }))
  await waitFor('every first attempt failed and logged', async () => (await callsOf(db, hook.id)).length === 5, 10_000, 20)
  const delivery = p.inspect[QUEUES.webhookDelivery]
  await waitFor('the retries wait in Redis', async () => (await delivery.getDelayedCount()) === 5, 2000, 20)
  t.same((await deliveryStates(db)).map((d) => [d.state, d.attempts]), Array(5).fill(['pending', 1]), 'stored as pending after one attempt')

  await flushAll(p)
  t.equal(await delivery.getDelayedCount(), 0, 'the retries are lost')
  down = false

  await waitFor('every notification delivered', async () => (await callsOf(db, hook.id)).filter((c) => c.success).length === 5, 30_000, 100)
  await waitFor('every delivery stored as delivered', async () => (await deliveryStates(db)).every((d) => d.state === 'delivered'), 10_000)
  const calls = await callsOf(db, hook.id)
  t.equal(calls.length, 10, 'two attempts each')
  for (const id of ids) {
    const mine = calls.filter((c) => c.notification_id === id)
    t.same(mine.map((c) => [c.return_code, c.success, c.is_retry]), [[500, false, false], [200, true, true]],
      'the attempt after the loss is logged as a retry (the stored attempts, not BullMQ\'s counters, which started again)')
  }
  t.same((await deliveryStates(db)).map((d) => [d.state, d.attempts]), Array(5).fill(['delivered', 2]))
  const accepted = receiver.at('/flaky').slice(5)
  t.same(accepted.map((r) => r.verified === null ? null : r.headers['webhook-id']).sort(), [...ids].sort(), 'each accepted once, signed')
})

t.test('the reconciler run twice and the fan-out run twice add no second delivery; a delivery job that ended while its row is pending is replaced', async (t) => {
  const p = await privateQueues(t, 'wh_twice')
  const { db } = p
  const receiver = await receiverFor(t)
  const event = await seedEvent(db)
  const { organizer, event: eventSlug } = await slugs(db, event.eventId)
  const a = await createHook(db, event.organizerId, { target: receiver.url('/a'), actions: ['pretix.event.order.placed'] })
  const b = await createHook(db, event.organizerId, { target: receiver.url('/b'), actions: ['pretix.event.order.placed'] })
  receiver.setSecret('/a', a.secret)
  receiver.setSecret('/b', b.secret)
  const ids: string[] = []
  for (let i = 0; i < 6; i++) ids.push(await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: `TWICE${i}` }))
  // Relayed two seconds ago, and the jobs lost.
  await db.updateTable('outbox').set({ relayed_at: sql`now() - interval '2 seconds'` }).execute()

  const producers = await producersFor(t, p.redisServer.url, p.prefix)
  // Pages of four, to walk past the first page.
  const reconciler = new Reconciler({
    db, queues: producers.queues, redisReady: producers.ready, log: silentLog, afterMs: 1000, batchSize: 4, pruneEveryMs: 60_000, mailMarginMs: 2000
  })
  const fanOuts = p.inspect[QUEUES.webhooks]
  t.match(await reconciler.reconcileOnce(), { webhookFanOuts: 6, webhookDeliveries: 0 }, 'every notification\'s fan-out queued again')
  t.equal(await fanOuts.getWaitingCount(), 2, 'a job per page')
  t.match(await reconciler.reconcileOnce(), { webhookFanOuts: 0, webhookDeliveries: 0 }, 'a second run adds nothing')
  t.equal(await fanOuts.getWaitingCount(), 2)

  const running = workersFor(t, p, { relay: false, reconciler: false, webhooks })
  await waitFor('every notification delivered to both', async () => receiver.received.length >= 12)
  await waitFor('every delivery stored as delivered', async () => (await deliveryStates(db)).filter((d) => d.state === 'delivered').length === 12)
  t.match(await reconciler.reconcileOnce(), { webhookFanOuts: 0, webhookDeliveries: 0 }, 'once fanned out and delivered, nothing to do')

  // The same notifications fanned out again, after Redis forgot the finished delivery jobs (so
  // their ids alone cannot keep them from running again): the stored deliveries do.
  const deliveries = p.inspect[QUEUES.webhookDelivery]
  await deliveries.clean(0, 1000, 'completed')
  t.equal(await deliveries.getCompletedCount(), 0)
  const notifications = (await db.selectFrom('outbox').select('payload').orderBy('id').execute()).map((row) => row.payload)
  await fanOuts.add(JOBS.webhookNotifyBatch, { notifications }, { jobId: 'again' })
  const again = await waitFor('the second fan-out', async () => (await fanOuts.getJobState('again')) === 'completed' ? await fanOuts.getJob('again') : undefined)
  t.same(again.returnvalue, { notifications: 6, deliveries: 0 }, 'it adds no delivery')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(verifiedIds(receiver, '/a'), [...ids].sort(), 'each notification once to the first webhook')
  t.same(verifiedIds(receiver, '/b'), [...ids].sort(), 'and once to the second')
  t.equal(receiver.received.length, 12)

  // A delivery whose job ended in Redis (its attempts ran out: here one attempt allowed) while its
  // row is still pending: BullMQ would ignore an add under the same id; the reconciler replaces it.
  const stale = await createHook(db, event.organizerId, { target: receiver.url('/stale'), actions: ['showfloor.exhibitor.changed'] })
  receiver.setSecret('/stale', stale.secret)
  let down = true
  receiver.answer('/stale', () => down ? { status: 503 } : { status: 200 })
  const id = await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.changed', { exhibitor: 7 })
  const notification = (await db.selectFrom('outbox').select('payload').orderBy('id', 'desc').executeTakeFirstOrThrow()).payload
  const jobId = webhookDeliveryJobId(stale.id, id)
  await deliveries.add(JOBS.webhookDeliver, { webhook_id: stale.id, notification }, { jobId, attempts: 1 })
  await waitFor('the job failed', async () => (await deliveries.getJobState(jobId)) === 'failed')
  t.same((await queries.webhooks.listDeliveries(db, id)).map((d) => [d.webhook_id, d.state, d.attempts]), [[stale.id, 'pending', 1]], 'the delivery is pending')
  down = false
  // Its retry was due 200 ms after the failure; the reconciler waits a second past that.
  await new Promise((resolve) => setTimeout(resolve, 1300))
  t.match(await reconciler.reconcileOnce(), { webhookDeliveries: 1 }, 'queued again')
  t.match(await reconciler.reconcileOnce(), { webhookDeliveries: 0 }, 'a second run finds its job in hand or done')
  await waitFor('delivered', async () => (await queries.webhooks.listDeliveries(db, id))[0]?.state === 'delivered')
  t.same(verifiedIds(receiver, '/stale'), [id, id], 'the attempt that failed, then one that got through, both signed')
  t.same((await callsOf(db, stale.id)).map((c) => [c.return_code, c.is_retry]), [[503, false], [200, true]])
  t.match(await reconciler.reconcileOnce(), { webhookFanOuts: 0, webhookDeliveries: 0 })
  t.ok(running.workers[QUEUES.webhookDelivery].isRunning())
})

import t from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { seedEvent } from '@showfloor/db/testing'
import { JOBS, QUEUES, webhookDeliveryJobId, type WebhookActionType, type WebhookNotification } from '@showfloor/schemas'
import { WEBHOOK_DEFAULTS } from '../src/processors/webhookDelivery.js'
import { webhookBatchJobId } from '../src/processors/webhookDeliveryBatch.js'
import { callsOf, createHook, waitFor, webhookSetup } from './support/webhooks.js'
import type { Receiver } from './support/receiver.js'

// First attempts in batches: one job per webhook and fan-out batch, its calls logged and its
// deliveries moved on together; each failed one retried as a delivery job of its own.

const ACTION: WebhookActionType = 'showfloor.exhibitor.changed'

/** A fresh organizer and event (so no other test's webhook listens), as slugs. */
async function freshEvent (db: Db) {
  const event = await seedEvent(db)
  const row = await db.selectFrom('events').innerJoin('organizers', 'organizers.id', 'events.organizer_id')
    .select(['organizers.slug as organizer', 'events.slug as event']).where('events.id', '=', event.eventId).executeTakeFirstOrThrow()
  return { ...event, ...row }
}

function notificationsFor (organizer: string, event: string, n: number): WebhookNotification[] {
  return Array.from({ length: n }, (_, i) => ({ id: crypto.randomUUID(), organizer, event, action: ACTION, created_at: new Date().toISOString(), exhibitor: i + 1 }))
}

/** Notifications written to the outbox in one statement, so one relayed batch carries them all. */
async function writeNotifications (db: Db, organizer: string, event: string, n: number): Promise<string[]> {
  const notifications = notificationsFor(organizer, event, n)
  await db.insertInto('outbox').values(notifications.map((payload) => ({ topic: JOBS.webhookNotify, payload: JSON.stringify(payload) }))).execute()
  return notifications.map((n) => n.id)
}

async function states (db: Db, webhookId: number): Promise<Map<string, [string, number]>> {
  const rows = await db.selectFrom('webhook_deliveries').select(['notification_id', 'state', 'attempts']).where('webhook_id', '=', webhookId).execute()
  return new Map(rows.map((r) => [r.notification_id, [r.state, r.attempts]]))
}

/** The ids a path received with a verified signature, in arrival order. */
function verifiedIds (receiver: Receiver, path: string): string[] {
  return receiver.at(path).filter((r) => r.verified !== null).map((r) => String(r.headers['webhook-id']))
}

t.test('batched first attempts', async (t) => {
  const s = await webhookSetup(t, 'webhook_batches', { allowPrivate: true, firstRetryMs: 300, maxRetryMs: 1000, timeoutMs: 1500 })
  const { db, receiver } = s
  const deliveryQueue = s.inspect[QUEUES.webhookDelivery]
  const lagCount = async () => {
    const metric = await s.registry.getSingleMetricAsString('showfloor_webhook_delivery_lag_seconds')
    return Number(/showfloor_webhook_delivery_lag_seconds_count (\d+)/.exec(metric)?.[1] ?? 0)
  }

  t.test('150 notifications to one webhook: two batch jobs, every one delivered once, signed, logged as a first attempt', async (t) => {
    const e = await freshEvent(db)
    const hook = await createHook(db, e.organizerId, { target: s.receiver.url('/bulk'), actions: [ACTION] })
    receiver.setSecret('/bulk', hook.secret)
    const lagBefore = await lagCount()
    const ids = await writeNotifications(db, e.organizer, e.event, 150)
    await waitFor('every delivery stored as delivered', async () =>
      [...(await states(db, hook.id)).values()].filter(([state]) => state === 'delivered').length === 150, 30_000, 50)
    t.same(verifiedIds(receiver, '/bulk').sort(), [...ids].sort(), 'each once, every signature verified')
    t.equal(receiver.at('/bulk').length, 150, 'nothing else')
    const calls = await callsOf(db, hook.id)
    t.equal(calls.length, 150)
    t.ok(calls.every((c) => c.success && c.return_code === 200 && !c.is_retry), 'every call a successful first attempt')
    t.same([...(await states(db, hook.id)).values()], Array(150).fill(['delivered', 1]))
    const batches = (await deliveryQueue.getJobs(['completed'])).filter((j) => j.data.webhook_id === hook.id)
    t.same(batches.map((j) => [j.name, j.data.notifications.length]).sort(), [[JOBS.webhookDeliverBatch, 100], [JOBS.webhookDeliverBatch, 50]],
      'one batch job per 100 notifications, no job per delivery')
    t.same(batches.map((j) => j.id).sort(), [webhookBatchJobId(hook.id, ids.slice(0, 100)), webhookBatchJobId(hook.id, ids.slice(100))].sort())
    t.equal(await lagCount() - lagBefore, 150, 'the lag observed per delivered notification')
  })

  t.test('a receiver failing every other notification, then recovering: all arrive; the failed ones are retried as delivery jobs', async (t) => {
    const e = await freshEvent(db)
    const hook = await createHook(db, e.organizerId, { target: s.receiver.url('/half'), actions: [ACTION] })
    receiver.setSecret('/half', hook.secret)
    const ids = await writeNotifications(db, e.organizer, e.event, 12)
    const failing = new Set(ids.filter((_, i) => i % 2 === 0))
    const tries = new Map<string, number>()
    receiver.answer('/half', (request) => {
      const id = String(request.headers['webhook-id'])
      tries.set(id, (tries.get(id) ?? 0) + 1)
      return failing.has(id) && tries.get(id) === 1 ? { status: 500, body: 'not now' } : { status: 200 }
    })
    await waitFor('every delivery stored as delivered', async () =>
      [...(await states(db, hook.id)).values()].filter(([state]) => state === 'delivered').length === 12, 20_000, 50)
    t.same([...new Set(verifiedIds(receiver, '/half'))].sort(), [...ids].sort(), 'all arrived, signed')
    const calls = await callsOf(db, hook.id)
    for (const id of ids) {
      const mine = calls.filter((c) => c.notification_id === id).map((c) => [c.return_code, c.success, c.is_retry])
      if (failing.has(id)) t.same(mine, [[500, false, false], [200, true, true]], 'failed, then delivered by its retry')
      else t.same(mine, [[200, true, false]], 'delivered at once')
    }
    const all = await states(db, hook.id)
    t.same(ids.map((id) => all.get(id)), ids.map((id) => ['delivered', failing.has(id) ? 2 : 1]))
    for (const id of ids) {
      const retry = await deliveryQueue.getJob(webhookDeliveryJobId(hook.id, id))
      if (failing.has(id)) t.equal(retry?.name, JOBS.webhookDeliver, 'a delivery job of its own for the retry')
      else t.equal(retry, undefined, 'no job of its own')
    }
  })

  t.test('410 within a batch disables the webhook; the batch\'s deliveries not yet tried and later notifications are skipped', async (t) => {
    const e = await freshEvent(db)
    const hook = await createHook(db, e.organizerId, { target: s.receiver.url('/gone'), actions: [ACTION] })
    receiver.answer('/gone', (_, nth) => nth <= 3 ? { status: 200 } : { status: 410, body: 'gone' })
    const ids = await writeNotifications(db, e.organizer, e.event, 40)
    await waitFor('every delivery ended', async () => {
      const all = [...(await states(db, hook.id)).values()]
      return all.length === 40 && all.every(([state]) => state !== 'pending')
    }, 20_000, 50)
    t.equal((await db.selectFrom('webhooks').select('enabled').where('id', '=', hook.id).executeTakeFirstOrThrow()).enabled, false, 'disabled')
    const got = receiver.at('/gone')
    const all = await states(db, hook.id)
    const count = (state: string) => [...all.values()].filter(([s]) => s === state).length
    t.equal(count('delivered'), 3, 'the ones answered 200')
    t.equal(count('disabled'), got.length - 3, 'each answered 410')
    t.equal(count('skipped'), 40 - got.length, 'the rest skipped')
    t.ok(got.length < 40, `${got.length} of 40 sent`)
    t.same((await callsOf(db, hook.id)).map((c) => c.notification_id).sort(), got.map((r) => String(r.headers['webhook-id'])).sort(), 'every call logged')
    t.ok(ids.filter((id) => all.get(id)?.[0] === 'skipped').every((id) => !got.some((r) => r.headers['webhook-id'] === id)), 'no skipped one sent')

    await writeNotifications(db, e.organizer, e.event, 5)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    t.equal(receiver.at('/gone').length, got.length, 'nothing sent after')
    t.equal((await states(db, hook.id)).size, 40, 'nor stored for a disabled webhook')
  })

  t.test('a batch job for a disabled webhook skips its deliveries; one for a deleted webhook ends quietly; delivered ones are left out', async (t) => {
    const e = await freshEvent(db)
    const off = await createHook(db, e.organizerId, { target: s.receiver.url('/off'), actions: [], enabled: false })
    const on = await createHook(db, e.organizerId, { target: s.receiver.url('/on'), actions: [] })
    receiver.setSecret('/on', on.secret)
    const notifications = notificationsFor(e.organizer, e.event, 3)
    const row = (webhookId: number, n: WebhookNotification, state: 'pending' | 'delivered') =>
      ({ webhook_id: webhookId, notification_id: n.id, notification: JSON.stringify(n), state })
    await db.insertInto('webhook_deliveries').values([
      ...notifications.map((n) => row(off.id, n, 'pending')),
      row(on.id, notifications[0], 'delivered'), row(on.id, notifications[1], 'pending'), row(on.id, notifications[2], 'pending')
    ]).execute()
    const run = async (webhookId: number, jobId: string) => {
      await deliveryQueue.add(JOBS.webhookDeliverBatch, { webhook_id: webhookId, notifications }, { jobId })
      return await waitFor(jobId, async () => (await deliveryQueue.getJobState(jobId)) === 'completed' ? await deliveryQueue.getJob(jobId) : undefined)
    }
    t.same((await run(off.id, 'off')).returnvalue, { delivered: 0, failed: 0, skipped: 3, givenUp: 0, deferred: 0 })
    t.same([...(await states(db, off.id)).values()], Array(3).fill(['skipped', 0]))
    t.equal(receiver.at('/off').length, 0)
    t.same(await callsOf(db, off.id), [])

    t.same((await run(on.id, 'on')).returnvalue, { delivered: 2, failed: 0, skipped: 0, givenUp: 0, deferred: 0 })
    t.same(verifiedIds(receiver, '/on').sort(), [notifications[1].id, notifications[2].id].sort(), 'the delivered one is not sent again')

    t.same((await run(2_000_000, 'deleted')).returnvalue, { skipped: 'the webhook was deleted' })
  })

  t.test('a receiver slower than the timeout holds up neither another webhook\'s batch nor its own batch past about one timeout', async (t) => {
    const e = await freshEvent(db)
    const slow = await createHook(db, e.organizerId, { target: s.receiver.url('/slow'), actions: [ACTION] })
    const fast = await createHook(db, e.organizerId, { target: s.receiver.url('/fast'), actions: [ACTION] })
    receiver.answer('/slow', () => ({ status: 200, delayMs: 30_000 }))
    const ids = await writeNotifications(db, e.organizer, e.event, 20)
    await waitFor('every fast delivery', async () => receiver.at('/fast').length >= 20, 10_000, 20)
    t.equal((await callsOf(db, slow.id)).length, 0, 'the fast webhook\'s batch was done before any slow attempt ended')
    t.ok(receiver.at('/slow').length >= 1, 'while the slow one was being called')
    const first = await waitFor('the slow batch job', async () => {
      const id = webhookBatchJobId(slow.id, ids)
      return (await deliveryQueue.getJobState(id)) === 'completed' ? await deliveryQueue.getJob(id) : undefined
    }, 10_000, 50)
    const lanes = WEBHOOK_DEFAULTS.batchConcurrency
    t.same(first.returnvalue, { delivered: 0, failed: lanes, skipped: 0, givenUp: 0, deferred: 20 - lanes }, `${lanes} tried at once, the rest left to a batch of their own`)
    t.ok(first.finishedOn! - first.processedOn! < 3000, `the slow batch held its slot ${first.finishedOn! - first.processedOn!} ms`)
    await waitFor('a first attempt for every slow delivery', async () => (await callsOf(db, slow.id)).filter((c) => !c.is_retry).length >= 20, 15_000, 50)
    const calls = (await callsOf(db, slow.id)).filter((c) => !c.is_retry)
    t.same(calls.map((c) => c.notification_id).sort(), [...ids].sort(), 'one first attempt each')
    t.ok(calls.every((c) => !c.success && c.return_code === null && c.execution_time >= 1.4 && c.execution_time < 3), 'each ended at the timeout')
    t.same((await callsOf(db, fast.id)).map((c) => c.success), Array(20).fill(true))
    await queries.webhooks.deleteWebhook(db, e.organizerId, slow.id)
  })

  t.test('the fan-out run again adds no second batch job, and each notification is delivered once', async (t) => {
    const e = await freshEvent(db)
    const hook = await createHook(db, e.organizerId, { target: s.receiver.url('/twice'), actions: [ACTION] })
    receiver.setSecret('/twice', hook.secret)
    const notifications = notificationsFor(e.organizer, e.event, 5)
    const worker = s.running.workers[QUEUES.webhookDelivery]
    await worker.pause()
    const waitingBefore = await deliveryQueue.getWaitingCount()
    const fanOuts = s.inspect[QUEUES.webhooks]
    const fanOut = async (jobId: string, these = notifications) => {
      await fanOuts.add(JOBS.webhookNotifyBatch, { notifications: these }, { jobId })
      return (await waitFor(jobId, async () => (await fanOuts.getJobState(jobId)) === 'completed' ? await fanOuts.getJob(jobId) : undefined)).returnvalue
    }
    t.same(await fanOut('twice-1'), { notifications: 5, deliveries: 5 })
    t.same(await fanOut('twice-2'), { notifications: 5, deliveries: 0 }, 'pending and due lately: their job is queued, nothing added')
    t.same(await fanOut('twice-part', notifications.slice(1, 3)), { notifications: 2, deliveries: 0 }, 'nor for a part of them, which a batch job of its own would send twice')
    const batchId = webhookBatchJobId(hook.id, notifications.map((n) => n.id))
    t.equal(await deliveryQueue.getWaitingCount() - waitingBefore, 1, 'one batch job')
    t.equal((await deliveryQueue.getJob(batchId))?.name, JOBS.webhookDeliverBatch)
    // A fan-out that died before adding its job (here: the job removed), the deliveries long overdue.
    await deliveryQueue.remove(batchId)
    await db.updateTable('webhook_deliveries').set({ next_attempt_at: sql`now() - interval '31 seconds'` }).where('webhook_id', '=', hook.id).execute()
    t.same(await fanOut('twice-3'), { notifications: 5, deliveries: 5 }, 'pending long past due: their job added again')
    t.equal(await deliveryQueue.getWaitingCount() - waitingBefore, 1, 'one batch job')
    worker.resume()
    await waitFor('delivered', async () => [...(await states(db, hook.id)).values()].filter(([state]) => state === 'delivered').length === 5)
    t.same(await fanOut('twice-4'), { notifications: 5, deliveries: 0 }, 'once delivered, nothing to add')
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.same(verifiedIds(receiver, '/twice').sort(), notifications.map((n) => n.id).sort(), 'each once')
    t.equal((await callsOf(db, hook.id)).length, 5)
  })
})

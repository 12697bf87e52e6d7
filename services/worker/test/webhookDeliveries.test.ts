import t from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { seedEvent } from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { PRUNE_DEFAULTS, pruneProcessor } from '../src/processors/prune.js'
import { callsOf, createHook, waitFor, webhookSetup, writeNotification } from './support/webhooks.js'

// The stored deliveries (webhook_deliveries): the state each attempt leaves them in, and pruning.

async function slugs (db: Db, eventId: number): Promise<{ organizer: string, event: string }> {
  return await db.selectFrom('events').innerJoin('organizers', 'organizers.id', 'events.organizer_id')
    .select(['organizers.slug as organizer', 'events.slug as event']).where('events.id', '=', eventId).executeTakeFirstOrThrow()
}

/** A notification's deliveries as [webhook, state, attempts]. */
async function deliveries (db: Db, notificationId: string): Promise<Array<[number, string, number]>> {
  return (await queries.webhooks.listDeliveries(db, notificationId)).map((d) => [d.webhook_id, d.state, d.attempts])
}

t.test('delivery states', async (t) => {
  const s = await webhookSetup(t, 'webhook_deliveries', { allowPrivate: true, firstRetryMs: 300, maxRetryMs: 1000, timeoutMs: 2000 })
  const { db, receiver } = s

  t.test('delivered; disabled after a 410; a notification nobody listens for is marked handled', async (t) => {
    const event = await seedEvent(db)
    const { organizer, event: eventSlug } = await slugs(db, event.eventId)
    const ok = await createHook(db, event.organizerId, { target: receiver.url('/ok'), actions: ['pretix.event.order.placed'] })
    const gone = await createHook(db, event.organizerId, { target: receiver.url('/gone'), actions: ['pretix.event.order.placed'] })
    receiver.answer('/gone', () => ({ status: 410 }))
    const id = await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'STATE1' })
    const unheard = await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.deleted', { exhibitor: 1 })
    // One read for both conditions: read twice, an empty list (before the fan-out) passed the first
    // and the two fresh pending deliveries the second.
    await waitFor('both deliveries ended', async () => {
      const list = await deliveries(db, id)
      return list.length === 2 && list.every(([, state]) => state !== 'pending')
    })
    t.same(await deliveries(db, id), [[ok.id, 'delivered', 1], [gone.id, 'disabled', 1]])
    t.equal((await db.selectFrom('webhooks').select('enabled').where('id', '=', gone.id).executeTakeFirstOrThrow()).enabled, false, 'the webhook is disabled with it')
    await waitFor('the unheard notification fanned out', async () =>
      await db.selectFrom('webhook_fanouts').select('notification_id').where('notification_id', '=', unheard).executeTakeFirst())
    t.same(await deliveries(db, unheard), [], 'no delivery for it')
  })

  t.test('a webhook disabled or deleted while its delivery waits for a retry: no further attempt', async (t) => {
    const event = await seedEvent(db)
    const { organizer, event: eventSlug } = await slugs(db, event.eventId)
    const off = await createHook(db, event.organizerId, { target: receiver.url('/off'), actions: ['pretix.event.order.placed'] })
    const deleted = await createHook(db, event.organizerId, { target: receiver.url('/deleted'), actions: ['pretix.event.order.placed'] })
    // Slow failures: each webhook changes while its first attempt is under way.
    receiver.answer('/off', () => ({ status: 500, delayMs: 500 }))
    receiver.answer('/deleted', () => ({ status: 500, delayMs: 500 }))
    const id = await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'STATE2' })
    await waitFor('both first attempts under way', async () => receiver.at('/off').length === 1 && receiver.at('/deleted').length === 1, 20_000, 10)
    await db.updateTable('webhooks').set({ enabled: false }).where('id', '=', off.id).execute()
    t.ok(await queries.webhooks.deleteWebhook(db, event.organizerId, deleted.id))
    await waitFor('the disabled webhook\'s delivery skipped', async () => (await deliveries(db, id)).some(([, state]) => state === 'skipped'))
    // Its retries would have come 300 ms, 600 ms after the failure.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    t.same(await deliveries(db, id), [[off.id, 'skipped', 1]], 'skipped after its one attempt; the deleted webhook\'s delivery went with it')
    t.same((await callsOf(db, off.id)).map((c) => c.return_code), [500], 'one attempt logged')
    t.equal(receiver.at('/off').length, 1, 'not called again')
    t.equal(receiver.at('/deleted').length, 1, 'nor the deleted one')
  })
})

t.test('given up past the age limit', async (t) => {
  const s = await webhookSetup(t, 'webhook_deliveries_giveup', { allowPrivate: true, firstRetryMs: 100, maxRetryMs: 400, maxAgeMs: 1500, timeoutMs: 2000 })
  const { db, receiver } = s
  const event = await seedEvent(db)
  const { organizer, event: eventSlug } = await slugs(db, event.eventId)
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/down'), actions: ['pretix.event.order.placed'] })
  receiver.answer('/down', () => ({ status: 503 }))

  const id = await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'GIVEUP1' })
  await waitFor('given up', async () => (await deliveries(db, id))[0]?.[1] === 'given_up', 20_000)
  const calls = await callsOf(db, hook.id)
  t.ok(calls.length >= 4, `${calls.length} attempts`)
  t.same(await deliveries(db, id), [[hook.id, 'given_up', calls.length]], 'given up, every attempt counted')

  // A delivery that starts afresh past the limit (queued again long after its change, or fanned out
  // that late) is given up without an attempt.
  const late = crypto.randomUUID()
  const notification = { id: late, organizer, event: eventSlug, action: 'pretix.event.order.placed', created_at: new Date(Date.now() - 10_000).toISOString(), code: 'LATE1' }
  await s.inspect[QUEUES.webhooks].add(JOBS.webhookNotify, notification, { jobId: 'late' })
  await waitFor('given up untried', async () => (await deliveries(db, late))[0]?.[1] === 'given_up')
  t.same(await deliveries(db, late), [[hook.id, 'given_up', 0]])
  t.notOk((await callsOf(db, hook.id)).some((c) => c.notification_id === late), 'no attempt logged')
  t.notOk(receiver.at('/down').some((r) => r.headers['webhook-id'] === late), 'the receiver never called')
})

t.test('the prune job deletes finished deliveries after 30 days, fan-out marks with the outbox, and keeps what is still needed', async (t) => {
  const s = await webhookSetup(t, 'webhook_deliveries_prune', { allowPrivate: true })
  const { db } = s
  const event = await seedEvent(db)
  const { organizer, event: eventSlug } = await slugs(db, event.eventId)
  // Listening for nothing: the rows below are the test's own, not the worker's.
  const hook = await createHook(db, event.organizerId, { target: s.receiver.url('/prune'), actions: [] })
  const delivery = (state: string, daysAgo: number) => {
    const id = crypto.randomUUID()
    const at = new Date(Date.now() - daysAgo * 86400_000).toISOString()
    return { webhook_id: hook.id, notification_id: id, notification: JSON.stringify({ id }), state: state as 'pending', next_attempt_at: at, updated_at: at }
  }
  const rows = [
    delivery('delivered', 31), delivery('given_up', 40), delivery('skipped', 31),
    delivery('disabled', 29), delivery('delivered', 1), delivery('pending', 40)
  ]
  await db.insertInto('webhook_deliveries').values(rows).execute()

  // Fan-out marks: one older than the outbox retention (an hour), one recent.
  const oldMark = crypto.randomUUID()
  const lateMark = crypto.randomUUID()
  await db.insertInto('webhook_fanouts').values([
    { notification_id: oldMark, fanned_out_at: sql`now() - interval '2 hours'` },
    { notification_id: lateMark, fanned_out_at: sql`now() - interval '10 minutes'` }
  ]).execute()
  // Relayed rows two hours old: a lead's, a notification fanned out (late, by the reconciler), one
  // never fanned out (kept for the reconciler up to the age limit), and one past that limit.
  const notify = (id: string, hoursAgo: number) => ({
    topic: JOBS.webhookNotify,
    payload: JSON.stringify({ id, organizer, event: eventSlug, action: 'pretix.event.order.placed', created_at: new Date().toISOString(), code: 'PRUNE' }),
    created_at: sql<Date>`now() - make_interval(hours => ${hoursAgo})`,
    relayed_at: sql<Date>`now() - make_interval(hours => ${hoursAgo})`
  })
  const unfanned = crypto.randomUUID()
  await db.insertInto('outbox').values([
    { topic: JOBS.leadEnrich, payload: JSON.stringify({ lead_id: 1 }), created_at: sql`now() - interval '2 hours'`, relayed_at: sql`now() - interval '2 hours'` },
    notify(lateMark, 2),
    notify(unfanned, 2),
    notify(crypto.randomUUID(), 4 * 24)
  ]).execute()

  const result = await pruneProcessor(db, PRUNE_DEFAULTS)()
  t.match(result, { outbox: 3, webhookDeliveries: 3, webhookFanOuts: 1 })
  const left = await db.selectFrom('webhook_deliveries').select(['notification_id', 'state']).orderBy('notification_id').execute()
  t.same(left, [rows[3], rows[4], rows[5]].map((r) => ({ notification_id: r.notification_id, state: r.state })).sort((a, b) => a.notification_id.localeCompare(b.notification_id)),
    'finished deliveries older than 30 days go; recent ones and pending ones stay')
  t.same((await db.selectFrom('webhook_fanouts').select('notification_id').execute()).map((m) => m.notification_id), [lateMark])
  const outbox = await db.selectFrom('outbox').select('payload').execute()
  t.same(outbox.map((row) => row.payload.id), [unfanned], 'the notification never fanned out stays for the reconciler')
})

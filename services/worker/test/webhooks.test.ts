import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { queries } from '@showfloor/db'
import { seedAttendees, seedEvent, seedExhibitor, uploadLead } from '@showfloor/db/testing'
import { JOBS, QUEUES, WEBHOOK_ACTION_TYPES, webhookDeliveryJobId } from '@showfloor/schemas'
import { PRUNE_DEFAULTS, pruneProcessor } from '../src/processors/prune.js'
import { signWebhook, webhookBackoff } from '../src/processors/webhookDelivery.js'
import { webhookBatchJobId } from '../src/processors/webhookDeliveryBatch.js'
import { callsOf, createHook, waitFor, webhookSetup, writeNotification } from './support/webhooks.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('signature and backoff', async (t) => {
  // The Standard Webhooks library signs the same message the same way.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const at = 1_700_000_000
  const lib = new Webhook(secret).sign('msg_1', new Date(at * 1000), '{"a":1}')
  t.equal(signWebhook(secret, 'msg_1', at, '{"a":1}'), lib)
  const backoff = webhookBackoff({ firstRetryMs: 5000, maxRetryMs: 3600_000 })
  t.same([1, 2, 3, 4, 10, 11, 12, 80].map(backoff), [5000, 10000, 20000, 40000, 2560000, 3600_000, 3600_000, 3600_000])
})

t.test('deliveries to a receiver that verifies them', async (t) => {
  const s = await webhookSetup(t, 'webhooks', { allowPrivate: true, firstRetryMs: 200, maxRetryMs: 1000, timeoutMs: 2000 })
  const { db, receiver } = s
  const event = await seedEvent(db)
  const organizer = (await db.selectFrom('organizers').select('slug').where('id', '=', event.organizerId).executeTakeFirstOrThrow()).slug
  const eventSlug = (await db.selectFrom('events').select('slug').where('id', '=', event.eventId).executeTakeFirstOrThrow()).slug
  const attendees = await seedAttendees(db, event, 3)
  const exhibitor = await seedExhibitor(db, event)
  const orderOf = async (positionId: number) => (await db.selectFrom('order_positions').innerJoin('orders', 'orders.id', 'order_positions.order_id')
    .select(['orders.code', 'order_positions.positionid']).where('order_positions.id', '=', positionId).executeTakeFirstOrThrow())

  t.test('every action type, with the body of section 13, signed', async (t) => {
    const hook = await createHook(db, event.organizerId, { target: receiver.url('/all'), actions: WEBHOOK_ACTION_TYPES })
    receiver.setSecret('/all', hook.secret)
    await queries.webhooks.insertNotification(db, event.eventId, 'pretix.event.order.placed', { code: 'ABC12' })
    await queries.webhooks.insertNotification(db, event.eventId, 'pretix.event.order.canceled', { code: 'ABC12' })
    for (const action of ['showfloor.exhibitor.created', 'showfloor.exhibitor.changed', 'showfloor.exhibitor.deleted'] as const) {
      await queries.webhooks.insertNotification(db, event.eventId, action, { exhibitor: exhibitor.id })
    }
    // A lead: created by its first enrichment, updated by the next one.
    const lead = await orderOf(attendees[0].positionId)
    await uploadLead(db, exhibitor, attendees[0].code)
    await waitFor('lead.created delivered', async () => receiver.at('/all').some((r) => r.verified?.action === 'showfloor.lead.created'))
    await uploadLead(db, exhibitor, attendees[0].code)
    // Nothing deletes a single lead yet; its notification is delivered like any other.
    await queries.webhooks.insertNotification(db, event.eventId, 'showfloor.lead.deleted', { exhibitor: exhibitor.id, attendee_order: lead.code, attendee_positionid: lead.positionid })

    await waitFor('every action delivered and logged', async () => receiver.at('/all').length >= 8 && (await callsOf(db, hook.id)).length >= 8)
    const got = receiver.at('/all')
    t.equal(got.length, 8, 'one delivery each')
    t.ok(got.every((r) => r.verified !== null), 'every signature verified by the standardwebhooks library')
    const bodies = got.map((r) => JSON.parse(r.body) as Record<string, unknown>)
    for (const [i, body] of bodies.entries()) {
      t.match(body.notification_id, UUID)
      t.equal(got[i].headers['webhook-id'], body.notification_id, 'webhook-id is the notification id')
      t.match(got[i].headers['webhook-timestamp'], /^\d{10}$/)
      t.match(got[i].headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/)
      t.equal(got[i].headers['content-type'], 'application/json')
    }
    const byAction = new Map(bodies.map((b) => [b.action, b]))
    const common = { organizer, event: eventSlug }
    const expected: Record<string, Record<string, unknown>> = {
      'pretix.event.order.placed': { code: 'ABC12' },
      'pretix.event.order.canceled': { code: 'ABC12' },
      'showfloor.exhibitor.created': { exhibitor: exhibitor.id },
      'showfloor.exhibitor.changed': { exhibitor: exhibitor.id },
      'showfloor.exhibitor.deleted': { exhibitor: exhibitor.id },
      'showfloor.lead.created': { exhibitor: exhibitor.id, attendee_order: lead.code, attendee_positionid: lead.positionid },
      'showfloor.lead.updated': { exhibitor: exhibitor.id, attendee_order: lead.code, attendee_positionid: lead.positionid },
      'showfloor.lead.deleted': { exhibitor: exhibitor.id, attendee_order: lead.code, attendee_positionid: lead.positionid }
    }
    for (const action of WEBHOOK_ACTION_TYPES) {
      const body = byAction.get(action)
      t.same(body, { notification_id: body?.notification_id, ...common, action, ...expected[action] }, action)
    }

    const calls = await callsOf(db, hook.id)
    t.equal(calls.length, 8)
    for (const [i, call] of calls.entries()) {
      const body = JSON.parse(got.find((r) => r.headers['webhook-id'] === call.notification_id)!.body)
      t.same({ ...call, id: 0, datetime: null, execution_time: 0 }, {
        id: 0,
        webhook_id: hook.id,
        datetime: null,
        action_type: body.action,
        notification_id: body.notification_id,
        is_retry: false,
        execution_time: 0,
        return_code: 200,
        success: true,
        payload: body,
        response_body: call.response_body
      }, `call ${i}`)
      t.match(call.response_body, /^ok \d+$/)
      t.ok(call.execution_time > 0 && call.execution_time < 2)
    }
    const metric = await s.registry.getSingleMetricAsString('showfloor_webhook_delivery_lag_seconds')
    t.match(metric, /showfloor_webhook_delivery_lag_seconds_count 8/, 'the delivery lag histogram counts every delivery')
  })

  t.test('filters: action types, events, enabled, organizer', async (t) => {
    const other = await queries.events.createEvent(db, { organizer_id: event.organizerId, slug: 'other', name: '{"en":"Other"}', date_from: '2026-12-01T09:00:00Z' })
    const second = await seedEvent(db)
    const hooks = {
      created: await createHook(db, event.organizerId, { target: receiver.url('/f-created'), actions: ['showfloor.exhibitor.created'] }),
      limited: await createHook(db, event.organizerId, { target: receiver.url('/f-limited'), actions: WEBHOOK_ACTION_TYPES, allEvents: false, eventIds: [other.id] }),
      disabled: await createHook(db, event.organizerId, { target: receiver.url('/f-disabled'), actions: WEBHOOK_ACTION_TYPES, enabled: false }),
      elsewhere: await createHook(db, second.organizerId, { target: receiver.url('/f-elsewhere'), actions: WEBHOOK_ACTION_TYPES })
    }
    // Written without the writers' own check, so the fan-out's filter is what is tested.
    const ids = [
      await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.created', { exhibitor: 1 }),
      await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.changed', { exhibitor: 1 }),
      await writeNotification(db, organizer, 'other', 'showfloor.exhibitor.created', { exhibitor: 2 }),
      await writeNotification(db, organizer, 'other', 'pretix.event.order.placed', { code: 'XYZ99' })
    ]
    // The same notification fanned out a second time (a relay that crashed before marking its rows): no second delivery.
    await s.inspect[QUEUES.webhooks].add(JOBS.webhookNotify, (await db.selectFrom('outbox').select('payload').orderBy('id', 'desc').executeTakeFirstOrThrow()).payload, { jobId: 'again' })
    await waitFor('every fan-out done', async () => {
      const done = await s.inspect[QUEUES.webhooks].getJobs(['completed'])
      // The relay fans a batch's notifications out in one job; the repeat above is a job of one.
      const covered = new Set(done.flatMap((j) => (j.data.notifications ?? [j.data]).map((n: { id: string }) => n.id)))
      return ids.every((id) => covered.has(id)) && done.some((j) => j.id === 'again')
    })
    await waitFor('deliveries', async () => receiver.at('/f-created').length === 2 && receiver.at('/f-limited').length === 2)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const ids0 = (path: string) => receiver.at(path).map((r) => r.headers['webhook-id']).sort()
    t.same(ids0('/f-created'), [ids[0], ids[2]].sort(), 'only the action type it lists, on every event')
    t.same(ids0('/f-limited'), [ids[2], ids[3]].sort(), 'only the events it is limited to')
    t.same(ids0('/f-disabled'), [], 'a disabled webhook gets nothing')
    t.same(ids0('/f-elsewhere'), [], 'another organizer\'s webhook gets nothing')
    t.equal((await callsOf(db, hooks.disabled.id)).length, 0)
  })

  t.test('a receiver failing, then recovering, gets every notification', async (t) => {
    const hook = await createHook(db, event.organizerId, { target: receiver.url('/flaky'), actions: ['pretix.event.order.placed'] })
    receiver.setSecret('/flaky', hook.secret)
    receiver.answer('/flaky', (_r, nth) => ({ status: nth <= 7 ? 500 : 200, body: nth <= 7 ? 'down for maintenance' : 'ok' }))
    const ids: string[] = []
    for (const code of ['AAAA1', 'AAAA2', 'AAAA3']) ids.push(await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code }))
    await waitFor('every notification accepted and logged', async () => {
      const logged = new Set((await callsOf(db, hook.id)).filter((c) => c.success).map((c) => c.notification_id))
      return ids.every((id) => logged.has(id))
    }, 30_000)
    // The answers from the 8th request on are 200s, each to a request that verified.
    const accepted = new Set(receiver.at('/flaky').slice(7).filter((r) => r.verified !== null).map((r) => r.headers['webhook-id']))
    t.ok(ids.every((id) => accepted.has(id)), 'each accepted by the receiver with a valid signature')
    const calls = await callsOf(db, hook.id)
    t.ok(calls.length >= 10, `${calls.length} attempts logged`)
    // Logged as each attempt ended, which is not always the order the receiver answered in.
    t.same(calls.filter((c) => !c.success).map((c) => [c.return_code, c.success, c.response_body]), Array(7).fill([500, false, 'down for maintenance']), 'the seven failures logged')
    const successes = calls.filter((c) => c.success)
    t.same(successes.map((c) => c.notification_id).sort(), [...ids].sort(), 'each delivered once it recovered')
    t.ok(successes.every((c) => c.is_retry), 'after failures: retries')
    t.ok(calls.filter((c) => !c.is_retry).length === 3, 'one first attempt per notification')
  })

  t.test('410 Gone disables the webhook', async (t) => {
    const hook = await createHook(db, event.organizerId, { target: receiver.url('/gone'), actions: ['pretix.event.order.placed'] })
    receiver.answer('/gone', () => ({ status: 410, body: 'gone' }))
    const first = await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'GONE1' })
    await waitFor('the 410 logged', async () => (await callsOf(db, hook.id)).length === 1)
    const stored = await db.selectFrom('webhooks').select('enabled').where('id', '=', hook.id).executeTakeFirstOrThrow()
    t.equal(stored.enabled, false, 'disabled')
    const [call] = await callsOf(db, hook.id)
    t.match(call, { notification_id: first, return_code: 410, success: false, response_body: 'gone' })
    await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'GONE2' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    t.equal(receiver.at('/gone').length, 1, 'not retried, and nothing more sent')
    // The first attempt came in a batch of its own (the only delivery to this webhook): it completed, and queued no retry.
    const job = await s.inspect[QUEUES.webhookDelivery].getJob(webhookBatchJobId(hook.id, [first]))
    t.equal(await job?.getState(), 'completed')
    t.same(job?.returnvalue, { delivered: 0, failed: 0, skipped: 0, givenUp: 0, deferred: 0 })
    t.equal(await s.inspect[QUEUES.webhookDelivery].getJob(webhookDeliveryJobId(hook.id, first)), undefined, 'no retry job')
  })

  t.test('a slow receiver fails its attempt and holds up nobody else', async (t) => {
    const slow = await createHook(db, event.organizerId, { target: receiver.url('/slow'), actions: ['showfloor.exhibitor.changed'] })
    const fast = await createHook(db, event.organizerId, { target: receiver.url('/fast'), actions: ['showfloor.exhibitor.changed'] })
    receiver.answer('/slow', () => ({ status: 200, delayMs: 30_000 }))
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push(await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.changed', { exhibitor: i + 1 }))
    await waitFor('every fast delivery', async () => receiver.at('/fast').length >= 6)
    t.equal((await callsOf(db, slow.id)).length, 0, 'the fast receiver had everything before any slow attempt ended')
    t.ok(receiver.at('/slow').length >= 1, 'the slow one was being called meanwhile')
    await waitFor('the slow attempts time out', async () => (await callsOf(db, slow.id)).length >= 6)
    const calls = await callsOf(db, slow.id)
    t.ok(calls.every((c) => !c.success && c.return_code === null && c.response_body === null), 'no answer in time: a failure')
    t.ok(calls.every((c) => c.execution_time >= 1.9 && c.execution_time < 5), 'each ended at the 2 s timeout')
    t.same((await callsOf(db, fast.id)).map((c) => c.success), Array(6).fill(true))
    await db.deleteFrom('webhooks').where('id', '=', slow.id).execute()
  })

  t.test('a rotated secret signs at once', async (t) => {
    const hook = await createHook(db, event.organizerId, { target: receiver.url('/rotate'), actions: ['pretix.event.order.canceled'] })
    const rotated = 'whsec_' + Buffer.alloc(32, 7).toString('base64')
    t.ok(await queries.webhooks.rotateSecret(db, event.organizerId, hook.id, rotated))
    receiver.setSecret('/rotate', rotated)
    await writeNotification(db, organizer, eventSlug, 'pretix.event.order.canceled', { code: 'ROT01' })
    await waitFor('delivered', async () => receiver.at('/rotate').length === 1)
    const [got] = receiver.at('/rotate')
    t.not(got.verified, null, 'verified with the new secret')
    t.throws(() => new Webhook(hook.secret).verify(got.body, got.headers as Record<string, string>), 'not with the old one')
  })

  t.test('redirects are not followed; basic auth in the URL is sent as a header', async (t) => {
    const redirect = await createHook(db, event.organizerId, { target: receiver.url('/redirect'), actions: ['showfloor.exhibitor.deleted'] })
    receiver.answer('/redirect', () => ({ status: 302, headers: { location: receiver.url('/elsewhere') } }))
    const auth = await createHook(db, event.organizerId, { target: `http://alice:s%3Acret@127.0.0.1:${receiver.port}/auth?x=1`, actions: ['showfloor.exhibitor.deleted'] })
    receiver.setSecret('/auth', auth.secret)
    await writeNotification(db, organizer, eventSlug, 'showfloor.exhibitor.deleted', { exhibitor: 9 })
    await waitFor('both called', async () => receiver.at('/auth').length === 1 && (await callsOf(db, redirect.id)).length >= 1)
    const [call] = await callsOf(db, redirect.id)
    t.match(call, { return_code: 302, success: false })
    t.equal(receiver.at('/elsewhere').length, 0, 'the redirect was not followed')
    const [got] = receiver.at('/auth')
    t.equal(got.path, '/auth?x=1', 'the credentials are not in the request line')
    t.equal(got.headers.authorization, 'Basic ' + Buffer.from('alice:s:cret').toString('base64'))
    t.not(got.verified, null)
    await db.deleteFrom('webhooks').where('id', '=', redirect.id).execute()
  })

  t.test('the prune job deletes calls older than 30 days', async (t) => {
    const hook = await createHook(db, event.organizerId, { target: receiver.url('/prune'), actions: [] })
    const row = (daysAgo: number) => ({
      webhook_id: hook.id,
      datetime: new Date(Date.now() - daysAgo * 86400_000).toISOString(),
      action_type: 'pretix.event.order.placed',
      notification_id: crypto.randomUUID(),
      is_retry: false,
      execution_time: 0.1,
      return_code: 200,
      success: true,
      payload: '{}',
      response_body: ''
    })
    await db.insertInto('webhook_calls').values([row(40), row(31), row(29), row(0)]).execute()
    const result = await pruneProcessor(db, PRUNE_DEFAULTS)()
    t.equal(result.webhookCalls, 2)
    t.equal((await callsOf(db, hook.id)).length, 2)
  })
})

t.test('SSRF at delivery: names and addresses that are not public are refused where the socket connects', async (t) => {
  const s = await webhookSetup(t, 'webhooks_ssrf', { allowPrivate: false, firstRetryMs: 60_000, timeoutMs: 2000 })
  const { db, receiver } = s
  const event = await seedEvent(db)
  const organizer = (await db.selectFrom('organizers').select('slug').where('id', '=', event.organizerId).executeTakeFirstOrThrow()).slug
  const eventSlug = (await db.selectFrom('events').select('slug').where('id', '=', event.eventId).executeTakeFirstOrThrow()).slug
  // Stored directly, as if a name had resolved elsewhere when the webhook was created.
  const targets = [
    `http://localhost:${receiver.port}/ssrf-name`,
    `http://127.0.0.1:${receiver.port}/ssrf-v4`,
    `http://[::1]:${receiver.port}/ssrf-v6`,
    `http://[::ffff:127.0.0.1]:${receiver.port}/ssrf-mapped`,
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    `ftp://127.0.0.1:${receiver.port}/ssrf-ftp`,
    'file:///etc/passwd'
  ]
  const hooks = []
  for (const target of targets) hooks.push(await createHook(db, event.organizerId, { target, actions: ['pretix.event.order.placed'] }))
  await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'SSRF1' })
  for (const [i, hook] of hooks.entries()) {
    await waitFor(`the attempt to ${targets[i]}`, async () => (await callsOf(db, hook.id)).length >= 1)
    const [call] = await callsOf(db, hook.id)
    t.match(call, { return_code: null, success: false, response_body: null }, targets[i])
    t.ok(call.execution_time < 1, 'refused before connecting')
  }
  t.equal(receiver.received.length, 0, 'the receiver on 127.0.0.1 was never reached')
})

t.test('given up when the next attempt would come after the age limit; the job stays failed', async (t) => {
  const s = await webhookSetup(t, 'webhooks_giveup', { allowPrivate: true, firstRetryMs: 100, maxRetryMs: 400, maxAgeMs: 1500, timeoutMs: 2000 })
  const { db, receiver } = s
  const event = await seedEvent(db)
  const organizer = (await db.selectFrom('organizers').select('slug').where('id', '=', event.organizerId).executeTakeFirstOrThrow()).slug
  const eventSlug = (await db.selectFrom('events').select('slug').where('id', '=', event.eventId).executeTakeFirstOrThrow()).slug
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/down'), actions: ['pretix.event.order.placed'] })
  receiver.answer('/down', () => ({ status: 503 }))
  const id = await writeNotification(db, organizer, eventSlug, 'pretix.event.order.placed', { code: 'DOWN1' })
  const queue = s.inspect[QUEUES.webhookDelivery]
  await waitFor('the job failed for good', async () => (await queue.getJobState(webhookDeliveryJobId(hook.id, id))) === 'failed', 20_000)
  const job = (await queue.getJob(webhookDeliveryJobId(hook.id, id)))!
  t.match(job.failedReason, /^given up: answered 503$/)
  const calls = await callsOf(db, hook.id)
  t.ok(calls.length >= 4 && calls.length <= 12, `${calls.length} attempts within the limit`)
  t.ok(calls.every((c) => c.return_code === 503 && !c.success))
  const seen = receiver.at('/down').length
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(receiver.at('/down').length, seen, 'no attempt after giving up')
})

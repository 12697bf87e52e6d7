import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import {
  createTestDatabase, runSource, seedAttendees, seedEvent, seedExhibitor, testPrefix, uploadLead, waitFor
} from '@showfloor/db/testing'
import { LEAD_ACTION_TYPES } from '@showfloor/schemas'
import { enrichLeads } from '../src/domain/enrichment.js'
import { startWorkers } from '../src/workers.js'
import { silentLog } from './support/queues.js'
import { privateRedis } from './support/redisServer.js'
import { startReceiver, type Receiver } from './support/receiver.js'
import { createHook, mail } from './support/webhooks.js'

// Faults on a Redis of the test's own (never the machine's shared one) and a worker process killed
// while it delivers: every notification still arrives, every lead is still enriched, and each lead
// has exactly one lead.created notification.

const webhooks = { allowPrivate: true, firstRetryMs: 200, maxRetryMs: 1000, timeoutMs: 5000 }

/** The lead notifications written so far (each test has one webhook: one delivery each). */
async function leadNotifications (db: Db): Promise<Array<{ id: string, action: string, exhibitor: number, attendee_order: string }>> {
  const rows = await db.selectFrom('webhook_deliveries').select('notification')
    .where(sql<boolean>`notification->>'action' like 'showfloor.lead.%'`).orderBy('notification_id').execute()
  return rows.map((r) => r.notification as never)
}

/** Every lead's order code with its exhibitor, as its notifications name it. */
async function leadKeys (db: Db): Promise<string[]> {
  const rows = await db.selectFrom('leads').innerJoin('order_positions as p', 'p.id', 'leads.position_id').innerJoin('orders as o', 'o.id', 'p.order_id')
    .select(['leads.exhibitor_id', 'o.code']).execute()
  return rows.map((r) => `${r.exhibitor_id}/${r.code}`).sort()
}

const delivered = (receiver: Receiver, action: string) =>
  new Set(receiver.at('/leads').filter((r) => r.verified?.action === action).map((r) => `${r.verified!.exhibitor as number}/${r.verified!.attendee_order as string}`))

async function allEnriched (db: Db): Promise<boolean> {
  const row = await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).where('enriched_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n) === 0
}

/** A Redis and a database of the test's own and a receiver, all gone when the test ends. */
async function faultSetup (t: Test, name: string) {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase(name)
  const receiver = await startReceiver()
  t.teardown(async () => {
    await receiver.close()
    await redisServer.stop()
    await testDb.drop()
  })
  return { redisServer, db: testDb.db, databaseUrl: testDb.url, receiver }
}

t.test('Redis down, then up: every notification delivered, every lead enriched', async (t) => {
  const { redisServer, db, receiver } = await faultSetup(t, 'webhook_redis_down')
  const running = startWorkers({
    db, redisUrl: redisServer.url, prefix: testPrefix('whredis'), log: silentLog, mail, relay: { idleMs: 50, maxErrorDelayMs: 300 }, reconciler: false, webhooks
  })
  // Teardowns run last first: the workers stop before the setup's Redis, database and receiver go.
  t.teardown(async () => { for (const closable of [...running.closables].reverse()) await closable.close() })
  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 30)
  const exhibitor = await seedExhibitor(db, event)
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/leads'), actions: [...LEAD_ACTION_TYPES, 'showfloor.exhibitor.changed'] })
  receiver.setSecret('/leads', hook.secret)

  for (const attendee of attendees.slice(0, 10)) await uploadLead(db, exhibitor, attendee.code)
  await waitFor('the first ten delivered', async () => delivered(receiver, 'showfloor.lead.created').size === 10)

  await redisServer.stop()
  for (const attendee of attendees.slice(10)) await uploadLead(db, exhibitor, attendee.code)
  // A change on the admin side while Redis is away: its notification waits in the outbox too.
  await db.transaction().execute(async (trx) => {
    await queries.webhooks.insertNotification(trx, event.eventId, 'showfloor.exhibitor.changed', { exhibitor: exhibitor.id })
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(delivered(receiver, 'showfloor.lead.created').size, 10, 'nothing moves while Redis is down')

  await redisServer.start()
  const keys = await leadKeys(db)
  await waitFor('every lead delivered', async () => delivered(receiver, 'showfloor.lead.created').size === 30, 60_000, 100)
  await waitFor('the exhibitor change delivered', async () => receiver.at('/leads').some((r) => r.verified?.action === 'showfloor.exhibitor.changed'), 30_000)
  t.same([...delivered(receiver, 'showfloor.lead.created')].sort(), keys, 'a lead.created for every lead')
  t.ok(receiver.at('/leads').every((r) => r.verified !== null), 'every signature verified')
  t.ok(await allEnriched(db), 'every lead enriched')
  const created = (await leadNotifications(db)).filter((n) => n.action === 'showfloor.lead.created')
  t.equal(created.length, 30, 'one lead.created notification per lead')
})

t.test('a worker killed while it delivers: another one delivers the rest, every lead enriched once', async (t) => {
  const { redisServer, db, databaseUrl, receiver } = await faultSetup(t, 'webhook_killed')
  const prefix = testPrefix('whkilled')
  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 20)
  const exhibitors = [await seedExhibitor(db, event, { name: 'First' }), await seedExhibitor(db, event, { name: 'Second' })]
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/leads'), actions: LEAD_ACTION_TYPES })
  receiver.setSecret('/leads', hook.secret)
  // A slow receiver, so the kill finds deliveries in hand.
  receiver.answer('/leads', () => ({ status: 200, delayMs: 300 }))

  const lockDurationMs = 1500
  const stalledIntervalMs = 500
  // A whole worker, relay included; private targets allowed, as the receiver is on 127.0.0.1.
  const child = runSource('services/worker/test/support/workerProcess.ts', {
    WORKER_TEST_OPTIONS: JSON.stringify({
      databaseUrl,
      redisUrl: redisServer.url,
      prefix,
      lockDurationMs,
      stalledIntervalMs,
      workers: { relay: { idleMs: 50 }, reconciler: false, webhooks }
    })
  })
  t.teardown(child.kill)
  await child.line(/^ready$/, 30_000)

  for (const exhibitor of exhibitors) {
    for (const attendee of attendees) await uploadLead(db, exhibitor, attendee.code)
  }
  await waitFor('some deliveries under way', async () => receiver.at('/leads').length >= 5, 30_000)
  await child.stop('SIGKILL')
  const before = receiver.at('/leads').length
  t.ok(before < 40, `killed with work left (${before} requests so far)`)

  const second = startWorkers({ db, redisUrl: redisServer.url, prefix, log: silentLog, mail, lockDurationMs, stalledIntervalMs, relay: { idleMs: 50 }, reconciler: false, webhooks })
  t.teardown(async () => { for (const closable of [...second.closables].reverse()) await closable.close() })
  const keys = await leadKeys(db)
  t.equal(keys.length, 40)
  await waitFor('every lead delivered', async () => delivered(receiver, 'showfloor.lead.created').size === 40, 60_000, 100)
  t.same([...delivered(receiver, 'showfloor.lead.created')].sort(), keys, 'a lead.created for every lead')
  t.ok(receiver.at('/leads').every((r) => r.verified !== null), 'every signature verified')
  await waitFor('every lead enriched', async () => await allEnriched(db), 30_000)
  const counts = await db.selectFrom('exhibitors').select('lead_count').orderBy('id').execute()
  t.same(counts.map((c) => c.lead_count), [20, 20])
  const created = (await leadNotifications(db)).filter((n) => n.action === 'showfloor.lead.created')
  t.equal(created.length, 40, 'exactly one lead.created notification per lead: each first enrichment stored once')
  t.equal(new Set(created.map((n) => `${n.exhibitor}/${n.attendee_order}`)).size, 40)
})

t.test('a worker gone after an enrichment committed, before it queued the deliveries: the reconciler delivers each once', async (t) => {
  const { redisServer, db, receiver } = await faultSetup(t, 'webhook_lost_jobs')
  const event = await seedEvent(db)
  const attendees = await seedAttendees(db, event, 10)
  const exhibitor = await seedExhibitor(db, event)
  const hook = await createHook(db, event.organizerId, { target: receiver.url('/leads'), actions: ['showfloor.lead.created'] })
  receiver.setSecret('/leads', hook.secret)
  const leads: number[] = []
  for (const attendee of attendees) leads.push(await uploadLead(db, exhibitor, attendee.code))

  // What an enrichment job committed before its process died: the leads enriched and their
  // deliveries stored, no delivery job added. Its leads' outbox rows are still there, so they are
  // enriched again (a job run again), which must not notify lead.created a second time.
  const { deliveries } = await enrichLeads(db, leads)
  t.equal(deliveries.length, 10, 'a delivery stored per lead')
  const running = startWorkers({
    db, redisUrl: redisServer.url, prefix: testPrefix('whlost'), log: silentLog, mail, relay: { idleMs: 50 }, reconciler: { intervalMs: 200, afterMs: 500 }, webhooks
  })
  t.teardown(async () => { for (const closable of [...running.closables].reverse()) await closable.close() })

  await waitFor('every lead delivered', async () => delivered(receiver, 'showfloor.lead.created').size === 10, 30_000, 100)
  t.same([...delivered(receiver, 'showfloor.lead.created')].sort(), await leadKeys(db), 'a lead.created for every lead')
  t.same(receiver.at('/leads').map((r) => r.headers['webhook-id']).sort(), deliveries.map((d) => d.notification.id).sort(),
    'the stored notifications, by their ids')
  await waitFor('every delivery recorded', async () => (await db.selectFrom('webhook_deliveries').select('state').execute()).every((d) => d.state === 'delivered'), 10_000)
  await waitFor('the outbox relayed', async () => (await db.selectFrom('outbox').select('id').where('relayed_at', 'is', null).execute()).length === 0, 10_000)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(receiver.at('/leads').length, 10, 'each delivered once: enriched again, the leads notified nothing new')
  t.equal((await leadNotifications(db)).length, 10)
  t.same((await db.selectFrom('exhibitors').select('lead_count').where('id', '=', exhibitor.id).executeTakeFirstOrThrow()).lead_count, 10)
})

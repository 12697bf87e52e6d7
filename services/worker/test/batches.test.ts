import t from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import {
  createTestDatabase, runSource, seedAttendees, seedEvent, seedExhibitor, uploadLead, waitFor,
  type ExhibitorFixture, type SeededAttendee
} from '@showfloor/db/testing'
import { JOBS, LEAD_ACTION_TYPES, QUEUES } from '@showfloor/schemas'
import { enrichLeads } from '../src/domain/enrichment.js'
import { startWorkers } from '../src/workers.js'
import { silentLog } from './support/queues.js'
import { privateQueues } from './support/privateQueues.js'
import { holdLeadRow } from './support/locks.js'
import { createHook } from './support/webhooks.js'

const mail = { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 }

async function leadCounts (db: Db): Promise<Array<{ id: number, lead_count: number }>> {
  return await db.selectFrom('exhibitors').select(['id', 'lead_count']).orderBy('id').execute()
}

/** What lead_count must be: the exhibitor's enriched leads. */
async function expectedCounts (db: Db): Promise<Array<{ id: number, lead_count: number }>> {
  const rows = await sql<{ id: number, lead_count: number }>`
    select e.id, count(l.id)::int as lead_count from exhibitors e
    left join leads l on l.exhibitor_id = e.id and l.enriched_at is not null
    group by e.id order by e.id`.execute(db)
  return rows.rows
}

interface Show { attendees: SeededAttendee[], exhibitors: ExhibitorFixture[], leads: number[] }

/** `count` attendees scanned by each of `exhibitors` exhibitors, uploaded and not enriched yet. */
async function seedLeads (db: Db, attendees: number, exhibitors: number): Promise<Show> {
  const event = await seedEvent(db, { locale: 'en', leadFields: ['attendee_name', 'company', 'order_code'] })
  const seeded = await seedAttendees(db, event, attendees)
  const list: ExhibitorFixture[] = []
  for (let i = 0; i < exhibitors; i++) list.push(await seedExhibitor(db, event, { name: `Exhibitor ${i}` }))
  const leads: number[] = []
  for (const exhibitor of list) {
    for (const attendee of seeded) leads.push(await uploadLead(db, exhibitor, attendee.code))
  }
  return { attendees: seeded, exhibitors: list, leads }
}

t.test('batch enrichment in the database', async (t) => {
  const testDb = await createTestDatabase('worker_batches')
  t.teardown(testDb.drop)
  const db = testDb.db

  t.test('a batch of leads gets every snapshot, the exhibitors their counts, and the caller who was new', async (t) => {
    const show = await seedLeads(db, 20, 3)
    const { stored } = await enrichLeads(db, show.leads)
    const exhibitorOf = new Map<number, number>()
    for (const [i, id] of show.leads.entries()) exhibitorOf.set(id, show.exhibitors[Math.floor(i / 20)].id)
    t.same(stored, [...show.leads].sort((a, b) => a - b).map((id) => ({ lead_id: id, exhibitor_id: exhibitorOf.get(id), created: true })),
      'every lead, with its exhibitor, created')

    const leads = await db.selectFrom('leads')
      .innerJoin('order_positions as p', 'p.id', 'leads.position_id')
      .innerJoin('orders as o', 'o.id', 'p.order_id')
      .select(['leads.id', 'leads.data', 'leads.enriched_at', 'p.attendee_name', 'o.code'])
      .where('leads.id', 'in', show.leads).execute()
    t.equal(leads.length, 60)
    for (const lead of leads) {
      const [given, family] = [lead.attendee_name!.split(' ')[0], lead.attendee_name!.split(' ').slice(1).join(' ')]
      t.same(lead.data, [
        { id: 'attendee_name', label: 'Name', value: lead.attendee_name, details: [{ label: 'Given name', value: given }, { label: 'Family name', value: family }] },
        { id: 'company', label: 'Company', value: 'Analytical Engines Ltd', details: [] },
        { id: 'order_code', label: 'Order code', value: lead.code, details: [] }
      ], `lead ${lead.id}`)
      t.ok(lead.enriched_at)
    }
    t.same((await leadCounts(db)).filter((c) => show.exhibitors.some((e) => e.id === c.id)),
      show.exhibitors.map((e) => ({ id: e.id, lead_count: 20 })))

    // The same batch again, and one overlapping it: nothing new, nothing counted twice.
    const { stored: again } = await enrichLeads(db, show.leads)
    t.ok(again.length === 60 && again.every((s) => !s.created), 'the same batch again: none created')
    const { stored: overlap } = await enrichLeads(db, [...show.leads.slice(10, 30), show.leads[0], show.leads[0]])
    t.equal(overlap.length, 21, 'a lead named twice in a batch is stored once')
    t.same(await leadCounts(db), await expectedCounts(db))
    t.same((await leadCounts(db)).filter((c) => show.exhibitors.some((e) => e.id === c.id)).map((c) => c.lead_count), [20, 20, 20])
  })

  t.test('webhook deliveries are stored with the enrichment: one notification per lead, to every webhook listening', async (t) => {
    const show = await seedLeads(db, 3, 1)
    const { organizer_id: organizerId, event_id: eventId, organizer, event } = await db.selectFrom('exhibitors as x')
      .innerJoin('events as e', 'e.id', 'x.event_id').innerJoin('organizers as o', 'o.id', 'e.organizer_id')
      .select(['e.organizer_id', 'x.event_id', 'o.slug as organizer', 'e.slug as event'])
      .where('x.id', '=', show.exhibitors[0].id).executeTakeFirstOrThrow()
    const elsewhere = await queries.events.createEvent(db, { organizer_id: organizerId, slug: 'elsewhere', name: '{"en":"Elsewhere"}', date_from: '2026-12-01T09:00:00Z' })
    const created = await createHook(db, organizerId, { target: 'https://hooks.example.org/created', actions: ['showfloor.lead.created'] })
    const limited = await createHook(db, organizerId, { target: 'https://hooks.example.org/limited', actions: LEAD_ACTION_TYPES, allEvents: false, eventIds: [eventId] })
    await createHook(db, organizerId, { target: 'https://hooks.example.org/other-event', actions: LEAD_ACTION_TYPES, allEvents: false, eventIds: [elsewhere.id] })
    await createHook(db, organizerId, { target: 'https://hooks.example.org/disabled', actions: LEAD_ACTION_TYPES, enabled: false })
    await createHook(db, organizerId, { target: 'https://hooks.example.org/orders', actions: ['pretix.event.order.placed'] })
    const attendees = await db.selectFrom('leads as l').innerJoin('order_positions as p', 'p.id', 'l.position_id').innerJoin('orders as o', 'o.id', 'p.order_id')
      .select(['o.code', 'p.positionid']).where('l.id', 'in', show.leads).orderBy('l.id').execute()
    const body = (action: string, attendee: { code: string, positionid: number }) => ({
      organizer, event, action, exhibitor: show.exhibitors[0].id, attendee_order: attendee.code, attendee_positionid: attendee.positionid
    })

    const first = await enrichLeads(db, show.leads)
    t.same(first.deliveries.map((d) => ({ webhook: d.webhook_id, ...d.notification, id: undefined, created_at: undefined })),
      attendees.flatMap((a) => [created.id, limited.id].map((webhook) => ({ webhook, ...body('showfloor.lead.created', a), id: undefined, created_at: undefined }))),
      'lead.created of every lead, in lead order, to the webhooks listening on its event (not a disabled one, not another event\'s)')
    const ids = first.deliveries.map((d) => d.notification.id)
    t.equal(new Set(ids).size, 3, 'one notification id per lead')
    t.equal(ids[0], ids[1], 'shared by the webhooks that get it')
    const stored = await db.selectFrom('webhook_deliveries').select(['webhook_id', 'notification_id', 'notification', 'state', 'attempts'])
      .where('webhook_id', 'in', [created.id, limited.id]).orderBy('notification_id').orderBy('webhook_id').execute()
    t.same(stored, [...first.deliveries].sort((a, b) => a.notification.id.localeCompare(b.notification.id) || a.webhook_id - b.webhook_id)
      .map((d) => ({ webhook_id: d.webhook_id, notification_id: d.notification.id, notification: d.notification, state: 'pending', attempts: 0 })),
    'each stored pending, with the notification its job carries')

    const again = await enrichLeads(db, show.leads)
    t.same(again.deliveries.map((d) => ({ webhook: d.webhook_id, action: d.notification.action })),
      attendees.map(() => ({ webhook: limited.id, action: 'showfloor.lead.updated' })), 'enriched again: lead.updated, to the webhook listening for it')
    await db.updateTable('webhooks').set({ enabled: false }).where('organizer_id', '=', organizerId).execute()
    t.same((await enrichLeads(db, show.leads)).deliveries, [], 'no webhook listening: nothing stored')
  })

  t.test('re-uploads: the snapshot follows the lead fields, the count stays', async (t) => {
    const show = await seedLeads(db, 4, 1)
    await enrichLeads(db, show.leads)
    await sql`update exhibitor_settings set lead_fields = '["company"]'::jsonb
      where event_id = (select event_id from exhibitors where id = ${show.exhibitors[0].id})`.execute(db)
    t.equal(await uploadLead(db, show.exhibitors[0], show.attendees[1].code), show.leads[1], 'the same lead')
    const { stored } = await enrichLeads(db, [show.leads[1], show.leads[2]])
    t.same(stored.map((s) => s.created), [false, false])
    const lead = await db.selectFrom('leads').select('data').where('id', '=', show.leads[1]).executeTakeFirstOrThrow()
    t.same(lead.data, [{ id: 'company', label: 'Company', value: 'Analytical Engines Ltd', details: [] }])
    const [count] = (await leadCounts(db)).filter((c) => c.id === show.exhibitors[0].id)
    t.equal(count.lead_count, 4)
  })

  t.test('leads deleted meanwhile are left out; deleting an enriched lead takes it off the count', async (t) => {
    const show = await seedLeads(db, 6, 1)
    const exhibitorId = show.exhibitors[0].id
    const count = async () => (await leadCounts(db)).find((c) => c.id === exhibitorId)!.lead_count
    await db.deleteFrom('leads').where('id', 'in', show.leads.slice(0, 2)).execute()
    const { stored } = await enrichLeads(db, show.leads)
    t.same(stored.map((s) => s.lead_id), show.leads.slice(2), 'only the leads still there')
    t.equal(await count(), 4)
    t.same(await enrichLeads(db, show.leads.slice(0, 2)), { stored: [], deliveries: [] }, 'a batch of deleted leads: nothing to do')

    await db.deleteFrom('leads').where('id', '=', show.leads[2]).execute()
    t.equal(await count(), 3, 'an enriched lead deleted: counted off')
    const fresh = await uploadLead(db, show.exhibitors[0], show.attendees[0].code)
    await db.deleteFrom('leads').where('id', '=', fresh).execute()
    t.equal(await count(), 3, 'a lead deleted before its enrichment was never counted')
    t.same(await leadCounts(db), await expectedCounts(db))
  })

  t.test('a batch that waited for a lock while the lead was uploaded again and enriched by a later batch leaves it enriched since its last upload', async (t) => {
    const show = await seedLeads(db, 2, 1)
    const [first, lead] = [...show.leads].sort((a, b) => a - b)
    await enrichLeads(db, show.leads)
    // The earlier lead's row is held: a batch of both begins, locks in id order, and waits at it.
    const held = await holdLeadRow(db, first)
    const waiting = enrichLeads(db, [first, lead])
    await waitFor('the batch waiting for the lock', async () => Number((await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)).rows[0].n) > 0)
    // Meanwhile the lead is uploaded again, and the batch of that upload's outbox row enriches it.
    t.equal(await uploadLead(db, show.exhibitors[0], show.attendees[1].code), lead, 'the same lead')
    await enrichLeads(db, [lead])
    await held.release()
    t.equal((await waiting).stored.length, 2, 'the waiting batch stored both leads')
    const row = await db.selectFrom('leads').select(['enriched_at', 'last_upload']).where('id', '=', lead).executeTakeFirstOrThrow()
    t.ok(row.enriched_at! >= row.last_upload, `enriched (${row.enriched_at!.toISOString()}) since its last upload (${row.last_upload.toISOString()})`)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from leads where id = ${lead} and (enriched_at is null or enriched_at < last_upload)`.execute(db)
    t.equal(rows[0].n, 0, 'the reconciler finds nothing to queue again')
  })

  t.test('concurrent batches sharing leads and exhibitors: every lead counted once, no deadlock', async (t) => {
    const concurrent = await createTestDatabase('worker_batches_concurrent')
    t.teardown(concurrent.drop)
    const wide = (await import('@showfloor/db')).createDb(concurrent.url, { max: 12 })
    t.teardown(async () => { await wide.destroy() })
    const show = await seedLeads(wide, 40, 5)
    // Twelve batches of 60 leads picked in a shuffled order (each lead in about four of them).
    let seed = 7
    const random = () => { seed = (seed * 48271) % 2147483647; return seed / 2147483647 }
    const batches = Array.from({ length: 12 }, () => [...show.leads].sort(() => random() - 0.5).slice(0, 60))
    batches.push(show.leads)
    const results = await Promise.all(batches.map(async (batch) => await enrichLeads(wide, batch)))
    const created = results.flatMap((r) => r.stored).filter((s) => s.created).map((s) => s.lead_id).sort((a, b) => a - b)
    t.same(created, [...show.leads].sort((a, b) => a - b), 'each lead created in exactly one batch')
    t.same((await leadCounts(wide)).map((c) => c.lead_count), [40, 40, 40, 40, 40])
  })
})

t.test('through the queue: a worker killed in the middle of a batch; another one completes it, counting each lead once', async (t) => {
  const { redisServer, testDb, db, prefix, inspect } = await privateQueues(t, 'batch_killed')
  const show = await seedLeads(db, 15, 2)

  // The last lead's row is held: the batch locks the leads before it, then waits.
  const held = await holdLeadRow(db, show.leads.at(-1)!)

  const child = runSource('services/worker/test/support/workerProcess.ts', {
    WORKER_TEST_OPTIONS: JSON.stringify({ databaseUrl: testDb.url, redisUrl: redisServer.url, prefix, lockDurationMs: 1500, stalledIntervalMs: 500 })
  })
  t.teardown(child.kill)
  await child.line(/^ready$/, 30_000)
  const queue = inspect[QUEUES.leadEnrichment]
  await queue.add(JOBS.leadEnrichBatch, { lead_ids: show.leads }, { jobId: 'batch-1' })
  await child.line(/^active batch-1$/, 20_000)
  await waitFor('the batch waiting for the held lead', async () => {
    const row = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
    return row.rows[0].n > 0
  })
  await child.stop('SIGKILL')
  await held.release()
  t.equal(await sql<{ n: number }>`select count(*)::int as n from leads where enriched_at is not null`.execute(db).then((r) => r.rows[0].n), 0,
    'the killed batch stored nothing')
  // The same batch added again meanwhile (say, by a relay that retried): BullMQ keeps one.
  await queue.add(JOBS.leadEnrichBatch, { lead_ids: show.leads }, { jobId: 'batch-1' })

  const second = startWorkers({ db, redisUrl: redisServer.url, prefix, log: silentLog, mail, lockDurationMs: 1500, stalledIntervalMs: 500, relay: false, reconciler: false })
  t.teardown(async () => { for (const closable of [...second.closables].reverse()) await closable.close() })
  const job = await waitFor('the batch completed by the other worker', async () =>
    (await queue.getJobState('batch-1')) === 'completed' ? await queue.getJob('batch-1') : undefined, 30_000, 100)
  t.same(job.returnvalue, { leads: 30, enriched: 30, created: 30 }, 'every lead enriched and counted once')
  t.same((await leadCounts(db)).map((c) => c.lead_count), [15, 15])
  const unenriched = await db.selectFrom('leads').select('id').where('enriched_at', 'is', null).execute()
  t.same(unenriched, [])
})

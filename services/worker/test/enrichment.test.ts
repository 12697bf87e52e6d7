import t from 'tap'
import { sql } from 'kysely'
import { queries } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedAttendees, seedEvent, seedExhibitor, testPrefix, uploadLead, waitFor } from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { outboxBatchJobId } from '../src/domain/outbox.js'
import { closeRedis, createRedis } from '@showfloor/queue'
import { startWorkers } from '../src/workers.js'
import { inspectQueues, sharedRedisUrl, silentLog } from './support/queues.js'

t.test('lead enrichment through the outbox', async (t) => {
  const testDb = await createTestDatabase('worker_enrichment')
  const db = testDb.db
  const prefix = testPrefix('enrichment')
  const redis = createRedis(sharedRedisUrl)
  await redis.connect()
  const running = startWorkers({
    db,
    redisUrl: sharedRedisUrl,
    prefix,
    log: silentLog,
    mail: { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 },
    relay: { idleMs: 50 }
  })
  const inspect = inspectQueues(redis, prefix)
  const enrichQueue = inspect[QUEUES.leadEnrichment]
  t.teardown(async () => {
    for (const closable of [...running.closables].reverse()) await closable.close()
    await Promise.all(Object.values(inspect).map(async (q) => { await q.close() }))
    await closeRedis(redis)
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })

  const event = await seedEvent(db, { locale: 'de', leadFields: ['attendee_name', 'attendee_email', 'company', 'item', 'order_code'] })
  const attendees = await seedAttendees(db, event, 3)
  const first = await seedExhibitor(db, event, { name: 'First' })
  const second = await seedExhibitor(db, event, { name: 'Second', locale: 'en' })

  const enriched = async (leadId: number, after = new Date(0)) => await waitFor(`lead ${leadId} enriched`, async () => {
    const lead = await db.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirst()
    return lead?.enriched_at && lead.enriched_at > after ? lead : undefined
  })

  t.test('outbox rows become jobs; leads get their data snapshot and the exhibitors their lead_count', async (t) => {
    const leadIds = [
      await uploadLead(db, first, attendees[0].code),
      await uploadLead(db, first, attendees[1].code),
      await uploadLead(db, first, attendees[2].code),
      await uploadLead(db, second, attendees[0].code)
    ]
    // A re-upload: the same lead, a second outbox row.
    t.equal(await uploadLead(db, first, attendees[0].code), leadIds[0])
    const outboxRows = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    t.equal(outboxRows.length, 5, 'each upload wrote an outbox row')

    for (const id of leadIds) await enriched(id)
    await waitFor('every outbox row relayed', async () => (await queries.outbox.countPending(db)) === 0)
    // The relay hands the rows over in batches: one job per relayed batch, carrying the lead ids.
    const jobs = await waitFor('every job completed', async () => {
      const completed = await enrichQueue.getJobs(['completed'])
      const waiting = await enrichQueue.getJobCounts('waiting', 'active', 'delayed')
      return waiting.waiting + waiting.active + waiting.delayed === 0 && completed.length > 0 ? completed : undefined
    })
    const lead = await db.selectFrom('leads').selectAll().where('id', '=', leadIds[1]).executeTakeFirstOrThrow()
    const order = await db.selectFrom('orders').innerJoin('order_positions', 'order_positions.order_id', 'orders.id')
      .select('orders.code').where('order_positions.id', '=', attendees[1].positionId).executeTakeFirstOrThrow()
    // The event's lead fields, in the event's locale (German).
    t.same(lead.data, [
      { id: 'attendee_name', label: 'Name', value: 'Ada Lovelace 2', details: [{ label: 'Vorname', value: 'Ada' }, { label: 'Nachname', value: 'Lovelace 2' }] },
      { id: 'attendee_email', label: 'E-Mail', value: 'ada2@example.org', details: [] },
      { id: 'company', label: 'Firma', value: 'Analytical Engines Ltd', details: [] },
      { id: 'item', label: 'Produkt', value: 'Eintrittskarte', details: [] },
      { id: 'order_code', label: 'Bestellnummer', value: order.code, details: [] }
    ])

    const counts = await db.selectFrom('exhibitors').select(['id', 'lead_count']).orderBy('id').execute()
    t.same(counts, [{ id: first.id, lead_count: 3 }, { id: second.id, lead_count: 1 }])

    const relayed = await db.selectFrom('outbox').select(['id', 'relayed_at']).orderBy('id').execute()
    t.ok(relayed.every((row) => row.relayed_at !== null), 'every row marked relayed')
    t.ok(jobs.length <= outboxRows.length, `${jobs.length} batch job(s) for ${outboxRows.length} rows`)
    for (const job of jobs) {
      t.equal(job.name, JOBS.leadEnrichBatch)
      t.same(Object.keys(job.data), ['lead_ids'], 'the job carries ids only')
    }
    const queued = jobs.flatMap((job) => job.data.lead_ids as number[]).sort((a, b) => a - b)
    t.same([...new Set(queued)], [...leadIds].sort((a, b) => a - b), 'every uploaded lead was in a batch')
  })

  t.test('the snapshot follows the lead fields as configured when the job runs', async (t) => {
    const before = await db.selectFrom('leads').select('enriched_at')
      .where('exhibitor_id', '=', first.id).where('position_id', '=', attendees[1].positionId).executeTakeFirstOrThrow()
    await queries.exhibitorSettings.updateSettings(db, event.eventId, { lead_fields: JSON.stringify(['company', 'city']) })
    const leadId = await uploadLead(db, first, attendees[1].code)
    const lead = await enriched(leadId, before.enriched_at!)
    t.same(lead.data, [
      { id: 'company', label: 'Firma', value: 'Analytical Engines Ltd', details: [] },
      { id: 'city', label: 'Ort', value: 'London', details: [] }
    ])
    const exhibitor = await db.selectFrom('exhibitors').select('lead_count').where('id', '=', first.id).executeTakeFirstOrThrow()
    t.equal(exhibitor.lead_count, 3, 'a re-upload does not change the count')
  })

  t.test('a lead deleted meanwhile: the job succeeds doing nothing', async (t) => {
    const row = await db.insertInto('outbox').values({ topic: 'lead.enrich', payload: JSON.stringify({ lead_id: 987654 }) })
      .returning('id').executeTakeFirstOrThrow()
    const jobId = outboxBatchJobId('lead.enrich', [row.id])
    const job = await waitFor('the job to complete', async () => {
      // The state first, then the job: a job read while still active has no return value yet.
      return (await enrichQueue.getJobState(jobId)) === 'completed' ? await enrichQueue.getJob(jobId) : undefined
    })
    t.same(job.data, { lead_ids: [987654] })
    t.same(job.returnvalue, { leads: 1, enriched: 0, created: 0 })
  })

  t.test('a batch whose payload does not match its schema fails, naming what is wrong', async (t) => {
    await enrichQueue.add(JOBS.leadEnrichBatch, { lead_ids: [1, 'two'] }, { jobId: 'malformed-batch', attempts: 1 })
    const job = await waitFor('the job to fail', async () =>
      (await enrichQueue.getJobState('malformed-batch')) === 'failed' ? await enrichQueue.getJob('malformed-batch') : undefined)
    t.match(job.failedReason, /^invalid job data at "\/lead_ids\/1"/)
  })

  t.test('rows of a topic this worker does not know stay pending for one that does', async (t) => {
    const row = await db.insertInto('outbox').values({ topic: 'from.the.future', payload: JSON.stringify({ x: 1 }) })
      .returning('id').executeTakeFirstOrThrow()
    t.teardown(async () => { await db.deleteFrom('outbox').where('id', '=', row.id).execute() })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stored = await db.selectFrom('outbox').select('relayed_at').where('id', '=', row.id).executeTakeFirstOrThrow()
    t.equal(stored.relayed_at, null)
  })

  t.test('relayed rows are deleted once older than the retention', async (t) => {
    await db.updateTable('outbox').set({ relayed_at: sql`now() - interval '2 hours'` })
      .where('relayed_at', 'is not', null).where('id', '<=', 3).execute()
    const pending = await db.insertInto('outbox').values({ topic: 'from.the.future', payload: JSON.stringify({}) })
      .returning('id').executeTakeFirstOrThrow()
    t.equal(await queries.outbox.pruneRelayed(db, 3600), 3, 'the three old ones')
    const left = await db.selectFrom('outbox').select(['id', 'relayed_at']).orderBy('id').execute()
    t.ok(left.every((row) => row.id > 3))
    t.ok(left.some((row) => row.id === pending.id), 'pending rows are never deleted')
    t.equal(await queries.outbox.pruneRelayed(db, 0), left.length - 1, 'with no retention, every relayed row')
  })
})

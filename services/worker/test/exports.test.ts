import t, { type Test } from 'tap'
import type { Job } from 'bullmq'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { createDb, queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedEvent, seedExhibitor, testPrefix, waitFor, type SeededEvent } from '@showfloor/db/testing'
import { closeProducers, closeRedis, createProducerRedis, createProducers, createRedis } from '@showfloor/queue'
import { QUEUES, outboxJobId, reconcileExportJobId, type ExportParameters } from '@showfloor/schemas'
import { exportProcessor } from '../src/processors/export.js'
import { pruneProcessor, PRUNE_DEFAULTS } from '../src/processors/prune.js'
import { Reconciler } from '../src/reconciler.js'
import { startWorkers, type RunningWorkers } from '../src/workers.js'
import { inspectQueues, sharedRedisUrl, silentLog, silentOutage } from './support/queues.js'

// The export job against the real database and Redis: a database that drops the worker's
// connections in the middle of an export, exports whose job Redis lost or whose worker died, and
// the prune job deleting expired files.

const mail = { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 }
const APP = 'showfloor-export-test-worker'

t.setTimeout(240_000)

async function closeAll (running: RunningWorkers): Promise<void> {
  for (const closable of [...running.closables].reverse()) await closable.close()
}

/** `count` attendees with a lead each for one of the exhibitors, in bulk. */
async function seedLeads (db: Db, event: SeededEvent, exhibitorIds: number[], count: number): Promise<void> {
  await sql`
    insert into orders (event_id, code, status, email, total)
    select ${event.eventId}, 'X' || g, 'p', 'order' || g || '@example.com', 10 from generate_series(1, ${count}) g`.execute(db)
  await sql`
    insert into order_positions (order_id, event_id, positionid, item_id, price, attendee_name_parts, attendee_email, company, secret, pseudonymization_id)
    select o.id, ${event.eventId}, 1, ${event.itemId}, 10, jsonb_build_object('given_name', 'Given' || g, 'family_name', 'Family' || g),
           'attendee' || g || '@example.com', 'Company ' || (g % 100), 'xsecret' || g, 'X' || g
    from generate_series(1, ${count}) g join orders o on o.event_id = ${event.eventId} and o.code = 'X' || g`.execute(db)
  await sql`
    insert into leads (exhibitor_id, position_id, rating, notes, device_name, scanned, first_upload, last_upload)
    select (${sql.val(exhibitorIds)}::int[])[1 + g % ${exhibitorIds.length}], p.id, g % 6, 'Note ' || g, 'Scanner',
           timestamptz '2026-12-01 09:00:00+00' + g * interval '1 second', now(), now()
    from generate_series(1, ${count}) g join order_positions p on p.event_id = ${event.eventId} and p.pseudonymization_id = 'X' || g`.execute(db)
  await sql`analyze`.execute(db)
}

/** A run as the admin API stores it: the export row and its outbox row in one transaction. */
async function startExport (db: Db, eventId: number, identifier: string, params: ExportParameters): Promise<string> {
  const id = randomUUID()
  await db.transaction().execute(async (trx) => {
    await queries.exports.createExport(trx, { id, key: randomUUID(), eventId, identifier, params })
  })
  return id
}

const row = async (db: Db, id: string) => await db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst()

async function fileOf (db: Db, id: string): Promise<Buffer> {
  const found = await row(db, id)
  if (found?.status !== 'done') throw new Error(`export ${id} is ${found?.status}`)
  const chunks = await db.selectFrom('export_chunks').select('data').where('export_id', '=', id).where('run', '=', found.run).orderBy('seq').execute()
  return Buffer.concat(chunks.map((chunk) => chunk.data))
}

const done = async (db: Db, id: string, timeoutMs = 120_000) => await waitFor(`export ${id} finished`, async () => {
  const found = await row(db, id)
  return found && (found.status === 'done' || found.status === 'failed') ? found : undefined
}, timeoutMs, 50)

async function setUp (t: Test, label: string) {
  const testDb = await createTestDatabase(`worker_${label}`)
  const prefix = testPrefix(label)
  t.teardown(async () => {
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  return { testDb, db: testDb.db, prefix }
}

t.test('the database drops the worker\'s connections mid-export: the job is retried and the file is whole', async (t) => {
  const { testDb, db, prefix } = await setUp(t, 'export_retry')
  const event = await seedEvent(db)
  const exhibitors = [await seedExhibitor(db, event, { name: 'First' }), await seedExhibitor(db, event, { name: 'Second' })]
  const LEADS = 40_000
  await seedLeads(db, event, exhibitors.map((e) => e.id), LEADS)

  const workerDb = createDb(testDb.url, { max: 4, applicationName: APP })
  const running = startWorkers({
    db: workerDb,
    redisUrl: sharedRedisUrl,
    prefix,
    log: silentLog,
    mail,
    relay: { idleMs: 50 },
    reconciler: false,
    exports: { chunkBytes: 64 * 1024, progressEveryMs: 50 }
  })
  t.teardown(async () => {
    await closeAll(running)
    await workerDb.destroy()
  })

  const id = await startExport(db, event.eventId, 'exhibitor_leads', { _format: 'csv' })
  const outboxId = (await db.selectFrom('outbox').select('id').where('topic', '=', 'export.run').executeTakeFirstOrThrow()).id
  const midway = await waitFor('the export half way', async () => {
    const found = await row(db, id)
    if (found?.status === 'done') throw new Error('done before the connections could be dropped')
    const chunks = await db.selectFrom('export_chunks').select('seq').where('export_id', '=', id).execute()
    return found?.status === 'running' && (found.percentage ?? 0) >= 10 && chunks.length > 0 ? found : undefined
  }, 60_000, 10)
  // Every one: in a statement, idle in the pool, or holding the export's cursor between fetches.
  const dropped = await sql<{ n: number }>`
    select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = ${APP}`.execute(db)
  t.ok(dropped.rows[0].n > 0, `the worker's connections dropped at ${midway.percentage ?? 0} %`)

  const finished = await done(db, id)
  t.equal(finished.status, 'done')
  t.ok(finished.run >= 2, `a second attempt wrote the file (run ${finished.run})`)
  const redis = createRedis(sharedRedisUrl)
  await redis.connect()
  const inspect = inspectQueues(redis, prefix)
  t.teardown(async () => {
    await Promise.all(Object.values(inspect).map(async (queue) => { await queue.close() }))
    await closeRedis(redis)
  })
  const job = await inspect[QUEUES.exports].getJob(outboxJobId(outboxId))
  t.ok((job?.attemptsMade ?? 0) >= 1, `BullMQ retried the job (attempts made: ${job?.attemptsMade ?? 0})`)
  const file = await fileOf(db, id)
  t.equal(file.length, finished.size)
  t.same(await db.selectFrom('export_chunks').select('run').distinct().where('export_id', '=', id).execute(), [{ run: finished.run }], 'only the finished run\'s chunks are kept')

  // The same export run without trouble writes the same bytes.
  const again = await startExport(db, event.eventId, 'exhibitor_leads', { _format: 'csv' })
  await done(db, again)
  const clean = await fileOf(db, again)
  t.equal(file.toString('utf8').split('\r\n').length, LEADS + 2, 'the header, every lead, and the final line end')
  t.ok(file.equals(clean), 'byte for byte the file of an undisturbed run')
})

t.test('exports whose job was lost or whose worker died are queued again by the reconciler', async (t) => {
  const { db, prefix } = await setUp(t, 'export_reconcile')
  const event = await seedEvent(db)
  const exhibitor = await seedExhibitor(db, event)
  await seedLeads(db, event, [exhibitor.id], 50)

  // Stored without a worker: one waiting (its job lost with Redis's data), one left running by a
  // worker that died (its job id is gone with it), one done.
  const lost = await startExport(db, event.eventId, 'exhibitor_list', { _format: 'csv' })
  const orphaned = await startExport(db, event.eventId, 'exhibitor_leads', { _format: 'xlsx' })
  await queries.exports.claimExport(db, orphaned, 'dead-job')
  await db.deleteFrom('outbox').execute()
  const fresh = await startExport(db, event.eventId, 'exhibitor_list', { _format: 'xlsx' })
  await db.deleteFrom('outbox').execute()
  await db.updateTable('exports').set({ heartbeat_at: sql<Date>`now() - interval '10 seconds'` }).where('id', 'in', [lost, orphaned]).execute()

  const connection = silentOutage.watch(createProducerRedis(sharedRedisUrl))
  const queues = createProducers(connection, prefix, silentOutage)
  t.teardown(async () => {
    await closeProducers(queues)
    await closeRedis(connection)
  })
  await waitFor('the producer connection', async () => connection.status === 'ready')
  const reconciler = new Reconciler({ db, queues, redisReady: () => true, log: silentLog, afterMs: 5000, pruneEveryMs: 60_000, mailMarginMs: 1000 })
  t.equal(await reconciler.reconcileExports(), 2, 'the two without a heartbeat for 5 s; the fresh one is left alone')
  t.equal(await reconciler.reconcileExports(), 0, 'a second run finds nothing')
  const waiting = (await queues[QUEUES.exports].getJobs(['waiting'])).map((job) => job.id).sort()
  t.same(waiting, [reconcileExportJobId(lost, 0), reconcileExportJobId(orphaned, 1)].sort())
  t.match(await row(db, orphaned), { status: 'waiting', claimed_by: null }, 'the dead worker\'s run is taken from it')
  t.notOk(await queries.exports.reportProgress(db, orphaned, 1, 50), 'a late heartbeat of the dead run changes nothing')

  const running = startWorkers({ db, redisUrl: sharedRedisUrl, prefix, log: silentLog, mail, relay: false, reconciler: false })
  t.teardown(async () => { await closeAll(running) })
  t.equal((await done(db, lost)).status, 'done')
  t.equal((await done(db, orphaned)).status, 'done')
  t.match(await row(db, fresh), { status: 'waiting' }, 'the fresh one still waits for its own job')
})

t.test('a run after too many attempts fails the export for good', async (t) => {
  const { db, prefix } = await setUp(t, 'export_maxruns')
  const event = await seedEvent(db)
  const id = await startExport(db, event.eventId, 'exhibitor_list', { _format: 'csv' })
  await db.updateTable('exports').set({ run: 20 }).where('id', '=', id).execute()
  const running = startWorkers({ db, redisUrl: sharedRedisUrl, prefix, log: silentLog, mail, relay: { idleMs: 50 }, reconciler: false })
  t.teardown(async () => { await closeAll(running) })
  const failed = await done(db, id)
  t.match(failed, { status: 'failed', message: 'The export was started 20 times without finishing.', run: 21 })
  t.ok(failed.expires_at)
})

t.test('the prune job deletes exports 24 hours after they were done, with their files', async (t) => {
  const { db, prefix } = await setUp(t, 'export_prune')
  const event = await seedEvent(db)
  const running = startWorkers({ db, redisUrl: sharedRedisUrl, prefix, log: silentLog, mail, relay: { idleMs: 50 }, reconciler: false })
  t.teardown(async () => { await closeAll(running) })
  const old = await startExport(db, event.eventId, 'exhibitor_list', { _format: 'xlsx' })
  const recent = await startExport(db, event.eventId, 'exhibitor_list', { _format: 'csv' })
  await done(db, old)
  await done(db, recent)
  const expiry = await row(db, old)
  t.equal(expiry!.expires_at!.getTime() - expiry!.done_at!.getTime(), 24 * 3600 * 1000)
  // A day passes for the older one.
  await db.updateTable('exports').set({ done_at: sql<Date>`now() - interval '25 hours'`, expires_at: sql<Date>`now() - interval '1 hour'` }).where('id', '=', old).execute()

  const result = await pruneProcessor(db, PRUNE_DEFAULTS)()
  t.equal(result.exports, 1)
  t.notOk(await row(db, old), 'the expired export is gone')
  t.same(await db.selectFrom('export_chunks').select('export_id').distinct().execute(), [{ export_id: recent }], 'and its file with it')
  t.match(await row(db, recent), { status: 'done' }, 'the recent one stays')
  t.equal((await pruneProcessor(db, PRUNE_DEFAULTS)()).exports, 0)
})

t.test('keyset pages (for sets too large for one cursor) write the same file as the cursor', async (t) => {
  const { db } = await setUp(t, 'export_keyset')
  const event = await seedEvent(db)
  const exhibitors = [await seedExhibitor(db, event, { name: 'A' }), await seedExhibitor(db, event, { name: 'B' }), await seedExhibitor(db, event, { name: 'C' })]
  await seedLeads(db, event, exhibitors.map((e) => e.id), 100)
  // Leads uploaded in the same microsecond: the keyset must still take each once.
  await db.updateTable('leads').set({ first_upload: '2026-12-01T10:00:00.123456Z' }).where('id', '<=', 40).execute()
  const job = (id: string, name: string) => ({ id: name, data: { export_id: id }, attemptsMade: 0, opts: { attempts: 1 } }) as unknown as Job
  const cursor = exportProcessor(db, silentLog)
  const keyset = exportProcessor(db, silentLog, { cursorMaxRows: 0, pageSize: 7 })
  for (const params of [{ _format: 'csv' }, { _format: 'csv', exhibitors: [exhibitors[2].id, exhibitors[0].id], since: new Date(Date.now() - 3600_000).toISOString() }] as ExportParameters[]) {
    const a = await startExport(db, event.eventId, 'exhibitor_leads', params)
    const b = await startExport(db, event.eventId, 'exhibitor_leads', params)
    const expected = Number((await db.selectFrom('leads').select((eb) => eb.fn.countAll().as('n'))
      .where('exhibitor_id', 'in', params.exhibitors ?? exhibitors.map((e) => e.id)).executeTakeFirstOrThrow()).n)
    t.match(await cursor(job(a, 'job-a')), { rows: expected })
    t.match(await keyset(job(b, 'job-b')), { rows: expected })
    const fileA = await fileOf(db, a)
    t.ok(fileA.equals(await fileOf(db, b)), `the same bytes (${JSON.stringify(params)})`)
  }
})

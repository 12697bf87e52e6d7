import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, testPrefix, waitFor } from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { outboxBatchJobId, outboxJobs } from '../src/domain/outbox.js'
import { OutboxRelay } from '../src/outboxRelay.js'
import { closeRedis, createProducerRedis, createProducers } from '@showfloor/queue'
import { sharedRedisUrl, silentLog, silentOutage } from './support/queues.js'
import { privateRedis } from './support/redisServer.js'

async function addOutboxRows (db: Db, count: number): Promise<void> {
  await sql`insert into outbox (topic, payload)
    select 'lead.enrich', jsonb_build_object('lead_id', g) from generate_series(1, ${count}) g`.execute(db)
}

/** A relay with its own connection, as in a worker process of its own. */
function relayFor (t: Test, db: Db, url: string, prefix: string, batchSize: number) {
  const connection = createProducerRedis(url)
  connection.on('error', () => {})
  const producers = createProducers(connection, prefix, silentOutage)
  const relay = new OutboxRelay({ db, queues: producers, redisReady: () => connection.status === 'ready', log: silentLog, batchSize, idleMs: 20, maxErrorDelayMs: 200 })
  t.teardown(async () => {
    await relay.close()
    await Promise.all(Object.values(producers).map(async (q) => { await q.close() }))
    await closeRedis(connection)
  })
  return { relay, producers, connection }
}

t.test('two relays at once enqueue each outbox row exactly once', async (t) => {
  const testDb = await createTestDatabase('worker_relay_twice')
  const prefix = testPrefix('relay')
  t.teardown(async () => {
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const db = testDb.db
  const rows = 3000
  await addOutboxRows(db, rows)
  const a = relayFor(t, db, sharedRedisUrl, prefix, 100)
  const b = relayFor(t, db, sharedRedisUrl, prefix, 100)
  await waitFor('both connections', async () => a.connection.status === 'ready' && b.connection.status === 'ready')
  a.relay.start()
  b.relay.start()
  await waitFor('every row relayed', async () => (await queries.outbox.countPending(db)) === 0, 30_000)
  await a.relay.close()
  await b.relay.close()

  t.equal(a.relay.relayed + b.relay.relayed, rows, `each row relayed by one relay (${a.relay.relayed} + ${b.relay.relayed})`)
  t.ok(a.relay.relayed > 0 && b.relay.relayed > 0, 'both relays took part')
  const queue = a.producers[QUEUES.leadEnrichment]
  const jobs = await queue.getJobs(['waiting'])
  t.equal(jobs.length, rows / 100, 'one job per relayed batch of 100 rows')
  t.ok(jobs.every((job) => job.name === JOBS.leadEnrichBatch && job.data.lead_ids.length === 100))
  const leadIds = jobs.flatMap((job) => job.data.lead_ids as number[]).sort((a, b) => a - b)
  t.same(leadIds, Array.from({ length: rows }, (_, i) => i + 1), 'every row\'s lead in exactly one job')
  const ids = (await db.selectFrom('outbox').select('id').orderBy('id').execute()).map((row) => row.id)
  const sample = await queue.getJob(outboxBatchJobId('lead.enrich', ids.slice(1200, 1300)))
  t.same(sample?.data, { lead_ids: Array.from({ length: 100 }, (_, i) => 1201 + i) }, 'a batch\'s job id comes from its rows')
})

t.test('a relay that dies after adding, before marking, does not double the work', async (t) => {
  const testDb = await createTestDatabase('worker_relay_crash')
  const prefix = testPrefix('relaycrash')
  t.teardown(async () => {
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const db = testDb.db
  await addOutboxRows(db, 50)
  const { relay, producers, connection } = relayFor(t, db, sharedRedisUrl, prefix, 500)
  await waitFor('the connection', async () => connection.status === 'ready')
  const queue = producers[QUEUES.leadEnrichment]

  // The jobs reach Redis, then the process "dies": the transaction rolls back, the rows stay pending.
  await t.rejects(queries.outbox.relayBatch(db, ['lead.enrich'], 500, async (pending) => {
    await queue.addBulk(outboxJobs(pending).get(QUEUES.leadEnrichment)!)
    throw new Error('killed')
  }), /killed/)
  t.equal(await queries.outbox.countPending(db), 50, 'still pending')
  t.equal((await queue.getJobCounts('waiting')).waiting, 1, 'one job for the batch')

  t.equal(await relay.relayOnce(), 50, 'relayed again')
  t.equal(await queries.outbox.countPending(db), 0)
  t.equal((await queue.getJobCounts('waiting')).waiting, 1, 'no job twice')
  const [job] = await queue.getJobs(['waiting'])
  t.same(job.data, { lead_ids: Array.from({ length: 50 }, (_, i) => i + 1) })
})

t.test('while Redis is down the rows stay; once it is back they are relayed', async (t) => {
  const redis = await privateRedis()
  t.teardown(redis.stop)
  const testDb = await createTestDatabase('worker_relay_down')
  t.teardown(async () => { await testDb.drop() })
  const db = testDb.db
  const prefix = testPrefix('relaydown')
  const { relay, producers, connection } = relayFor(t, db, redis.url, prefix, 500)
  await waitFor('the connection', async () => connection.status === 'ready')
  relay.start()

  await redis.stop()
  await addOutboxRows(db, 1200)
  await new Promise((resolve) => setTimeout(resolve, 800))
  t.equal(await queries.outbox.countPending(db), 1200, 'nothing is marked while Redis is away')

  await redis.start()
  await waitFor('every row relayed', async () => (await queries.outbox.countPending(db)) === 0, 30_000)
  const jobs = await producers[QUEUES.leadEnrichment].getJobs(['waiting'])
  t.equal(jobs.length, 3, 'batches of 500, 500 and 200')
  t.equal(new Set(jobs.flatMap((job) => job.data.lead_ids as number[])).size, 1200, 'every row\'s lead in a job')
})

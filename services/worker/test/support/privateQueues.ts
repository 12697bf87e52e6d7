import type { Test } from 'tap'
import { createTestDatabase, testPrefix } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { inspectQueues } from './queues.js'
import { privateRedis } from './redisServer.js'

/**
 * What a test that kills or stops things needs of its own: a private redis-server, a database, a
 * BullMQ prefix and queues to inspect the jobs with, all gone in teardown.
 */
export async function privateQueues (t: Test, label: string) {
  const redisServer = await privateRedis()
  const testDb = await createTestDatabase(`worker_${label}`)
  const prefix = testPrefix(label)
  const redis = createRedis(redisServer.url)
  redis.on('error', () => {})
  await redis.connect()
  const inspect = inspectQueues(redis, prefix)
  t.teardown(async () => {
    await Promise.all(Object.values(inspect).map(async (q) => { await q.close() }))
    await closeRedis(redis)
    await redisServer.stop()
    await testDb.drop()
  })
  return { redisServer, testDb, db: testDb.db, prefix, inspect }
}

import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { Test } from 'tap'
import { RedisOutageLog, closeProducers, closeRedis, createProducerRedis, createProducers, type Producers } from '@showfloor/queue'
import { waitFor } from '@showfloor/db/testing'
import { QUEUES, type QueueName } from '@showfloor/schemas'

export const sharedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const noop = () => {}
/** A logger that says nothing; tests check outcomes, not log lines. */
export const silentLog = {
  level: 'silent',
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  silent: noop,
  child: () => silentLog
} as unknown as FastifyBaseLogger

/** Queues of a test's prefix, for inspecting jobs. */
export function inspectQueues (redis: Redis, prefix: string): Record<QueueName, Queue> {
  const make = (name: QueueName) => {
    const queue = new Queue(name, { connection: redis, prefix, skipVersionCheck: true })
    queue.on('error', () => {})
    return queue
  }
  return Object.fromEntries(Object.values(QUEUES).map((name) => [name, make(name)])) as Record<QueueName, Queue>
}

/** An outage log that says nothing, for producers made by tests. */
export const silentOutage = new RedisOutageLog(silentLog, 'tests')

/** Producers of the test's own on `url`, closed in teardown; resolves once their connection is ready. */
export async function producersFor (t: Test, url: string, prefix: string): Promise<{ queues: Producers, ready: () => boolean }> {
  const connection = silentOutage.watch(createProducerRedis(url))
  const queues = createProducers(connection, prefix, silentOutage)
  t.teardown(async () => {
    await closeProducers(queues)
    await closeRedis(connection)
  })
  const ready = () => connection.status === 'ready'
  await waitFor('the producer connection', async () => ready())
  return { queues, ready }
}

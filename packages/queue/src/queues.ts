import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { JOB_OPTIONS, QUEUES, type QueueName } from '@showfloor/schemas'
import type { RedisOutageLog } from './redis.js'

/**
 * A producer for one queue on a caller-owned connection (see `createProducerRedis`), with the
 * queue's default job options. Readiness and the Redis version check are skipped so that creating
 * it never waits for Redis: adding fails fast instead, and the caller handles that. The queue's
 * connection errors go to the outage log, which reports them once per outage.
 */
export function createQueue (name: QueueName, connection: Redis, prefix: string, outage: RedisOutageLog): Queue {
  const queue = new Queue(name, {
    connection,
    prefix,
    skipWaitingForReady: true,
    skipVersionCheck: true,
    defaultJobOptions: JOB_OPTIONS[name]
  })
  queue.on('error', (err) => { outage.report(err, connection) })
  return queue
}

export type Producers = Record<QueueName, Queue>

/** A producer for every queue, on one connection. */
export function createProducers (connection: Redis, prefix: string, outage: RedisOutageLog): Producers {
  return Object.fromEntries(Object.values(QUEUES).map((name) => [name, createQueue(name, connection, prefix, outage)])) as Producers
}

/** Closes the producers; the connection stays the caller's. */
export async function closeProducers (producers: Producers): Promise<void> {
  await Promise.all(Object.values(producers).map(async (queue) => { await queue.close() }))
}

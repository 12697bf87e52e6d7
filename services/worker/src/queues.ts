import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { JOB_OPTIONS, QUEUES, type QueueName } from '@showfloor/schemas'

/**
 * A connection for adding jobs from a loop that must not hang while Redis is away (the outbox
 * relay): commands fail at once while disconnected (no offline queue) and after a few seconds on a
 * connection that stopped answering, so the caller can keep its rows and try again later.
 */
export function createProducerRedis (url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 1000)
  })
}

/**
 * A producer for one queue on a caller-owned connection. Readiness and the Redis version check are
 * skipped so that creating it never waits for Redis; adding fails fast instead.
 */
export function createQueue (name: QueueName, connection: Redis, prefix: string): Queue {
  const queue = new Queue(name, {
    connection,
    prefix,
    skipWaitingForReady: true,
    skipVersionCheck: true,
    defaultJobOptions: JOB_OPTIONS[name]
  })
  // Connection errors also reach the callers of add(), which handle them; without a listener
  // they would be printed for every reconnect attempt.
  queue.on('error', () => {})
  return queue
}

export type Producers = Record<QueueName, Queue>

export function createProducers (connection: Redis, prefix: string): Producers {
  return {
    [QUEUES.email]: createQueue(QUEUES.email, connection, prefix),
    [QUEUES.leadEnrichment]: createQueue(QUEUES.leadEnrichment, connection, prefix)
  }
}

import { Worker, type Processor } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '@showfloor/db'
import { QUEUES, type QueueName } from '@showfloor/schemas'
import { createMailer } from './mail/mailer.js'
import { OutboxRelay, type OutboxRelayOptions } from './outboxRelay.js'
import { accessCodeEmailProcessor } from './processors/email.js'
import { leadEnrichmentProcessor } from './processors/leadEnrichment.js'
import { createProducerRedis, createProducers } from './queues.js'
import { closeRedis, createRedis } from './redis.js'

/** Something the worker started and must stop on shutdown. */
export interface Closable {
  name: string
  close: () => Promise<void>
}

export interface WorkersOptions {
  db: Db
  redisUrl: string
  prefix: string
  log: FastifyBaseLogger
  mail: {
    smtpUrl?: string
    mailDir: string
    from: string
    appUrl: string
    sendTimeoutMs: number
  }
  concurrency?: Partial<Record<QueueName, number>>
  /** Stalled-job detection: how long a job's lock lasts and how often locks are checked. */
  lockDurationMs?: number
  stalledIntervalMs?: number
  relay?: Partial<Omit<OutboxRelayOptions, 'db' | 'queues' | 'redisReady' | 'log'>> | false
}

export interface RunningWorkers {
  workers: Record<QueueName, Worker>
  relay: OutboxRelay | null
  /** In start order; close them in reverse. */
  closables: Closable[]
}

/**
 * Starts the BullMQ workers (email, lead enrichment) and the outbox relay. Closing finishes the
 * jobs in hand: the relay stops first, then the workers wait for their current jobs, then their
 * connections go.
 */
export function startWorkers (options: WorkersOptions): RunningWorkers {
  const { db, prefix, log } = options
  const closables: Closable[] = []

  // The workers' connection (`maxRetriesPerRequest: null`: blocking commands wait for a reconnect).
  // It connects at once rather than lazily: BullMQ duplicates it for each worker's blocking
  // connection, and a lazy copy whose first connect fails (Redis down at start) is never retried.
  const redis = createRedis(options.redisUrl, { lazyConnect: false })
  redis.on('error', () => {}) // reported by the health check and by each worker's 'error' event
  closables.push({ name: 'worker redis', close: async () => { await closeRedis(redis) } })

  const mailer = createMailer({ smtpUrl: options.mail.smtpUrl, mailDir: options.mail.mailDir, timeoutMs: options.mail.sendTimeoutMs, log })
  closables.push({ name: 'mailer', close: mailer.close })

  const start = (queue: QueueName, processor: Processor, concurrency: number): Worker => {
    const worker = new Worker(queue, processor, {
      connection: redis,
      prefix,
      concurrency: options.concurrency?.[queue] ?? concurrency,
      // BullMQ's defaults (30 s) unless set; an explicit undefined would override them.
      ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs })
    })
    // Connection errors are reported here while BullMQ reconnects; an unhandled 'error' would crash.
    worker.on('error', (err) => { log.debug({ err, queue }, 'queue worker error') })
    worker.on('failed', (job, err) => {
      log.warn({ err, queue, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'job failed')
    })
    closables.push({
      name: `worker ${queue}`,
      // Waits for the jobs in hand. While Redis is away nothing could be recorded and BullMQ would
      // wait for it forever: then it stops at once, and an interrupted job's lock expires and another
      // worker retries it (every processor may run twice).
      close: async () => { await worker.close(redis.status !== 'ready') }
    })
    return worker
  }

  const workers: Record<QueueName, Worker> = {
    [QUEUES.email]: start(QUEUES.email, accessCodeEmailProcessor({
      db,
      mailer,
      from: options.mail.from,
      appUrl: options.mail.appUrl,
      sendTimeoutMs: options.mail.sendTimeoutMs,
      log
    }), 8),
    [QUEUES.leadEnrichment]: start(QUEUES.leadEnrichment, leadEnrichmentProcessor(db), 16)
  }

  let relay: OutboxRelay | null = null
  if (options.relay !== false) {
    const producerRedis = createProducerRedis(options.redisUrl)
    producerRedis.on('error', () => {}) // the relay logs its own failures, once per outage
    const producers = createProducers(producerRedis, prefix)
    closables.push({
      name: 'queue producers',
      close: async () => {
        await Promise.all(Object.values(producers).map(async (queue) => { await queue.close() }))
        await closeRedis(producerRedis)
      }
    })
    relay = new OutboxRelay({ ...options.relay, db, queues: producers, redisReady: () => producerRedis.status === 'ready', log })
    relay.start()
    const running = relay
    closables.push({ name: 'outbox relay', close: async () => { await running.close() } })
  }

  return { workers, relay, closables }
}

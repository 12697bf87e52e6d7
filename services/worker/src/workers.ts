import { Worker, type Processor, type WorkerOptions } from 'bullmq'
import { Histogram, type Registry } from 'prom-client'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '@showfloor/db'
import { RedisOutageLog, closeProducers, closeRedis, createProducerRedis, createProducers, createQueue, createRedis } from '@showfloor/queue'
import { JOBS, QUEUES, type QueueName } from '@showfloor/schemas'
import { createMailer } from './mail/mailer.js'
import { OutboxRelay, type OutboxRelayOptions } from './outboxRelay.js'
import { accessCodeEmailProcessor, claimMargin } from './processors/email.js'
import { leadEnrichmentProcessor } from './processors/leadEnrichment.js'
import { exportProcessor, type ExportOptions } from './processors/export.js'
import { PRUNE_DEFAULTS, pruneProcessor, type PruneOptions } from './processors/prune.js'
import { Reconciler, type ReconcilerOptions } from './reconciler.js'
import {
  WEBHOOK_DEFAULTS, createDeliveryAgents, webhookDeliveryProcessor, webhookRetryDelay, type WebhookDeliveryOptions
} from './processors/webhookDelivery.js'
import { webhookDeliveryBatchProcessor } from './processors/webhookDeliveryBatch.js'
import { webhookFanOutProcessor } from './processors/webhookFanOut.js'

/** Something the worker started and must stop on shutdown. */
export interface Closable {
  name: string
  close: () => Promise<void>
}

type Internal = 'db' | 'queues' | 'redisReady' | 'log'

export interface WorkersOptions {
  db: Db
  redisUrl: string
  prefix: string
  log: FastifyBaseLogger
  /** The process's outage log, shared with its other Redis connections; one of its own otherwise. */
  outage?: RedisOutageLog
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
  relay?: Partial<Omit<OutboxRelayOptions, Internal>> | false
  reconciler?: Partial<Omit<ReconcilerOptions, Internal | 'pruneEveryMs' | 'mailMarginMs'>> | false
  prune?: Partial<PruneOptions>
  /** Data exporter runs: page and chunk sizes, how long files are kept. */
  exports?: Partial<ExportOptions>
  /** Webhook deliveries: timeouts, retry delays, private targets (WEBHOOK_ALLOW_PRIVATE). */
  webhooks?: Partial<WebhookDeliveryOptions>
  /** The process's metrics registry (the health app's), for the webhook delivery lag. */
  metrics?: Registry
}

export interface RunningWorkers {
  workers: Record<QueueName, Worker>
  relay: OutboxRelay | null
  reconciler: Reconciler | null
  /** In start order; close them in reverse. */
  closables: Closable[]
}

/**
 * Starts the BullMQ workers (email, lead enrichment, maintenance), the outbox relay and the
 * reconciler. Closing finishes the jobs in hand: the reconciler and the relay stop first, then the
 * workers wait for their current jobs, then their connections go.
 */
export function startWorkers (options: WorkersOptions): RunningWorkers {
  const { db, prefix, log } = options
  const outage = options.outage ?? new RedisOutageLog(log, 'jobs wait until it is back')
  const webhooks = { ...WEBHOOK_DEFAULTS, ...options.webhooks }
  // A notification never fanned out is kept as long as its deliveries would be tried.
  const prune = { ...PRUNE_DEFAULTS, unfannedRetentionSeconds: webhooks.maxAgeMs / 1000, ...options.prune }
  const closables: Closable[] = []

  // The workers' connection. It connects at once rather than lazily: BullMQ duplicates it for each
  // worker's blocking connection, and a lazy copy whose first connect fails (Redis down at start)
  // is never retried.
  const redis = outage.watch(createRedis(options.redisUrl, { lazyConnect: false }))
  closables.push({ name: 'worker redis', close: async () => { await closeRedis(redis) } })

  // The fan-out adds delivery jobs on the workers' connection: while Redis is away it waits, as its job does.
  const deliveries = createQueue(QUEUES.webhookDelivery, redis, prefix, outage)
  closables.push({ name: 'webhook delivery producer', close: async () => { await deliveries.close() } })
  // As many sockets per receiver as POSTs may run at once (jobs times each batch's POSTs): a request
  // waiting for a socket would spend its timeout before it reached the receiver.
  const agents = createDeliveryAgents(webhooks.concurrency * webhooks.batchConcurrency)
  closables.push({ name: 'webhook connections', close: async () => { agents.http.destroy(); agents.https.destroy() } })
  const lag = options.metrics && new Histogram({
    name: 'showfloor_webhook_delivery_lag_seconds',
    help: 'Time from the change that caused a webhook notification to its successful delivery',
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600, 86400],
    registers: [options.metrics]
  })

  // First attempts come in batches per webhook; retries, and jobs queued before batches, one by one.
  const deliverOne = webhookDeliveryProcessor(db, log, webhooks, lag, agents)
  const deliverBatch = webhookDeliveryBatchProcessor(db, log, webhooks, deliveries, lag, agents)
  const webhookDeliveries: Processor = async (job) => job.name === JOBS.webhookDeliverBatch ? await deliverBatch(job) : await deliverOne(job)

  const mailer = createMailer({ smtpUrl: options.mail.smtpUrl, mailDir: options.mail.mailDir, timeoutMs: options.mail.sendTimeoutMs, log })
  closables.push({ name: 'mailer', close: mailer.close })

  const start = (queue: QueueName, processor: Processor, concurrency: number, extra: Partial<WorkerOptions> = {}): Worker => {
    const worker = new Worker(queue, processor, {
      ...extra,
      connection: redis,
      prefix,
      concurrency: options.concurrency?.[queue] ?? concurrency,
      // BullMQ's defaults (30 s) unless set; an explicit undefined would override them.
      ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs })
    })
    // Connection errors arrive here while BullMQ reconnects (an unhandled 'error' would crash).
    worker.on('error', (err) => { outage.report(err, redis) })
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
    [QUEUES.leadEnrichment]: start(QUEUES.leadEnrichment, leadEnrichmentProcessor(db, deliveries), 16),
    [QUEUES.maintenance]: start(QUEUES.maintenance, pruneProcessor(db, prune), 1),
    [QUEUES.webhooks]: start(QUEUES.webhooks, webhookFanOutProcessor(db, deliveries), 16),
    [QUEUES.webhookDelivery]: start(QUEUES.webhookDelivery, webhookDeliveries, webhooks.concurrency, {
      settings: { backoffStrategy: webhookRetryDelay(webhooks) }
    }),
    // One export at a time per process: each keeps a core busy while it writes its file.
    [QUEUES.exports]: start(QUEUES.exports, exportProcessor(db, log, options.exports), 1)
  }

  let relay: OutboxRelay | null = null
  let reconciler: Reconciler | null = null
  if (options.relay !== false || options.reconciler !== false) {
    // Producers fail fast, so neither loop hangs on a Redis that stopped answering.
    const producerRedis = outage.watch(createProducerRedis(options.redisUrl))
    const queues = createProducers(producerRedis, prefix, outage)
    closables.push({
      name: 'queue producers',
      close: async () => {
        await closeProducers(queues)
        await closeRedis(producerRedis)
      }
    })
    const redisReady = () => producerRedis.status === 'ready'
    if (options.relay !== false) {
      const running = relay = new OutboxRelay({ ...options.relay, db, queues, redisReady, log })
      running.start()
      closables.push({ name: 'outbox relay', close: async () => { await running.close() } })
    }
    if (options.reconciler !== false) {
      const running = reconciler = new Reconciler({
        ...options.reconciler,
        db,
        queues,
        redisReady,
        log,
        pruneEveryMs: prune.everyMs,
        mailMarginMs: claimMargin(options.mail.sendTimeoutMs)
      })
      running.start()
      closables.push({ name: 'reconciler', close: async () => { await running.close() } })
    }
  }

  return { workers, relay, reconciler, closables }
}

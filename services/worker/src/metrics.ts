import type { Worker } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import { queries } from '@showfloor/db'
import { metricsClient } from '@showfloor/http'
import { RedisOutageLog, closeProducers, closeRedis, createProducerRedis, createProducers, type Producers } from '@showfloor/queue'
import type { QueueName } from '@showfloor/schemas'
import type { Closable } from './workers.js'

/** The BullMQ states counted per queue; `failed` holds jobs that used up their retries. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const

export interface WorkerMetricsOptions {
  redisUrl: string
  prefix: string
  outage: RedisOutageLog
  workers: Record<QueueName, Worker>
}

/**
 * What operators watch of the worker on a show day, on its /metrics:
 * - `showfloor_outbox_pending`: outbox rows not relayed to the queues yet (installation-wide);
 * - `showfloor_queue_jobs{queue,state}`: jobs per queue and state (installation-wide): the backlog
 *   is `waiting` + `prioritized`, `failed` the jobs that exhausted their retries;
 * - `showfloor_jobs_completed_total` / `showfloor_jobs_failed_total{queue}`: jobs this process
 *   finished, and attempts that failed (each retry counts).
 * The two gauges are read when scraped. Their connection fails fast, so a scrape while Redis or
 * PostgreSQL is away answers at once, without the gauge it could not read.
 */
export function registerWorkerMetrics (app: FastifyInstance, options: WorkerMetricsOptions): Closable {
  const registers = [app.metrics]
  const redis = options.outage.watch(createProducerRedis(options.redisUrl))
  const queues: Producers = createProducers(redis, options.prefix, options.outage)

  new metricsClient.Gauge({ // eslint-disable-line no-new
    name: 'showfloor_outbox_pending',
    help: 'Outbox rows waiting to be relayed into the job queues (the whole installation)',
    registers,
    async collect () {
      this.reset()
      try {
        this.set(await queries.outbox.countPending(app.db))
      } catch (err) {
        app.log.warn({ err }, 'metrics: could not count the pending outbox rows')
      }
    }
  })
  new metricsClient.Gauge({ // eslint-disable-line no-new
    name: 'showfloor_queue_jobs',
    help: 'Jobs per queue and state (the whole installation); failed: jobs that used up their retries',
    labelNames: ['queue', 'state'],
    registers,
    async collect () {
      this.reset()
      await Promise.all(Object.entries(queues).map(async ([name, queue]) => {
        try {
          const counts = await queue.getJobCounts(...QUEUE_STATES)
          for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0)
        } catch {
          // Redis is away: the outage log says so once; the queue has no samples until it is back.
        }
      }))
    }
  })

  const completed = new metricsClient.Counter({
    name: 'showfloor_jobs_completed_total',
    help: 'Jobs this worker process completed, by queue',
    labelNames: ['queue'],
    registers
  })
  const failed = new metricsClient.Counter({
    name: 'showfloor_jobs_failed_total',
    help: 'Job attempts that failed in this worker process, by queue (each retry counts)',
    labelNames: ['queue'],
    registers
  })
  for (const [queue, worker] of Object.entries(options.workers)) {
    // Zero from the start, so rate() sees the first failure.
    completed.inc({ queue }, 0)
    failed.inc({ queue }, 0)
    worker.on('completed', () => { completed.inc({ queue }) })
    worker.on('failed', () => { failed.inc({ queue }) })
  }

  return {
    name: 'metrics queues',
    close: async () => {
      await closeProducers(queues)
      await closeRedis(redis)
    }
  }
}

import type { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import type { Producers } from '@showfloor/queue'
import { createHash } from 'node:crypto'
import {
  JOBS, OUTBOX_TOPICS, QUEUES, WebhookNotifyJob, parseJob, reconcileExportJobId, reconcileLeadJobId, webhookDeliveryJobId
} from '@showfloor/schemas'
import { BackgroundLoop } from './backgroundLoop.js'
import { ensurePruneScheduler } from './processors/prune.js'

export interface ReconcilerOptions {
  db: Db
  queues: Producers
  /** Whether Redis can take jobs now; while not, the reconciler waits. */
  redisReady: () => boolean
  log: FastifyBaseLogger
  /** Pause between runs (RECONCILE_INTERVAL_MS). */
  intervalMs?: number
  /** How long work may lack its effect before it is queued again (RECONCILE_AFTER_MS). */
  afterMs?: number
  /** Rows per query and per bulk add. */
  batchSize?: number
  /**
   * The relay or the lead queue counts as behind when its oldest waiting work is older than this:
   * the leads' jobs are then late, not lost, and are left alone.
   */
  backlogMs?: number
  /** The prune job's interval, for its scheduler. */
  pruneEveryMs: number
  /** The room a mail delivery needs before its request's deadline (the email processor's claim margin). */
  mailMarginMs: number
}

export interface ReconcileResult {
  /** Leads queued again, in batches (their jobs added, or found still queued); null when the relay or the queue was behind. */
  leads: number | null
  /** Pending mail requests queued again while their deadline allows a delivery. */
  mailQueued: number
  /** Mail requests settled long after their deadline (their API process gone too). */
  mailSettled: number
  /** Notifications relayed but never fanned out, whose fan-out was queued again; null when the fan-out queue was behind. */
  webhookFanOuts: number | null
  /** Pending webhook deliveries long overdue whose job was queued again; null when the delivery queue was busy. */
  webhookDeliveries: number | null
}

/**
 * The job id of a page of leads found by the reconciler: derived from every lead and its change
 * (see reconcileLeadJobId), so the same page found again makes the same job, which BullMQ ignores
 * while it waits or runs (see requeue).
 */
export function reconcileBatchJobId (rows: ReadonlyArray<{ id: number, changed: string }>): string {
  const digest = createHash('sha1').update(rows.map((row) => reconcileLeadJobId(row.id, row.changed)).join(',')).digest('hex').slice(0, 16)
  return `reconcile-${rows[0].id}-${rows[rows.length - 1].id}-${digest}`
}

/**
 * The job id of a page of notifications whose fan-out the reconciler queues again: derived from
 * their outbox rows, so the same page found again (its job still waiting) makes the same job.
 */
export function reconcileFanOutJobId (outboxIds: readonly number[]): string {
  const digest = createHash('sha1').update(outboxIds.join(',')).digest('hex').slice(0, 16)
  return `reconcile-fanout-${outboxIds[0]}-${outboxIds[outboxIds.length - 1]}-${digest}`
}

interface RequeuedJob { name: string, data: Record<string, unknown>, opts: { jobId: string } }

/**
 * Adds jobs for work the rows say is not done, each under the id its work always has; returns those
 * it added. BullMQ ignores an add for an id it still holds: right for a job waiting, delayed or
 * running (late, not lost: a second run adds nothing either). But a job that ended and is kept for
 * inspection (completed, failed) would swallow the add too, although its rows say the work is not
 * done: a delivery job that stalled too often, a fan-out or a page of leads whose retries ran out
 * while PostgreSQL was away. The processors change their rows before their jobs end (a delivery
 * leaves pending in the statement that logs its attempt, a fan-out marks its notifications before it
 * returns, an enrichment stores its leads' time in its transaction), so such a job is stale: it is
 * removed, and its work queued again under the same id. Ids that carry an attempt number instead
 * would make a second job beside a live one whenever a run finds work that is only late.
 */
async function requeue (queue: Queue, jobs: readonly RequeuedJob[]): Promise<RequeuedJob[]> {
  const states = await Promise.all(jobs.map(async (job) => await queue.getJobState(job.opts.jobId)))
  const ended = jobs.filter((_, i) => states[i] === 'completed' || states[i] === 'failed')
  await Promise.all(ended.map(async (job) => await queue.remove(job.opts.jobId)))
  const missing = jobs.filter((_, i) => states[i] === 'unknown' || states[i] === 'completed' || states[i] === 'failed')
  if (missing.length > 0) await queue.addBulk(missing)
  return missing
}

function isNotification (payload: unknown): boolean {
  try {
    parseJob(WebhookNotifyJob, payload)
    return true
  } catch {
    return false
  }
}

const LEAD_TOPICS = Object.keys(OUTBOX_TOPICS).filter((topic) => OUTBOX_TOPICS[topic] === QUEUES.leadEnrichment)

/**
 * Finds work whose effect is missing long after it should have happened, and queues it again
 * (contract section 9): the outbox marks a row relayed once Redis took its job, so a Redis that
 * then lost its data (restarted without persistence, failed over) would lose the job for good.
 * What is missing is read from the rows themselves: leads changed but not enriched since, mail
 * requests still pending while their deadline allows a delivery, webhook notifications relayed
 * but never fanned out, webhook deliveries pending long after their attempt was due. Leads and
 * notifications go in batches, a page of them per job. Job ids come from the rows (a page of
 * leads' from each lead's id and change time, a mail request's is its own id, as the API queues it,
 * a delivery's its webhook and notification, as the fan-out queues it), so a job Redis still has,
 * or a second run, adds nothing. Mail requests still under way well past their deadline (their
 * API process gone as well) are settled, as the API would have at the deadline: a mail is never
 * sent after it. While the relay or the lead queue has a backlog the leads are left alone: their
 * jobs are on the way, and a second job per lead would only make the backlog longer. The first look at the leads comes one interval after the start, once a
 * restarted worker's relay had its turn. Each run also recreates the prune job's scheduler when
 * Redis lost it. Every worker process runs one; they may overlap harmlessly.
 */
export class Reconciler {
  private readonly afterMs: number
  private readonly batchSize: number
  private readonly backlogMs: number
  private readonly loop: BackgroundLoop
  private started = false

  constructor (private readonly options: ReconcilerOptions) {
    this.afterMs = options.afterMs ?? 60_000
    this.batchSize = options.batchSize ?? 1000
    this.backlogMs = options.backlogMs ?? 5000
    const intervalMs = options.intervalMs ?? 30_000
    this.loop = new BackgroundLoop({
      log: options.log,
      idleMs: Math.min(intervalMs, 1000),
      step: async () => {
        if (!this.options.redisReady()) return null
        if (this.started) {
          await this.reconcileOnce()
        } else {
          await this.ensureSchedulers()
          this.started = true
        }
        return intervalMs
      },
      errorDelayMs: () => intervalMs,
      messages: { failed: 'reconciler failed; it tries again at its next run', recovered: 'reconciler working again' }
    })
  }

  /** Sets up the schedulers at once, then reconciles every interval. */
  start (): void {
    this.loop.start()
  }

  async close (): Promise<void> {
    await this.loop.close()
  }

  async reconcileOnce (): Promise<ReconcileResult> {
    await this.ensureSchedulers()
    const leads = await this.reconcileLeads()
    const result = { leads, ...await this.reconcileMailRequests(), ...await this.reconcileWebhooks() }
    if ((leads ?? 0) + result.mailQueued + result.mailSettled + (result.webhookFanOuts ?? 0) + (result.webhookDeliveries ?? 0) > 0) {
      this.options.log.warn(result, 'work without its effect found: queued again or settled')
    }
    const exports = await this.reconcileExports()
    if (exports > 0) this.options.log.warn({ exports }, 'exports without a worker found: queued again')
    return result
  }

  /**
   * Exports waiting, or running without a heartbeat, for longer than `afterMs`: their job was lost
   * or their worker died. Running ones go back to waiting, and each gets a job named by its run, so
   * a job Redis still has (or a second run of this) adds nothing, and a job that still runs it
   * finds it taken from it at its next heartbeat.
   */
  async reconcileExports (): Promise<number> {
    const { db, queues } = this.options
    let total = 0
    for (;;) {
      const rows = await queries.exports.requeueStaleExports(db, this.afterMs, this.batchSize)
      if (rows.length > 0) {
        await queues[QUEUES.exports].addBulk(rows.map((row) => ({
          name: JOBS.exportRun,
          data: { export_id: row.id },
          opts: { jobId: reconcileExportJobId(row.id, row.run) }
        })))
      }
      total += rows.length
      if (rows.length < this.batchSize || this.loop.stopping) return total
    }
  }

  private async ensureSchedulers (): Promise<void> {
    await ensurePruneScheduler(this.options.queues[QUEUES.maintenance], this.options.pruneEveryMs)
  }

  /**
   * Webhook work whose job Redis lost (contract sections 9 and 13): notifications relayed more
   * than `afterMs` ago that no fan-out marked handled get their fan-out again, a page of them per
   * job; pending deliveries whose attempt was due more than `afterMs` ago get their delivery job
   * again (see requeue for the ids). The fan-out is left alone while its queue is behind (its jobs
   * are late, not lost); the deliveries while a page of them or more waits in their queue: most
   * overdue ones are then in it, and asking Redis about each would only cost.
   */
  async reconcileWebhooks (): Promise<Pick<ReconcileResult, 'webhookFanOuts' | 'webhookDeliveries'>> {
    const { queues } = this.options
    const webhookFanOuts = await this.queueBehind(queues[QUEUES.webhooks]) ? null : await this.reconcileFanOuts()
    const busy = (await queues[QUEUES.webhookDelivery].getWaitingCount()) >= this.batchSize
    const webhookDeliveries = busy ? null : await this.reconcileDeliveries()
    return { webhookFanOuts, webhookDeliveries }
  }

  private async reconcileFanOuts (): Promise<number> {
    const { db, queues, log } = this.options
    let requeued = 0
    let malformed = 0
    for (let after = 0; !this.loop.stopping;) {
      const rows = await queries.reconcile.findUnfannedNotifications(db, this.afterMs, after, this.batchSize)
      // A malformed notification would fail its whole page, for ever: it is left out (and logged).
      const notifications = rows.map((row) => row.payload).filter(isNotification)
      malformed += rows.length - notifications.length
      if (notifications.length > 0) {
        const added = await requeue(queues[QUEUES.webhooks], [{
          name: JOBS.webhookNotifyBatch,
          data: { notifications },
          opts: { jobId: reconcileFanOutJobId(rows.map((row) => row.id)) }
        }])
        if (added.length > 0) requeued += notifications.length
      }
      if (rows.length < this.batchSize) break
      after = rows[rows.length - 1].id
    }
    if (malformed > 0) log.warn({ malformed }, 'webhook notifications in the outbox that no fan-out can read: left alone')
    return requeued
  }

  private async reconcileDeliveries (): Promise<number> {
    const { db, queues } = this.options
    let requeued = 0
    for (let after: queries.reconcile.OverdueDelivery | null = null; !this.loop.stopping;) {
      const rows: queries.reconcile.OverdueDelivery[] = await queries.reconcile.findOverdueDeliveries(db, this.afterMs, after, this.batchSize)
      if (rows.length > 0) {
        const added = await requeue(queues[QUEUES.webhookDelivery], rows.map((row) => ({
          name: JOBS.webhookDeliver,
          data: { webhook_id: row.webhook_id, notification: row.notification },
          opts: { jobId: webhookDeliveryJobId(row.webhook_id, row.notification_id) }
        })))
        requeued += added.length
      }
      if (rows.length < this.batchSize) break
      after = rows[rows.length - 1]
    }
    return requeued
  }

  /** Whether the queue's oldest waiting job has waited longer than `backlogMs`. */
  private async queueBehind (queue: Queue): Promise<boolean> {
    const [oldest] = await queue.getJobs(['waiting'], 0, 0, true)
    return oldest !== undefined && oldest.timestamp < Date.now() - this.backlogMs
  }

  private async behind (): Promise<boolean> {
    const { db, queues } = this.options
    if (await queries.reconcile.relayBehind(db, LEAD_TOPICS, this.backlogMs)) return true
    return await this.queueBehind(queues[QUEUES.leadEnrichment])
  }

  private async reconcileLeads (): Promise<number | null> {
    const { db, queues } = this.options
    if (await this.behind()) return null
    let leads = 0
    for (let after = 0; !this.loop.stopping;) {
      const rows = await queries.reconcile.findUnenrichedLeads(db, this.afterMs, after, this.batchSize)
      if (rows.length > 0) {
        // One job per page: its id comes from each lead and its change, so a second run that finds
        // the same page adds nothing while its job waits or runs, a job of the page that ended
        // (its attempts ran out) is replaced (see requeue), and a later change makes a batch of its own.
        await requeue(queues[QUEUES.leadEnrichment], [{
          name: JOBS.leadEnrichBatch,
          data: { lead_ids: rows.map((row) => row.id) },
          opts: { jobId: reconcileBatchJobId(rows) }
        }])
      }
      leads += rows.length
      if (rows.length < this.batchSize) break
      after = rows[rows.length - 1].id
    }
    return leads
  }

  private async reconcileMailRequests (): Promise<{ mailQueued: number, mailSettled: number }> {
    const { db, queues } = this.options
    const mailSettled = await queries.mailRequests.settleOverdueMailRequests(db, this.afterMs, this.batchSize)
    const pending = await queries.mailRequests.listPendingMailRequests(db, this.afterMs, this.options.mailMarginMs, this.batchSize)
    if (pending.length > 0) {
      await queues[QUEUES.email].addBulk(pending.map((id) => ({
        name: JOBS.accessCodeEmail,
        data: { mail_request_id: id },
        opts: { jobId: id }
      })))
    }
    return { mailQueued: pending.length, mailSettled }
  }
}

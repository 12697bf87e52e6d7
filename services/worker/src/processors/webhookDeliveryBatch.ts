import { createHash } from 'node:crypto'
import type { Job, Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Histogram } from 'prom-client'
import { queries, type Db } from '@showfloor/db'
import {
  JOBS, WEBHOOK_DELIVERY_BATCH, WebhookDeliverBatchJob, parseJob, webhookDeliveryJobId, type WebhookDeliverJob, type WebhookNotification
} from '@showfloor/schemas'
import { attemptOutcome, postWebhook, signedNotification, type DeliveryAgents, type WebhookDeliveryOptions } from './webhookDelivery.js'

/**
 * The job id of a batch delivery: derived from the webhook and every notification id, so the same
 * deliveries queued again (a fan-out that ran twice) make the same job, which BullMQ ignores while
 * it holds it, and any other set makes a job of its own.
 */
export function webhookBatchJobId (webhookId: number, notificationIds: readonly string[]): string {
  const digest = createHash('sha1').update(String(webhookId)).update('\0').update(notificationIds.join(',')).digest('hex').slice(0, 20)
  return `webhook-batch-${webhookId}-${digest}`
}

/** The batch delivery jobs of some deliveries to one webhook: up to WEBHOOK_DELIVERY_BATCH notifications each, in their order. */
export function webhookBatchJobs (webhookId: number, notifications: readonly WebhookNotification[]) {
  const jobs: Array<{ name: string, data: WebhookDeliverBatchJob, opts: { jobId: string } }> = []
  for (let i = 0; i < notifications.length; i += WEBHOOK_DELIVERY_BATCH) {
    const chunk = notifications.slice(i, i + WEBHOOK_DELIVERY_BATCH)
    jobs.push({
      name: JOBS.webhookDeliverBatch,
      data: { webhook_id: webhookId, notifications: chunk },
      opts: { jobId: webhookBatchJobId(webhookId, chunk.map((n) => n.id)) }
    })
  }
  return jobs
}

/**
 * The batch delivery jobs of stored deliveries, per webhook in the order each first appears, its
 * notifications in their order (see webhookBatchJobs).
 */
export function deliveryJobs (deliveries: Iterable<{ webhook_id: number, notification: WebhookNotification }>) {
  const byWebhook = new Map<number, WebhookNotification[]>()
  for (const { webhook_id: webhookId, notification } of deliveries) {
    const list = byWebhook.get(webhookId)
    if (list) list.push(notification); else byWebhook.set(webhookId, [notification])
  }
  return [...byWebhook].flatMap(([webhookId, list]) => webhookBatchJobs(webhookId, list))
}

export type BatchResult = { skipped: string } | {
  delivered: number
  /** Failed, each queued as a delivery job of its own for its retry. */
  failed: number
  /** Ended without an attempt: the webhook disabled (before or by a 410 in this batch). */
  skipped: number
  givenUp: number
  /** Not started before the batch ran out of time: queued as a batch of their own. */
  deferred: number
}

/**
 * Delivers the notifications of one fan-out batch to one webhook (contract section 13): one
 * statement reads the webhook and the batch's deliveries; those no longer pending are left out; a
 * disabled webhook ends them as skipped; the rest are POSTed, signed, `batchConcurrency` at a time
 * over the keep-alive connections; then one statement logs every call and moves every delivery on
 * (queries.webhooks.recordBatch), and only then is each failed one queued as a delivery job of its
 * own (webhookDeliveryProcessor), due after the webhook backoff, so retries, giving up and the
 * reconciler's re-queueing work as for any delivery. A 410 disables the webhook and ends the
 * batch's deliveries not yet started as skipped. A slow receiver holds the job about one timeout:
 * deliveries not started by then go on as a batch job of their own.
 *
 * A worker that dies mid-batch leaves its deliveries pending: BullMQ runs the job again, and those
 * recorded meanwhile are left out (delivered) or tried again (at least once, never zero times).
 */
export function webhookDeliveryBatchProcessor (db: Db, log: FastifyBaseLogger, options: WebhookDeliveryOptions, deliveries: Queue, lag?: Histogram, agents?: DeliveryAgents) {
  return async function deliverBatch (job: Job): Promise<BatchResult> {
    const { webhook_id: webhookId, notifications } = parseJob(WebhookDeliverBatchJob, job.data)
    const target = await queries.webhooks.batchDeliveryTarget(db, webhookId, notifications.map((n) => n.id))
    if (!target) return { skipped: 'the webhook was deleted' }
    const pending = new Map<string, number>()
    for (const delivery of target.deliveries) if (delivery.state === 'pending') pending.set(delivery.notification_id, delivery.attempts)
    const due = notifications.filter((n) => pending.has(n.id))

    const records: queries.webhooks.BatchRecord[] = []
    const result = { delivered: 0, failed: 0, skipped: 0, givenUp: 0, deferred: 0 }
    const end = (notification: WebhookNotification, state: 'skipped' | 'given_up') => {
      records.push({ notification_id: notification.id, state, retry_ms: 0, call: null })
      if (state === 'skipped') result.skipped++; else result.givenUp++
    }
    const tries: WebhookNotification[] = []
    for (const notification of due) {
      if (!target.enabled) end(notification, 'skipped')
      else if (Date.now() - Date.parse(notification.created_at) > options.maxAgeMs) {
        // Fanned out (or run again) too late to be tried at all.
        end(notification, 'given_up')
        log.warn({ webhook: webhookId, notification: notification.id, attempts: pending.get(notification.id) }, 'webhook delivery given up: past the age limit before it could be tried')
      } else tries.push(notification)
    }

    const started = Date.now()
    const delivered: WebhookNotification[] = []
    const retries: Array<{ notification: WebhookNotification, delayMs: number }> = []
    const deferred: WebhookNotification[] = []
    let gone = false
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < tries.length) {
        const notification = tries[next++]
        if (gone) { end(notification, 'skipped'); continue }
        if (Date.now() - started >= options.timeoutMs) { deferred.push(notification); continue }
        const made = pending.get(notification.id)!
        const { payload, body, headers } = signedNotification(target.secret, notification)
        const attempt = await postWebhook(target.target_url, headers, body, options, agents)
        const { state, delayMs, call } = attemptOutcome(notification, attempt, made, made > 0 || job.attemptsStarted > 1, payload, options)
        records.push({ notification_id: notification.id, state, retry_ms: state === 'pending' ? delayMs : 0, call })
        if (state === 'delivered') delivered.push(notification)
        else if (state === 'disabled') {
          gone = true
          log.warn({ webhook: webhookId, notification: notification.id }, 'webhook receiver answered 410 Gone: webhook disabled')
        } else if (state === 'given_up') {
          result.givenUp++
          log.warn({ webhook: webhookId, notification: notification.id, attempts: made + 1, reason: attempt.error ?? `answered ${attempt.status}` }, 'webhook delivery given up')
        } else retries.push({ notification, delayMs })
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.batchConcurrency, tries.length) }, lane))

    // Recorded before any retry is queued: a retry job always finds its delivery's attempt counted.
    await queries.webhooks.recordBatch(db, webhookId, records)
    const now = Date.now()
    for (const notification of delivered) lag?.observe((now - Date.parse(notification.created_at)) / 1000)
    const jobs: Array<{ name: string, data: WebhookDeliverJob | WebhookDeliverBatchJob, opts: { jobId: string, delay?: number } }> = retries.map(({ notification, delayMs }) => ({
      name: JOBS.webhookDeliver,
      data: { webhook_id: webhookId, notification },
      opts: { jobId: webhookDeliveryJobId(webhookId, notification.id), delay: delayMs }
    }))
    jobs.push(...webhookBatchJobs(webhookId, deferred))
    if (jobs.length > 0) await deliveries.addBulk(jobs)
    result.delivered = delivered.length
    result.failed = retries.length
    result.deferred = deferred.length
    return result
  }
}

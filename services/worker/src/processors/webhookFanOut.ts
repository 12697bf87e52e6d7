import type { Job, Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { JOBS, WebhookNotifyBatchJob, WebhookNotifyJob, parseJob, type WebhookNotification } from '@showfloor/schemas'
import { deliveryJobs } from './webhookDeliveryBatch.js'

export interface FanOutResult { notifications: number, deliveries: number }

/**
 * Hands notifications to every webhook that listens for them (enabled, the action type listed, all
 * events or the notification's event among its events). A relayed batch of notifications is
 * fanned out together, in one statement that stores a pending delivery per webhook and
 * notification and marks every notification handled (queries.webhooks.fanOut), then one bulk add
 * of a batch delivery job per webhook (split past WEBHOOK_DELIVERY_BATCH notifications), whose id
 * comes from the webhook and the notifications. Stored first, a delivery survives a Redis that
 * loses its job (the reconciler queues it again), and a fan-out that runs twice adds nothing: the
 * deliveries stored by the first are not stored again, and get a job again only once they are
 * pending well past their due time, or to the same job run again (the first died before adding them).
 */
export function webhookFanOutProcessor (db: Db, deliveries: Queue) {
  return async function fanOut (job: Job): Promise<FanOutResult> {
    const notifications: WebhookNotification[] = job.name === JOBS.webhookNotifyBatch
      ? parseJob(WebhookNotifyBatchJob, job.data).notifications
      : [parseJob(WebhookNotifyJob, job.data)]
    const byId = new Map(notifications.map((notification) => [notification.id, notification]))
    // Started again (stalled or failed): the run before may have stored deliveries and died before adding their jobs.
    const rows = await queries.webhooks.fanOut(db, notifications, job.attemptsStarted > 1)
    const jobs = deliveryJobs(rows.map((row) => ({ webhook_id: row.webhook_id, notification: byId.get(row.notification_id)! })))
    if (jobs.length > 0) await deliveries.addBulk(jobs)
    return { notifications: notifications.length, deliveries: rows.length }
  }
}

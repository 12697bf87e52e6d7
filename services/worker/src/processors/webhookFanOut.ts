import type { Job, Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { JOBS, WebhookNotifyBatchJob, WebhookNotifyJob, parseJob, webhookDeliveryJobId, type WebhookNotification } from '@showfloor/schemas'

export interface FanOutResult { notifications: number, deliveries: number }

/**
 * Hands notifications to every webhook that listens for them (enabled, the action type listed, all
 * events or the notification's event among its events). A relayed batch of notifications is
 * fanned out together, in one statement that stores a pending delivery per webhook and
 * notification and marks every notification handled (queries.webhooks.fanOut), then one bulk add
 * of a delivery job per delivery, whose id comes from the webhook and the notification. Stored
 * first, a delivery survives a Redis that loses its job (the reconciler queues it again), and a
 * fan-out that runs twice adds nothing: the deliveries stored by the first are not stored again,
 * and only those still pending get their job added, under the same id, which BullMQ ignores while
 * it holds the job.
 */
export function webhookFanOutProcessor (db: Db, deliveries: Queue) {
  return async function fanOut (job: Job): Promise<FanOutResult> {
    const notifications: WebhookNotification[] = job.name === JOBS.webhookNotifyBatch
      ? parseJob(WebhookNotifyBatchJob, job.data).notifications
      : [parseJob(WebhookNotifyJob, job.data)]
    const byId = new Map(notifications.map((notification) => [notification.id, notification]))
    const rows = await queries.webhooks.fanOut(db, notifications)
    const jobs = rows.map((row) => ({
      name: JOBS.webhookDeliver,
      data: { webhook_id: row.webhook_id, notification: byId.get(row.notification_id)! },
      opts: { jobId: webhookDeliveryJobId(row.webhook_id, row.notification_id) }
    }))
    if (jobs.length > 0) await deliveries.addBulk(jobs)
    return { notifications: notifications.length, deliveries: jobs.length }
  }
}

import type { Job, Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { JOBS, WebhookNotifyJob, parseJob, webhookDeliveryJobId } from '@showfloor/schemas'

export interface FanOutResult { webhooks: number }

/**
 * Hands a notification to every webhook that listens for it (enabled, its action type listed, all
 * events or the notification's event among its events): one delivery job per webhook, whose id
 * comes from the webhook and the notification, so a fan-out that runs twice adds nothing.
 */
export function webhookFanOutProcessor (db: Db, deliveries: Queue) {
  return async function fanOut (job: Job): Promise<FanOutResult> {
    const notification = parseJob(WebhookNotifyJob, job.data)
    const ids = await queries.webhooks.matchingWebhooks(db, notification.organizer, notification.event, notification.action)
    if (ids.length > 0) {
      await deliveries.addBulk(ids.map((id) => ({
        name: JOBS.webhookDeliver,
        data: { webhook_id: id, notification },
        opts: { jobId: webhookDeliveryJobId(id, notification.id) }
      })))
    }
    return { webhooks: ids.length }
  }
}

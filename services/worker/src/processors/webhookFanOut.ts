import type { Job, Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { JOBS, WebhookNotifyBatchJob, WebhookNotifyJob, parseJob, webhookDeliveryJobId, type WebhookNotification } from '@showfloor/schemas'

export interface FanOutResult { notifications: number, deliveries: number }

/**
 * Hands notifications to every webhook that listens for them (enabled, the action type listed, all
 * events or the notification's event among its events): one delivery job per webhook and
 * notification, whose id comes from both, so a fan-out that runs twice adds nothing. A relayed
 * batch of notifications is fanned out together: one query per distinct (organizer, event, action)
 * in it, usually one or two, and one bulk add.
 */
export function webhookFanOutProcessor (db: Db, deliveries: Queue) {
  return async function fanOut (job: Job): Promise<FanOutResult> {
    const notifications: WebhookNotification[] = job.name === JOBS.webhookNotifyBatch
      ? parseJob(WebhookNotifyBatchJob, job.data).notifications
      : [parseJob(WebhookNotifyJob, job.data)]
    const byTarget = new Map<string, WebhookNotification[]>()
    for (const notification of notifications) {
      const key = JSON.stringify([notification.organizer, notification.event, notification.action])
      const list = byTarget.get(key)
      if (list) list.push(notification); else byTarget.set(key, [notification])
    }
    const jobs = []
    for (const group of byTarget.values()) {
      const { organizer, event, action } = group[0]
      const ids = await queries.webhooks.matchingWebhooks(db, organizer, event, action)
      for (const notification of group) {
        for (const id of ids) {
          jobs.push({ name: JOBS.webhookDeliver, data: { webhook_id: id, notification }, opts: { jobId: webhookDeliveryJobId(id, notification.id) } })
        }
      }
    }
    if (jobs.length > 0) await deliveries.addBulk(jobs)
    return { notifications: notifications.length, deliveries: jobs.length }
  }
}

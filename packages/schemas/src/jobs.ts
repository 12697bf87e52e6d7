import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { WebhookNotification } from './webhooks.js'

// The jobs that go through BullMQ (contract section 9): queue names, job names and payloads. Payloads
// carry ids only; the worker reads everything else (addresses, codes, texts) from PostgreSQL when it
// runs, so nothing secret or stale sits in Redis.

export const QUEUES = {
  email: 'email',
  leadEnrichment: 'lead-enrichment',
  /** The worker's own housekeeping, run by job schedulers. */
  maintenance: 'maintenance',
  /** Data exporter runs (contract section 12). */
  exports: 'exports',
  /** Webhook notifications, each fanned out to the webhooks that listen for it. */
  webhooks: 'webhooks',
  /**
   * The signed POSTs: first attempts in batches per webhook, then one job per (webhook,
   * notification) for each retry, for up to 3 days.
   */
  webhookDelivery: 'webhook-delivery'
} as const
export type QueueName = typeof QUEUES[keyof typeof QUEUES]

export const JOBS = {
  accessCodeEmail: 'access-code',
  leadEnrich: 'lead.enrich',
  /** Many leads at once: what the relay and the reconciler queue (contract section 9, batches). */
  leadEnrichBatch: 'lead.enrich.batch',
  /** Deletes relayed outbox rows and expired idempotency keys. */
  prune: 'prune',
  /** One run of a data exporter; written to the outbox with its export row. */
  exportRun: 'export.run',
  /** A change that webhooks may listen for; also the outbox topic of its notification. */
  webhookNotify: 'webhook.notify',
  /** The notifications of one relayed batch, fanned out together. */
  webhookNotifyBatch: 'webhook.notify.batch',
  webhookDeliver: 'webhook.deliver',
  /** The first attempts of many notifications to one webhook, from one fan-out batch. */
  webhookDeliverBatch: 'webhook.deliver.batch'
} as const

/**
 * The states of a send_access_code request (`mail_requests.status`), each step one conditional
 * UPDATE: pending → sending → sent | failed (or back to pending for a retry); pending → abandoned
 * (the API gave up at the deadline) | failed (the worker gave up).
 */
export type MailRequestStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'abandoned' | 'unconfirmed'

/** The job scheduler (BullMQ's repeatable job) of the prune job, one per installation. */
export const PRUNE_SCHEDULER = 'prune'

/** One send_access_code request; the job id is the mail request id, so a request is queued once. */
export const AccessCodeEmailJob = Type.Object({
  mail_request_id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
})
export type AccessCodeEmailJob = Static<typeof AccessCodeEmailJob>

/** A lead that was stored or updated; written to the outbox by the upload statement. */
export const LeadEnrichJob = Type.Object({ lead_id: Type.Integer({ minimum: 1 }) })
export type LeadEnrichJob = Static<typeof LeadEnrichJob>

/** A notification, written to the outbox in the transaction of its change (contract section 13). */
export const WebhookNotifyJob = WebhookNotification
export type WebhookNotifyJob = WebhookNotification

/**
 * One delivery: the webhook and the notification (ids and slugs only; the target and the secret
 * are read when the attempt runs, so a rotated secret or a disabled webhook takes effect at once).
 */
export const WebhookDeliverJob = Type.Object({ webhook_id: Type.Integer({ minimum: 1 }), notification: WebhookNotification })
export type WebhookDeliverJob = Static<typeof WebhookDeliverJob>

/** The most notifications one batch delivery job carries; a fan-out splits larger ones. */
export const WEBHOOK_DELIVERY_BATCH = 100

/**
 * The first attempts of notifications to one webhook (what one fan-out batch found for it): each
 * one that fails goes on as a `WebhookDeliverJob` of its own, retried as those are.
 */
export const WebhookDeliverBatchJob = Type.Object({
  webhook_id: Type.Integer({ minimum: 1 }),
  notifications: Type.Array(WebhookNotification, { minItems: 1, maxItems: 1000 })
})
export type WebhookDeliverBatchJob = Static<typeof WebhookDeliverBatchJob>

/** The notifications of one relayed batch of outbox rows. */
export const WebhookNotifyBatchJob = Type.Object({
  notifications: Type.Array(WebhookNotification, { minItems: 1, maxItems: 10_000 })
})
export type WebhookNotifyBatchJob = Static<typeof WebhookNotifyBatchJob>

/** One delivery job per (webhook, notification): fanning out twice adds nothing. */
export function webhookDeliveryJobId (webhookId: number, notificationId: string): string {
  return `webhook-${webhookId}-${notificationId}`
}

/** The name of the worker's backoff strategy for deliveries (see the worker's webhook processors). */
export const WEBHOOK_BACKOFF = 'webhook'
/** Leads to enrich together, in a few set-based statements; a lead may appear in several batches. */
export const LeadEnrichBatchJob = Type.Object({
  lead_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 })
})
export type LeadEnrichBatchJob = Static<typeof LeadEnrichBatchJob>

/**
 * Which queue each outbox topic is relayed to (the topic becomes the job name, the payload the job
 * data). A relay leaves rows of topics it does not know pending, for a newer worker to relay.
 */
export const OUTBOX_TOPICS: Readonly<Record<string, QueueName>> = {
  [JOBS.leadEnrich]: QUEUES.leadEnrichment,
  [JOBS.exportRun]: QUEUES.exports,
  [JOBS.webhookNotify]: QUEUES.webhooks
}

/**
 * Topics whose rows the relay merges into one job per relayed batch: `job` is the job's name, and
 * the job's data is `{ [into]: [...] }`, the distinct values of each row's `payload[field]` (or of
 * the payloads themselves, `field: null`) in row order. Rows of a topic not listed here become one job each, their payload the job's data.
 */
export const OUTBOX_BATCHES: Readonly<Record<string, { job: string, field: string | null, into: string }>> = {
  [JOBS.leadEnrich]: { job: JOBS.leadEnrichBatch, field: 'lead_id', into: 'lead_ids' },
  // `field: null`: the whole payload (a notification) is the value.
  [JOBS.webhookNotify]: { job: JOBS.webhookNotifyBatch, field: null, into: 'notifications' }
}

/** The BullMQ job id of an outbox row: adding a row twice (a relay crashed before marking it) is a no-op. */
export function outboxJobId (outboxId: number): string {
  return `outbox-${outboxId}`
}

/**
 * The job id the reconciler gives a lead that changed at `changedMicros` (microseconds since the
 * epoch) and was not enriched since: a second run finds the same job and adds nothing, while a
 * later change gets a job of its own.
 */
export function reconcileLeadJobId (leadId: number, changedMicros: string): string {
  return `lead-${leadId}-${changedMicros}`
}

interface KeepJobs { age: number, count: number }
/** The subset of BullMQ's job options used here, typed without depending on BullMQ. */
export interface JobOptions {
  attempts: number
  /** `WEBHOOK_BACKOFF`: the delays come from the worker's own strategy. */
  backoff: { type: 'exponential', delay: number } | { type: typeof WEBHOOK_BACKOFF }
  removeOnComplete: KeepJobs
  removeOnFail: KeepJobs
}

const DAY = 24 * 3600

/**
 * `defaultJobOptions` per queue, for producers and workers alike. Completed jobs are kept a while
 * and bounded; failed jobs are kept two weeks for inspection.
 */
export const JOB_OPTIONS: Readonly<Record<QueueName, JobOptions>> = {
  // Retried only while the waiting request's deadline allows; the processor decides.
  [QUEUES.email]: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: DAY, count: 1000 },
    removeOnFail: { age: 14 * DAY, count: 10000 }
  },
  // 1 s, 2 s, 4 s, ... about 8 minutes in all: enough to ride out a database restart.
  [QUEUES.leadEnrichment]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 14 * DAY, count: 100000 }
  },
  // Runs again at its next slot anyway; a few attempts cover a short database outage.
  [QUEUES.maintenance]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 100 },
    removeOnFail: { age: 14 * DAY, count: 1000 }
  },
  // 2 s, 4 s, 8 s, 16 s: a database restart in the middle of an export is ridden out; each attempt
  // starts the file again.
  [QUEUES.exports]: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: DAY, count: 1000 },
    removeOnFail: { age: 14 * DAY, count: 1000 }
  },
  // The fan-out only reads PostgreSQL and adds jobs: the lead queue's patience.
  [QUEUES.webhooks]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 14 * DAY, count: 100000 }
  },
  // About 5 s, doubling, at most an hour apart: some 80 attempts in 3 days. The processor gives up
  // when the next attempt would come after 3 days, well before this count runs out.
  [QUEUES.webhookDelivery]: {
    attempts: 1000,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 14 * DAY, count: 100000 }
  }
}

/** Checks a job's data against its schema; a malformed payload throws (and fails the job). */
export function parseJob<T extends TSchema> (schema: T, data: unknown): Static<T> {
  if (!Value.Check(schema, data)) {
    const first = Value.Errors(schema, data).First()
    throw new Error(`invalid job data${first ? ` at "${first.path}": ${first.message}` : ''}`)
  }
  return data as Static<T>
}

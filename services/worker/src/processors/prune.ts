import type { Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { JOBS, PRUNE_SCHEDULER } from '@showfloor/schemas'

export interface PruneOptions {
  /** How often the prune job runs. */
  everyMs: number
  /** Relayed outbox rows are deleted after this long; so are the marks of notifications fanned out. */
  outboxRetentionSeconds: number
  /** Webhook calls (the delivery log) and finished deliveries are deleted after this long: 30 days. */
  webhookCallRetentionSeconds: number
  /**
   * A relayed notification that was never fanned out (its job lost) stays in the outbox this long
   * for the reconciler: the delivery age limit (3 days), past which it would be given up anyway.
   */
  unfannedRetentionSeconds: number
}

export const PRUNE_DEFAULTS: PruneOptions = {
  everyMs: 60_000,
  outboxRetentionSeconds: 3600,
  webhookCallRetentionSeconds: 30 * 24 * 3600,
  unfannedRetentionSeconds: 3 * 24 * 3600
}

export interface PruneResult {
  outbox: number
  idempotencyKeys: number
  webhookCalls: number
  webhookDeliveries: number
  webhookFanOuts: number
  exports: number
}

/**
 * Deletes relayed outbox rows past their retention (a notification never fanned out only past the
 * delivery age limit), the admin API's idempotency keys past their day, webhook calls and finished
 * deliveries past their 30 days (pending ones stay, whatever their age: the delivery ends them),
 * fan-out marks past the outbox retention and exports (with their files) past their expiry, each in
 * batches (a few thousand rows per statement) until none is left. A fan-out mark only answers
 * whether a notification still in the outbox was fanned out; it is older than its outbox row (the
 * fan-out comes after the relay), so once past the same retention its row went in the outbox step
 * before it. Should a mark go first all the same, the reconciler fans that notification out again,
 * which the stored deliveries make harmless.
 */
export function pruneProcessor (db: Db, options: PruneOptions) {
  const drain = async (batch: () => Promise<number>): Promise<number> => {
    let total = 0
    for (let deleted = await batch(); deleted > 0; deleted = await batch()) total += deleted
    return total
  }
  return async function prune (): Promise<PruneResult> {
    return {
      outbox: await drain(async () => await queries.outbox.pruneRelayed(db, options.outboxRetentionSeconds, undefined, options.unfannedRetentionSeconds)),
      idempotencyKeys: await drain(async () => await queries.idempotencyKeys.pruneExpired(db)),
      webhookCalls: await drain(async () => await queries.webhooks.pruneCalls(db, options.webhookCallRetentionSeconds)),
      webhookDeliveries: await drain(async () => await queries.webhooks.pruneDeliveries(db, options.webhookCallRetentionSeconds)),
      webhookFanOuts: await drain(async () => await queries.webhooks.pruneFanOuts(db, options.outboxRetentionSeconds)),
      exports: await drain(async () => await queries.exports.pruneExpired(db))
    }
  }
}

/**
 * The prune job's scheduler: created when missing (the first worker to start, or after Redis lost
 * its data) or when the interval changed, left alone otherwise so its next run keeps its slot.
 * Every worker process calls this; the scheduler id makes it one per installation.
 */
export async function ensurePruneScheduler (maintenance: Queue, everyMs: number): Promise<void> {
  const scheduler = await maintenance.getJobScheduler(PRUNE_SCHEDULER)
  if (scheduler && Number(scheduler.every) === everyMs) return
  await maintenance.upsertJobScheduler(PRUNE_SCHEDULER, { every: everyMs }, { name: JOBS.prune, data: {} })
}

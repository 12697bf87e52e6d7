import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import type { Producers } from '@showfloor/queue'
import { JOBS, QUEUES, reconcileLeadJobId } from '@showfloor/schemas'
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
  /** The prune job's interval, for its scheduler. */
  pruneEveryMs: number
}

export interface ReconcileResult { leads: number, mailRequests: number }

/**
 * Finds work whose effect is missing long after it should have happened, and queues it again
 * (contract section 9): the outbox marks a row relayed once Redis took its job, so a Redis that
 * then lost its data (restarted without persistence, failed over) would lose the job for good.
 * What is missing is read from the rows themselves: leads changed but not enriched since, mail
 * requests still pending or sending well past their deadline. Job ids come from the rows (a lead's
 * from its id and change time, a mail request's is its own id, as the API queues it), so a job
 * Redis still has, or a second run, adds nothing. Each run also recreates the prune job's
 * scheduler when Redis lost it. Every worker process runs one; they may overlap harmlessly.
 */
export class Reconciler {
  private readonly afterMs: number
  private readonly batchSize: number
  private readonly loop: BackgroundLoop

  constructor (private readonly options: ReconcilerOptions) {
    this.afterMs = options.afterMs ?? 60_000
    this.batchSize = options.batchSize ?? 1000
    const intervalMs = options.intervalMs ?? 30_000
    this.loop = new BackgroundLoop({
      log: options.log,
      idleMs: Math.min(intervalMs, 1000),
      step: async () => {
        if (!this.options.redisReady()) return null
        await this.reconcileOnce()
        return intervalMs
      },
      errorDelayMs: () => intervalMs,
      messages: { failed: 'reconciler failed; it tries again at its next run', recovered: 'reconciler working again' }
    })
  }

  /** Runs at once, then every interval. */
  start (): void {
    this.loop.start()
  }

  async close (): Promise<void> {
    await this.loop.close()
  }

  async reconcileOnce (): Promise<ReconcileResult> {
    const { db, queues, log } = this.options
    await ensurePruneScheduler(queues[QUEUES.maintenance], this.options.pruneEveryMs)

    let leads = 0
    for (let after = 0; !this.loop.stopping;) {
      const rows = await queries.reconcile.findUnenrichedLeads(db, this.afterMs, after, this.batchSize)
      if (rows.length > 0) {
        await queues[QUEUES.leadEnrichment].addBulk(rows.map((row) => ({
          name: JOBS.leadEnrich,
          data: { lead_id: row.id },
          opts: { jobId: reconcileLeadJobId(row.id, row.changed) }
        })))
      }
      leads += rows.length
      if (rows.length < this.batchSize) break
      after = rows[rows.length - 1].id
    }

    const mailRequests = await queries.reconcile.findStuckMailRequests(db, this.afterMs, this.batchSize)
    if (mailRequests.length > 0) {
      // The processor decides what a late request gets: it is never sent after its deadline.
      await queues[QUEUES.email].addBulk(mailRequests.map((id) => ({
        name: JOBS.accessCodeEmail,
        data: { mail_request_id: id },
        opts: { jobId: id }
      })))
    }

    const result = { leads, mailRequests: mailRequests.length }
    if (leads + mailRequests.length > 0) log.warn(result, 'work without its effect found; its jobs were queued again')
    return result
  }
}

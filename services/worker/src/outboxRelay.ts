import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import type { Producers } from '@showfloor/queue'
import { OUTBOX_TOPICS } from '@showfloor/schemas'
import { BackgroundLoop } from './backgroundLoop.js'
import { outboxJobs, relayOutboxBatch } from './domain/outbox.js'

type PendingOutboxRow = queries.outbox.PendingOutboxRow

export interface OutboxRelayOptions {
  db: Db
  /** Producers of the queues the outbox topics go to. */
  queues: Producers
  /** Whether Redis can take jobs now; while not, the relay waits without touching the rows. */
  redisReady: () => boolean
  log: FastifyBaseLogger
  /** Rows per transaction. */
  batchSize?: number
  /** Pause after a poll that did not fill a batch (250 ms). */
  idleMs?: number
  /** Longest pause between attempts while Redis or PostgreSQL fail. */
  maxErrorDelayMs?: number
}

/**
 * Moves the transactional outbox into BullMQ (contract section 9). Each batch takes pending rows in
 * id order under `FOR UPDATE SKIP LOCKED`, adds them as jobs (one per topic for the batched topics,
 * e.g. all the batch's leads in one enrichment job; one per row otherwise) whose ids are derived
 * from the row ids, and marks them relayed in the same transaction once Redis took them. Several relays may run at
 * once (one per worker process): each takes rows no other one holds. A relay that dies after the
 * add and before the commit leaves its rows pending; adding the same rows again is a no-op for
 * BullMQ, which ignores a job id it already has, and a batch that takes them with other rows only
 * enriches some leads twice, which changes nothing. While Redis is away the rows simply stay, and lead uploads,
 * which only write PostgreSQL, go on. Relayed rows are deleted later by the prune job.
 */
export class OutboxRelay {
  private readonly batchSize: number
  private readonly topics = Object.keys(OUTBOX_TOPICS)
  private readonly loop: BackgroundLoop
  /** Rows this relay enqueued since it started. */
  relayed = 0

  constructor (private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500
    // A lead's webhook waits for the relay once (its upload; its enrichment fans it out), so the
    // wait shows in its delivery time; a longer one gathers bigger batches under load, and so less
    // CPU per lead: every batch costs its round trips and its job, whatever its size (OUTBOX_POLL_MS).
    const idleMs = options.idleMs ?? 250
    const maxErrorDelayMs = options.maxErrorDelayMs ?? 2000
    this.loop = new BackgroundLoop({
      log: options.log,
      idleMs,
      step: async () => {
        if (!this.options.redisReady()) return null
        // A full batch means more are waiting: go on at once.
        return (await this.relayOnce()) === this.batchSize ? 0 : idleMs
      },
      errorDelayMs: (failures) => Math.min(idleMs * 2 ** failures, maxErrorDelayMs),
      messages: { failed: 'outbox relay failed; the rows stay pending and are retried', recovered: 'outbox relay working again' }
    })
  }

  start (): void {
    this.loop.start()
  }

  /** Stops after the batch in hand (its transaction commits or rolls back first). */
  async close (): Promise<void> {
    await this.loop.close()
  }

  /** Relays one batch; returns how many rows went into the queues. */
  async relayOnce (): Promise<number> {
    const count = await relayOutboxBatch(this.options.db, this.topics, this.batchSize, async (rows) => {
      await this.enqueue(rows)
    })
    this.relayed += count
    return count
  }

  private async enqueue (rows: PendingOutboxRow[]): Promise<void> {
    for (const [queue, jobs] of outboxJobs(rows)) {
      await this.options.queues[queue].addBulk(jobs)
    }
  }
}

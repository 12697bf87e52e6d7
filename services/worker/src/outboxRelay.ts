import type { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import { OUTBOX_TOPICS, outboxJobId, type QueueName } from '@showfloor/schemas'
import { relayOutboxBatch } from './domain/outbox.js'

type PendingOutboxRow = queries.outbox.PendingOutboxRow

export interface OutboxRelayOptions {
  db: Db
  /** Producers of the queues the outbox topics go to. */
  queues: Record<QueueName, Queue>
  /** Whether Redis can take jobs now; while not, the relay waits without touching the rows. */
  redisReady: () => boolean
  log: FastifyBaseLogger
  /** Rows per transaction. */
  batchSize?: number
  /** Pause when there was nothing to relay. */
  idleMs?: number
  /** Longest pause between attempts while Redis or PostgreSQL fail. */
  maxErrorDelayMs?: number
  /** Relayed rows are deleted after this long. */
  retentionSeconds?: number
  pruneIntervalMs?: number
}

/**
 * Moves the transactional outbox into BullMQ (contract section 9). Each batch takes pending rows in
 * id order under `FOR UPDATE SKIP LOCKED`, adds them as jobs whose id is derived from the row id,
 * and marks them relayed in the same transaction once Redis took them. Several relays may run at
 * once (one per worker process): each takes rows no other one holds. A relay that dies after the
 * add and before the commit leaves its rows pending; adding them again is a no-op for BullMQ, which
 * ignores a job id it already has. While Redis is away the rows simply stay, and lead uploads,
 * which only write PostgreSQL, go on.
 */
export class OutboxRelay {
  private readonly batchSize: number
  private readonly idleMs: number
  private readonly maxErrorDelayMs: number
  private readonly retentionSeconds: number
  private readonly pruneIntervalMs: number
  private readonly topics = Object.keys(OUTBOX_TOPICS)
  private running: Promise<void> | null = null
  private stopping = false
  private wake: (() => void) | null = null
  private failures = 0
  private lastPrune = 0
  /** Rows this relay enqueued since it started. */
  relayed = 0

  constructor (private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500
    this.idleMs = options.idleMs ?? 200
    this.maxErrorDelayMs = options.maxErrorDelayMs ?? 2000
    this.retentionSeconds = options.retentionSeconds ?? 3600
    this.pruneIntervalMs = options.pruneIntervalMs ?? 60_000
  }

  start (): void {
    if (this.running) return
    this.stopping = false
    this.running = this.loop()
  }

  /** Stops after the batch in hand (its transaction commits or rolls back first). */
  async close (): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.running
    this.running = null
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
    const byQueue = new Map<QueueName, PendingOutboxRow[]>()
    for (const row of rows) {
      const queue = OUTBOX_TOPICS[row.topic]
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), row])
    }
    for (const [queue, queued] of byQueue) {
      await this.options.queues[queue].addBulk(queued.map((row) => ({
        name: row.topic,
        data: row.payload,
        opts: { jobId: outboxJobId(row.id) }
      })))
    }
  }

  private async loop (): Promise<void> {
    while (!this.stopping) {
      let delay = this.idleMs
      try {
        if (this.options.redisReady()) {
          const count = await this.relayOnce()
          if (this.failures > 0) this.options.log.info('outbox relay working again')
          this.failures = 0
          // A full batch means more are waiting: go on at once.
          if (count === this.batchSize) delay = 0
          await this.pruneWhenDue()
        }
      } catch (err) {
        if (this.failures === 0) this.options.log.warn({ err }, 'outbox relay failed; the rows stay pending and are retried')
        this.failures++
        delay = Math.min(this.idleMs * 2 ** this.failures, this.maxErrorDelayMs)
      }
      if (delay > 0 && !this.stopping) await this.sleep(delay)
    }
  }

  private async pruneWhenDue (): Promise<void> {
    const now = Date.now()
    if (now - this.lastPrune < this.pruneIntervalMs) return
    this.lastPrune = now
    let deleted: number
    do {
      deleted = await queries.outbox.pruneRelayed(this.options.db, this.retentionSeconds)
    } while (deleted > 0 && !this.stopping)
    // The admin API's idempotency keys expire after a day; this loop is the one that runs anyway.
    do {
      deleted = await queries.idempotencyKeys.pruneExpired(this.options.db)
    } while (deleted > 0 && !this.stopping)
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done () { clearTimeout(timer); resolve() }
      this.wake = done
    })
    this.wake = null
  }
}

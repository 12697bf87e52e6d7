import { createHash } from 'node:crypto'
import { queries, type Db } from '@showfloor/db'
import { OUTBOX_BATCHES, OUTBOX_TOPICS, outboxJobId, type QueueName } from '@showfloor/schemas'

type Enqueue = Parameters<typeof queries.outbox.relayBatch>[3]
type PendingOutboxRow = queries.outbox.PendingOutboxRow

/**
 * Relays one batch of outbox rows in one transaction: the rows stay locked while `enqueue` runs and
 * are marked relayed only when it resolved; when it throws, they stay pending.
 */
export async function relayOutboxBatch (db: Db, topics: readonly string[], limit: number, enqueue: Enqueue): Promise<number> {
  if (topics.length === 0) return 0
  return await db.transaction().execute(async (trx) => await queries.outbox.relayBatch(trx, topics, limit, enqueue))
}

/** A job as BullMQ's `addBulk` takes it. */
export interface OutboxJob { name: string, data: Record<string, unknown>, opts: { jobId: string } }

/**
 * The job id of the rows of one topic relayed together: derived from every row id, so the same rows
 * added again (a relay that died before it marked them) make the same job, which BullMQ ignores,
 * while any other set of rows makes a job of its own.
 */
export function outboxBatchJobId (topic: string, outboxIds: readonly number[]): string {
  const digest = createHash('sha1').update(topic).update('\0').update(outboxIds.join(',')).digest('hex').slice(0, 16)
  return `outbox-${outboxIds[0]}-${outboxIds[outboxIds.length - 1]}-${digest}`
}

/**
 * The jobs a batch of outbox rows becomes, per queue (OUTBOX_TOPICS). Rows of a batched topic
 * (OUTBOX_BATCHES) become one job per topic carrying the distinct ids the rows name; rows of any
 * other topic one job each, their payload the job's data. Rows in id order give jobs in that order.
 */
export function outboxJobs (rows: readonly PendingOutboxRow[]): Map<QueueName, OutboxJob[]> {
  const byTopic = new Map<string, PendingOutboxRow[]>()
  for (const row of rows) {
    const list = byTopic.get(row.topic)
    if (list) list.push(row); else byTopic.set(row.topic, [row])
  }
  const byQueue = new Map<QueueName, OutboxJob[]>()
  for (const [topic, topicRows] of byTopic) {
    const queue = OUTBOX_TOPICS[topic]
    if (queue === undefined) continue
    const jobs = byQueue.get(queue) ?? []
    byQueue.set(queue, jobs)
    const batch = OUTBOX_BATCHES[topic]
    if (batch === undefined) {
      for (const row of topicRows) jobs.push({ name: topic, data: row.payload, opts: { jobId: outboxJobId(row.id) } })
      continue
    }
    const field = batch.field
    const values = field === null ? topicRows.map((row) => row.payload) : [...new Set(topicRows.map((row) => row.payload[field]))]
    jobs.push({
      name: batch.job,
      data: { [batch.into]: values },
      opts: { jobId: outboxBatchJobId(topic, topicRows.map((row) => row.id)) }
    })
  }
  return byQueue
}

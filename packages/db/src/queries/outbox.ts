import { sql } from 'kysely'
import { JOBS } from '@showfloor/schemas'
import type { Db } from '../database.js'

export interface PendingOutboxRow {
  id: number
  topic: string
  payload: Record<string, unknown>
}

/**
 * Relays one batch of pending outbox rows: takes the oldest pending rows of the given topics,
 * locked, hands them to `enqueue`, and marks them relayed once `enqueue` resolved. Run it in a
 * transaction (`db` one): the locks last until it ends. `SKIP LOCKED` lets several relays run at
 * once, each taking rows no other one holds; a row marked by a relay that committed first no longer
 * matches when another one reaches it. When `enqueue` throws, the transaction rolls back and the
 * rows stay pending for the next attempt. Returns how many rows were relayed.
 */
export async function relayBatch (
  db: Db,
  topics: readonly string[],
  limit: number,
  enqueue: (rows: PendingOutboxRow[]) => Promise<void>
): Promise<number> {
  if (topics.length === 0) return 0
  const rows = await db.selectFrom('outbox').select(['id', 'topic', 'payload'])
    .where('relayed_at', 'is', null)
    .where('topic', 'in', [...topics])
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  if (rows.length === 0) return 0
  await enqueue(rows)
  // One array parameter rather than one per row: the statement stays the same whatever the batch size.
  await db.updateTable('outbox').set({ relayed_at: sql`now()` })
    .where(sql<boolean>`id = any(${rows.map((row) => row.id)}::bigint[])`)
    .execute()
  return rows.length
}

/** How many rows wait to be relayed (for metrics and tests). */
export async function countPending (db: Db): Promise<number> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('relayed_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.count)
}

/**
 * Deletes up to `limit` relayed rows older than `retentionSeconds`. Only the oldest relayed rows
 * (by id, from the primary key) are looked at, so a run costs the same however many recent rows
 * are kept. A webhook notification that no fan-out marked handled is kept until it is
 * `unfannedRetentionSeconds` old (the delivery age limit, when given): its fan-out job was lost, and
 * the reconciler reads it from here; skipped in the look, such rows never hold the others back.
 * Returns how many rows went.
 */
export async function pruneRelayed (db: Db, retentionSeconds: number, limit = 5000, unfannedRetentionSeconds = retentionSeconds): Promise<number> {
  const result = await db.deleteFrom('outbox')
    .where('id', 'in', (eb) => eb.selectFrom('outbox as o').select('o.id')
      .where('o.relayed_at', 'is not', null)
      .where((w) => w.not(w.and([
        w('o.topic', '=', JOBS.webhookNotify),
        w('o.created_at', '>=', sql<Date>`now() - make_interval(secs => ${unfannedRetentionSeconds})`),
        w.not(w.exists(w.selectFrom('webhook_fanouts as f').select('f.notification_id')
          .where(sql<boolean>`f.notification_id = (o.payload->>'id')::uuid`)))
      ])))
      .orderBy('o.id')
      .limit(limit))
    .where('relayed_at', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

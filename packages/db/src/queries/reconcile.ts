import { sql } from 'kysely'
import { JOBS } from '@showfloor/schemas'
import type { Db } from '../database.js'

// The reconciler's questions about leads: which lack their effect long after it should have happened
// (contract section 9). The answers come from the rows themselves, not from Redis, so a Redis that
// lost its data cannot hide them. Mail requests have theirs in mailRequests.ts.

const ago = (ms: number) => sql<Date>`now() - make_interval(secs => ${ms / 1000})`

export interface UnenrichedLead {
  id: number
  /** The lead's last change (`last_upload`), in microseconds since the epoch, as text. */
  changed: string
}

/**
 * Leads with an id above `afterId` that an upload stored or merged more than `olderThanMs` ago
 * and that were not enriched since, in id order, at most `limit`. Walked by id (the primary key)
 * in pages, so a run looks at every lead once; the condition needs no index of its own, which
 * would cost the upload and the enrichment their in-place (HOT) updates.
 */
export async function findUnenrichedLeads (db: Db, olderThanMs: number, afterId: number, limit: number): Promise<UnenrichedLead[]> {
  const rows = await db.selectFrom('leads')
    .select(['id', sql<string>`(extract(epoch from last_upload) * 1000000)::bigint::text`.as('changed')])
    .where('id', '>', afterId)
    .where((eb) => eb.or([eb('enriched_at', 'is', null), eb('enriched_at', '<', eb.ref('last_upload'))]))
    .where('last_upload', '<', ago(olderThanMs))
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map((row) => ({ id: Number(row.id), changed: row.changed }))
}

/**
 * Whether the relay is behind: the oldest pending outbox row of these topics was written more
 * than `olderThanMs` ago. Its lead's job is then late, not lost. The oldest by id, through the
 * pending rows' partial index.
 */
export async function relayBehind (db: Db, topics: readonly string[], olderThanMs: number): Promise<boolean> {
  if (topics.length === 0) return false
  // Compared by the database's clock, as the rows were stamped.
  const row = await db.selectFrom('outbox').select(sql<boolean>`created_at < ${ago(olderThanMs)}`.as('late'))
    .where('relayed_at', 'is', null)
    .where('topic', 'in', [...topics])
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
  return row?.late ?? false
}

// Webhooks: notifications relayed but never fanned out, and deliveries overdue (their jobs lost).

export interface UnfannedNotification {
  /** The outbox row's id. */
  id: number
  payload: Record<string, unknown>
}

/**
 * Notifications with an outbox id above `afterId`, relayed more than `olderThanMs` ago, that no
 * fan-out marked handled: their fan-out job was lost. In id order, at most `limit`. Walked by id
 * in pages, as the leads are, through the relayed notifications' partial index, so a run reads the
 * notifications alone, not the other topics' rows; the outbox keeps relayed rows for an hour (a
 * notification not fanned out longer, see pruneRelayed), so a run reads at most that much.
 */
export async function findUnfannedNotifications (db: Db, olderThanMs: number, afterId: number, limit: number): Promise<UnfannedNotification[]> {
  const rows = await db.selectFrom('outbox as o')
    .select(['o.id', 'o.payload'])
    .where('o.id', '>', afterId)
    // The topic in the statement's text, not a parameter, so that even a generic plan can use the
    // relayed notifications' partial index.
    .where('o.topic', '=', sql.lit(JOBS.webhookNotify))
    .where('o.relayed_at', '<', ago(olderThanMs))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_fanouts as f').select('f.notification_id')
      .where(sql<boolean>`f.notification_id = (o.payload->>'id')::uuid`))))
    .orderBy('o.id')
    .limit(limit)
    .execute()
  return rows.map((row) => ({ id: Number(row.id), payload: row.payload }))
}

export interface OverdueDelivery {
  webhook_id: number
  notification_id: string
  notification: Record<string, unknown>
  /** When its next attempt was due, exactly as stored (text, for the next page's key). */
  due: string
}

/**
 * Pending deliveries whose next attempt was due more than `olderThanMs` ago and that come after
 * `after` in (due, webhook, notification) order, at most `limit`: their job is late or lost. Read
 * through the pending rows' partial index, which holds the same order, so a page costs its rows
 * however many deliveries wait for a later retry.
 */
export async function findOverdueDeliveries (db: Db, olderThanMs: number, after: OverdueDelivery | null, limit: number): Promise<OverdueDelivery[]> {
  let query = db.selectFrom('webhook_deliveries')
    .select(['webhook_id', sql<string>`notification_id::text`.as('notification_id'), 'notification', sql<string>`next_attempt_at::text`.as('due')])
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<', ago(olderThanMs))
  if (after !== null) {
    query = query.where(sql<boolean>`(next_attempt_at, webhook_id, notification_id) > (${after.due}::timestamptz, ${after.webhook_id}, ${after.notification_id}::uuid)`)
  }
  return await query.orderBy('next_attempt_at').orderBy('webhook_id').orderBy('notification_id').limit(limit).execute()
}

import { sql } from 'kysely'
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

import { sql } from 'kysely'
import type { Db } from '../database.js'

// X-Idempotency-Key: one row per (Authorization hash, key), claimed by the first request, holding its
// response once it is answered. Keys live 24 hours.
const TTL = sql`interval '24 hours'`

export interface StoredResponse {
  running: boolean
  status: number | null
  body: string | null
  contentType: string | null
}

/** Claims the key (or takes over one older than a day); false when a live claim exists. */
export async function claim (db: Db, authHash: string, key: string, method: string, path: string): Promise<boolean> {
  const row = await db.insertInto('idempotency_keys')
    .values({ auth_hash: authHash, key, method, path })
    .onConflict((oc) => oc.columns(['auth_hash', 'key']).doUpdateSet({
      method, path, running: true, response_status: null, response_body: null, created_at: sql`now()`
    }).where('idempotency_keys.created_at', '<', sql<Date>`now() - ${TTL}`))
    .returning('key')
    .executeTakeFirst()
  return row !== undefined
}

export async function find (db: Db, authHash: string, key: string): Promise<StoredResponse | undefined> {
  const row = await db.selectFrom('idempotency_keys')
    .select(['running', 'response_status', 'response_body', 'response_content_type'])
    .where('auth_hash', '=', authHash).where('key', '=', key).executeTakeFirst()
  return row && { running: row.running, status: row.response_status, body: row.response_body, contentType: row.response_content_type }
}

export async function store (db: Db, authHash: string, key: string, status: number, body: string, contentType: string): Promise<void> {
  await db.updateTable('idempotency_keys')
    .set({ running: false, response_status: status, response_body: body, response_content_type: contentType })
    .where('auth_hash', '=', authHash).where('key', '=', key).execute()
}

/** Gives the key up (a response that is not kept, or a request that never finished). */
export async function release (db: Db, authHash: string, key: string, onlyWhileRunning = false): Promise<void> {
  let query = db.deleteFrom('idempotency_keys').where('auth_hash', '=', authHash).where('key', '=', key)
  if (onlyWhileRunning) query = query.where('running', '=', true)
  await query.execute()
}

/** Deletes up to `limit` keys older than a day; returns how many went. */
export async function pruneExpired (db: Db, limit = 5000): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where created_at < now() - ${TTL} limit ${limit})`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

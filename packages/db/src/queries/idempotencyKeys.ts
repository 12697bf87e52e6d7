import { sql } from 'kysely'
import type { Db } from '../database.js'

// X-Idempotency-Key: one row per (Authorization hash, key), claimed by the first request, holding its
// response once it is answered. Keys live 24 hours. A running key is held by a lease that its
// request renews; a key whose lease ran out (its process died) is taken over by the next claim.
const TTL = sql`interval '24 hours'`

/** How long a claim holds a running key unless renewed. */
export const DEFAULT_LEASE_MS = 60_000

const fromNow = (ms: number) => sql<Date>`now() + make_interval(secs => ${ms / 1000})`

export interface StoredResponse {
  running: boolean
  status: number | null
  body: string | null
  contentType: string | null
}

export interface Lease {
  /** A token of the claiming request: only it renews, stores or releases the key. */
  owner?: string
  ms?: number
}

/**
 * Claims the key, or takes over one older than a day or one still running whose lease ran out (its
 * request's process is gone); false when a live claim or a stored response exists.
 */
export async function claim (db: Db, authHash: string, key: string, method: string, path: string, lease: Lease = {}): Promise<boolean> {
  const owner = lease.owner ?? null
  const leaseUntil = fromNow(lease.ms ?? DEFAULT_LEASE_MS)
  const row = await db.insertInto('idempotency_keys')
    .values({ auth_hash: authHash, key, method, path, owner, lease_until: leaseUntil })
    .onConflict((oc) => oc.columns(['auth_hash', 'key']).doUpdateSet({
      method,
      path,
      owner,
      lease_until: leaseUntil,
      running: true,
      response_status: null,
      response_body: null,
      response_content_type: null,
      created_at: sql`now()`
    }).where((eb) => eb.or([
      eb('idempotency_keys.created_at', '<', sql<Date>`now() - ${TTL}`),
      eb.and([eb('idempotency_keys.running', '=', true), eb('idempotency_keys.lease_until', '<', sql<Date>`now()`)])
    ])))
    .returning('key')
    .executeTakeFirst()
  return row !== undefined
}

/** Extends the lease of a running key its owner still holds; false when the key was lost or finished. */
export async function renew (db: Db, authHash: string, key: string, owner: string, ms: number = DEFAULT_LEASE_MS): Promise<boolean> {
  const result = await db.updateTable('idempotency_keys')
    .set({ lease_until: fromNow(ms) })
    .where('auth_hash', '=', authHash).where('key', '=', key)
    .where('owner', '=', owner).where('running', '=', true)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function find (db: Db, authHash: string, key: string): Promise<StoredResponse | undefined> {
  const row = await db.selectFrom('idempotency_keys')
    .select(['running', 'response_status', 'response_body', 'response_content_type'])
    .where('auth_hash', '=', authHash).where('key', '=', key).executeTakeFirst()
  return row && { running: row.running, status: row.response_status, body: row.response_body, contentType: row.response_content_type }
}

/** Stores the response; with `owner`, only while that request still holds the key. */
export async function store (db: Db, authHash: string, key: string, status: number, body: string, contentType: string, owner?: string): Promise<void> {
  let query = db.updateTable('idempotency_keys')
    .set({ running: false, response_status: status, response_body: body, response_content_type: contentType })
    .where('auth_hash', '=', authHash).where('key', '=', key)
  if (owner !== undefined) query = query.where('owner', '=', owner)
  await query.execute()
}

/**
 * Gives the key up (a response that is not kept, or a request that never finished); with `owner`,
 * only while that request still holds it.
 */
export async function release (db: Db, authHash: string, key: string, onlyWhileRunning = false, owner?: string): Promise<void> {
  let query = db.deleteFrom('idempotency_keys').where('auth_hash', '=', authHash).where('key', '=', key)
  if (onlyWhileRunning) query = query.where('running', '=', true)
  if (owner !== undefined) query = query.where('owner', '=', owner)
  await query.execute()
}

/** Deletes up to `limit` keys older than a day; returns how many went. */
export async function pruneExpired (db: Db, limit = 5000): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where created_at < now() - ${TTL} limit ${limit})`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

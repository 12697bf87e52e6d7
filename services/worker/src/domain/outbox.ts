import { queries, type Db } from '@showfloor/db'

type Enqueue = Parameters<typeof queries.outbox.relayBatch>[3]

/**
 * Relays one batch of outbox rows in one transaction: the rows stay locked while `enqueue` runs and
 * are marked relayed only when it resolved; when it throws, they stay pending.
 */
export async function relayOutboxBatch (db: Db, topics: readonly string[], limit: number, enqueue: Enqueue): Promise<number> {
  if (topics.length === 0) return 0
  return await db.transaction().execute(async (trx) => await queries.outbox.relayBatch(trx, topics, limit, enqueue))
}

import { sql } from 'kysely'
import type { Db } from '@showfloor/db'

/**
 * Holds a lead's row lock (`select ... for update`) in a transaction of its own, so that work on the
 * lead blocks where it locks it. Resolves once the lock is taken; `release` ends the transaction
 * and resolves when it has.
 */
export async function holdLeadRow (db: Db, leadId: number): Promise<{ release: () => Promise<void> }> {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let locked!: () => void
  const lockTaken = new Promise<void>((resolve) => { locked = resolve })
  const holder = db.transaction().execute(async (trx) => {
    await sql`select id from leads where id = ${leadId} for update`.execute(trx)
    locked()
    await released
  })
  await Promise.race([lockTaken, holder])
  return {
    release: async () => {
      release()
      await holder
    }
  }
}

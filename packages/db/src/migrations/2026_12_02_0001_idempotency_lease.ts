import { type Kysely, sql } from 'kysely'

// A running idempotency key is held by a lease its request renews while it runs, and by an owner
// token: when the process dies the lease runs out and a retry with the key takes it over.
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys')
    .addColumn('owner', 'text')
    .addColumn('lease_until', 'timestamptz', (c) => c.notNull().defaultTo(sql`now() + interval '1 minute'`))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('owner').dropColumn('lease_until').execute()
}

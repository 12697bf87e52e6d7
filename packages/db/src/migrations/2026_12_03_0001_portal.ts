import type { Kysely } from 'kysely'

// The exhibitor web area's "only leads new since my last export": every export moves this mark.
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('exhibitors').addColumn('last_export_at', 'timestamptz').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('exhibitors').dropColumn('last_export_at').execute()
}

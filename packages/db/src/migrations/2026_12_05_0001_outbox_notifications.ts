import { type Kysely, sql } from 'kysely'

// The reconciler walks the relayed webhook notifications in id order to find those no fan-out
// handled. The outbox holds an hour of relayed rows of every topic, most of them leads', and the
// primary key alone made each run read all of them; a partial index of the relayed notifications'
// ids lets it read only theirs. Rows of other topics, and notifications until the relay takes them,
// never enter it: the upload's insert adds nothing to it. Built in the migration's transaction, not
// concurrently: the outbox is kept small, so the build holds its inserts back only briefly.
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('outbox_notifications_relayed_idx').on('outbox').column('id')
    .where(sql.ref('topic'), '=', 'webhook.notify')
    .where(sql.ref('relayed_at'), 'is not', null)
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbox_notifications_relayed_idx').ifExists().execute()
}

import { type Kysely, sql } from 'kysely'

// Webhook work kept in PostgreSQL, not only in Redis (contract sections 9 and 13), so the
// reconciler can queue it again after Redis lost its data:
// - `webhook_deliveries`: one row per (webhook, notification) the fan-out found, with its state
//   (pending → delivered | disabled | given_up | skipped), the attempts made and when the next one
//   is due. Pending rows are found by their due time through a partial index; finished ones by
//   when they finished, for pruning.
// - `webhook_fanouts`: the notifications the fan-out handled, including those no webhook listened
//   for (no delivery row tells those apart from a fan-out that never ran).
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('webhook_deliveries')
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('notification_id', 'uuid', (c) => c.notNull())
    // The notification as the delivery job carries it, to build the job again.
    .addColumn('notification', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending')
      .check(sql`state in ('pending', 'delivered', 'disabled', 'given_up', 'skipped')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['webhook_id', 'notification_id'])
    .execute()
  // The reconciler walks overdue pending rows in this order, page by page.
  await db.schema.createIndex('webhook_deliveries_pending_idx').on('webhook_deliveries')
    .columns(['next_attempt_at', 'webhook_id', 'notification_id'])
    .where(sql.ref('state'), '=', 'pending').execute()
  await db.schema.createIndex('webhook_deliveries_finished_idx').on('webhook_deliveries').column('updated_at')
    .where(sql.ref('state'), '<>', 'pending').execute()

  await db.schema.createTable('webhook_fanouts')
    .addColumn('notification_id', 'uuid', (c) => c.primaryKey())
    .addColumn('fanned_out_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('webhook_fanouts_fanned_out_idx').on('webhook_fanouts').column('fanned_out_at').execute()
  // Notifications relayed before this table existed count as fanned out (their jobs, if still in
  // Redis, do it anyway): otherwise the reconciler would fan out again the last hour's
  // notifications, whose finished deliveries have no row, and send them a second time.
  await sql`
    insert into webhook_fanouts (notification_id, fanned_out_at)
    select (payload->>'id')::uuid, relayed_at from outbox
    where topic = 'webhook.notify' and relayed_at is not null
    on conflict do nothing`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_fanouts').ifExists().execute()
  await db.schema.dropTable('webhook_deliveries').ifExists().execute()
}

import { type Kysely, sql } from 'kysely'

// Webhooks (contract section 13): the organizer-wide permission that manages them, the webhooks
// with the events they are limited to, and the log of every delivery attempt (kept 30 days).
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('teams')
    .addColumn('can_change_organizer_settings', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

  await db.schema.createTable('webhooks')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('organizer_id', 'integer', (c) => c.notNull().references('organizers.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('target_url', 'text', (c) => c.notNull())
    .addColumn('all_events', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('action_types', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('comment', 'text')
    // Needed in clear to sign; shown to the API only when created or rotated.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('webhooks_organizer_idx').on('webhooks').columns(['organizer_id', 'id']).execute()

  await db.schema.createTable('webhook_events')
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'integer', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('webhook_events_pkey', ['webhook_id', 'event_id'])
    .execute()

  await db.schema.createTable('webhook_calls')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('datetime', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('action_type', 'text', (c) => c.notNull())
    .addColumn('notification_id', 'uuid', (c) => c.notNull())
    .addColumn('is_retry', 'boolean', (c) => c.notNull())
    .addColumn('execution_time', 'double precision', (c) => c.notNull())
    .addColumn('return_code', 'integer')
    .addColumn('success', 'boolean', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('response_body', 'text')
    .execute()
  await db.schema.createIndex('webhook_calls_webhook_idx').on('webhook_calls').columns(['webhook_id', 'id']).execute()
  await db.schema.createIndex('webhook_calls_datetime_idx').on('webhook_calls').column('datetime').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_calls').ifExists().execute()
  await db.schema.dropTable('webhook_events').ifExists().execute()
  await db.schema.dropTable('webhooks').ifExists().execute()
  await db.schema.alterTable('teams').dropColumn('can_change_organizer_settings').execute()
}

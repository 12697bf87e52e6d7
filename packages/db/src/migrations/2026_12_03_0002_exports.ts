import { type Kysely, sql } from 'kysely'

// Data exporter runs (contract section 12): one row per run, and the finished file in chunks, so
// every admin API process can serve it. Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('exports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // The download URL's second id: the export's id alone opens nothing.
    .addColumn('key', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'integer', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting'))
    .addColumn('percentage', 'smallint')
    // Incremented by every claim; the file's chunks and every later step name the run they belong to.
    .addColumn('run', 'integer', (c) => c.notNull().defaultTo(0))
    // The BullMQ job id of the run: the same job again (a retry, or after its worker died) takes it over.
    .addColumn('claimed_by', 'text')
    .addColumn('message', 'text')
    .addColumn('file_name', 'text')
    .addColumn('content_type', 'text')
    .addColumn('size', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Moved by the run as it goes: an export under way whose heartbeat stopped lost its worker.
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('done_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('exports_unfinished_idx').on('exports').column('heartbeat_at')
    .where(sql.ref('status'), 'in', sql`('waiting', 'running')`).execute()
  await db.schema.createIndex('exports_expires_idx').on('exports').column('expires_at')
    .where(sql.ref('expires_at'), 'is not', null).execute()
  await db.schema.createIndex('exports_event_idx').on('exports').column('event_id').execute()

  await db.schema.createTable('export_chunks')
    .addColumn('export_id', 'uuid', (c) => c.notNull().references('exports.id').onDelete('cascade'))
    .addColumn('run', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('export_chunks_pkey', ['export_id', 'run', 'seq'])
    .execute()
  // XLSX is compressed already and CSV is written once and read once: no compression on the way in.
  await sql`alter table export_chunks alter column data set storage external`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('export_chunks').ifExists().execute()
  await db.schema.dropTable('exports').ifExists().execute()
}

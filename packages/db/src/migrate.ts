import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationResultSet } from 'kysely'
import pg from 'pg'
import * as initial from './migrations/2026_11_28_0001_initial.js'
import * as idempotencyLease from './migrations/2026_12_02_0001_idempotency_lease.js'
import * as portal from './migrations/2026_12_03_0001_portal.js'
import * as exportRuns from './migrations/2026_12_03_0002_exports.js'
import * as webhooks from './migrations/2026_12_03_0003_webhooks.js'
import * as batches from './migrations/2026_12_03_0004_batches.js'
import * as webhookDeliveries from './migrations/2026_12_04_0001_webhook_deliveries.js'
import * as outboxNotifications from './migrations/2026_12_05_0001_outbox_notifications.js'

// Listed here rather than read from disk, so source and build run the same set.
const migrations: Record<string, Migration> = {
  '2026_11_28_0001_initial': initial,
  '2026_12_02_0001_idempotency_lease': idempotencyLease,
  '2026_12_03_0001_portal': portal,
  '2026_12_03_0002_exports': exportRuns,
  '2026_12_03_0003_webhooks': webhooks,
  '2026_12_03_0004_batches': batches,
  '2026_12_04_0001_webhook_deliveries': webhookDeliveries,
  '2026_12_05_0001_outbox_notifications': outboxNotifications
}

function quoteIdent (name: string): string {
  return '"' + name.replaceAll('"', '""') + '"'
}

/**
 * Creates the database named in the URL when it does not exist. Several processes may race here:
 * losing the race (duplicate_database) is success.
 */
export async function ensureDatabase (connectionString: string): Promise<boolean> {
  const url = new URL(connectionString)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!name) throw new Error('DATABASE_URL names no database')
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount) return false
    try {
      await client.query(`create database ${quoteIdent(name)}`)
      return true
    } catch (err) {
      if ((err as { code?: string }).code === '42P04' || (err as { code?: string }).code === '23505') return false
      throw err
    }
  } finally {
    await client.end()
  }
}

/** Applies pending migrations. Kysely's migrator holds a lock, so concurrent runs apply each once. */
export async function migrateToLatest (db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations }
  })
  const result = await migrator.migrateToLatest()
  if (result.error) throw result.error
  return result
}

/** migrate as the command line runs it: create the database if needed, then migrate it. */
export async function migrateDatabase (connectionString: string): Promise<{ created: boolean, applied: string[] }> {
  const created = await ensureDatabase(connectionString)
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: 1 }) }) })
  try {
    const result = await migrateToLatest(db)
    return { created, applied: (result.results ?? []).map((r) => r.migrationName) }
  } finally {
    await db.destroy()
  }
}

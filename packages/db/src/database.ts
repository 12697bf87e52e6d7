import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from './types.js'

// int8 (bigserial ids, count(*)) as numbers: every value we store stays far below 2^53.
export const types = {
  getTypeParser (oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  }
}

export interface DbOptions {
  /** Pool size; defaults to 10. */
  max?: number
  applicationName?: string
  /** Longest wait for a pool connection (checkout or a new connection's startup); unbounded when unset. */
  connectionTimeoutMillis?: number
  /**
   * Longest time one statement may run. PostgreSQL cancels it itself (statement_timeout, the
   * connection stays usable); a server that does not answer at all is given up on a second later
   * (query_timeout). Unbounded when unset.
   */
  statementTimeoutMillis?: number
}

export type Db = Kysely<Database>

const pools = new WeakMap<Db, pg.Pool>()

/**
 * The pg pool behind a Kysely instance, for the few hot paths that run named (prepared) statements,
 * which PostgreSQL then plans once per connection instead of on every call.
 */
export function poolOf (db: Db): pg.Pool {
  const pool = pools.get(db)
  if (!pool) throw new Error('this Kysely instance was not made by createDb')
  return pool
}

/** One per process: it owns the pool, and `db.destroy()` closes it. */
export function createDb (connectionString: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    ...(options.statementTimeoutMillis !== undefined && {
      statement_timeout: options.statementTimeoutMillis,
      query_timeout: options.statementTimeoutMillis + 1000
    }),
    types
  })
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  // Nor one checked out between two statements (a transaction waiting on something else, when the
  // server terminates its backend): its next statement fails instead, and the pool drops it when
  // it is released.
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  pools.set(db, pool)
  return db
}

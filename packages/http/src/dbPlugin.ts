import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createDb, type Db } from '@showfloor/db'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

export interface DbPluginOptions {
  databaseUrl: string
  poolSize?: number
  applicationName?: string
  /** Bounds of a wait for PostgreSQL (DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS). */
  connectTimeoutMs?: number
  statementTimeoutMs?: number
}

/** The process's one Kysely instance, closed with the app. */
export const dbPlugin = fp(async function dbPlugin (app: FastifyInstance, opts: DbPluginOptions) {
  const db = createDb(opts.databaseUrl, {
    max: opts.poolSize,
    applicationName: opts.applicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statementTimeoutMillis: opts.statementTimeoutMs
  })
  app.decorate('db', db)
  app.addHook('onClose', async () => { await db.destroy() })
}, { name: 'showfloor-db' })

/** The dbPlugin options of a service's DATABASE_*_TIMEOUT_MS settings. */
export function dbTimeouts (config: { DATABASE_CONNECT_TIMEOUT_MS: number, DATABASE_STATEMENT_TIMEOUT_MS: number }) {
  return { connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS }
}

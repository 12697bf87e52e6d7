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
}

/** The process's one Kysely instance, closed with the app. */
export const dbPlugin = fp(async function dbPlugin (app: FastifyInstance, opts: DbPluginOptions) {
  const db = createDb(opts.databaseUrl, { max: opts.poolSize, applicationName: opts.applicationName })
  app.decorate('db', db)
  app.addHook('onClose', async () => { await db.destroy() })
}, { name: 'showfloor-db' })

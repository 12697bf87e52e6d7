import Fastify, { type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { WorkerEnv } from '@showfloor/schemas'
import { dbPlugin, dbTimeouts, errorHandler, health, httpServerOptions } from '@showfloor/http'
import { pingRedis } from '@showfloor/queue'

/**
 * The worker's small HTTP side: /healthz, /readyz (PostgreSQL and Redis) and /metrics. It also
 * owns the process's db pool (`app.db`), which processors share, and closes it on shutdown.
 */
export async function buildHealthApp (config: WorkerEnv, redis: Redis): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions(config.LOG_LEVEL, false, { format: config.LOG_FORMAT }))
  await app.register(errorHandler)
  await app.register(dbPlugin, { databaseUrl: config.DATABASE_URL, poolSize: 10, applicationName: 'showfloor-worker', ...dbTimeouts(config) })
  await app.register(health, { service: 'worker', checks: { redis: async () => { await pingRedis(redis) } } })
  return app
}

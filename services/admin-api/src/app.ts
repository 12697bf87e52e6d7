import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AdminApiEnv } from '@showfloor/schemas'
import { dbPlugin, dbTimeouts, errorHandler, health, httpServerOptions } from '@showfloor/http'
import { auth } from './plugins/auth.js'
import { idempotency } from './plugins/idempotency.js'
import { openapi } from './plugins/openapi.js'
import { queues } from './plugins/queues.js'
import { routes } from './routes/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AdminApiEnv
  }
}

/** The admin API as a plugin tree, shared by the server and the tests. */
export async function buildApp (config: AdminApiEnv): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions(config.LOG_LEVEL, config.TRUST_PROXY, { format: config.LOG_FORMAT })).withTypeProvider<TypeBoxTypeProvider>()
  app.decorate('config', config)
  await app.register(errorHandler)
  await app.register(dbPlugin, { databaseUrl: config.DATABASE_URL, applicationName: 'showfloor-admin-api', ...dbTimeouts(config) })
  await app.register(health, { service: 'admin-api' })
  await app.register(queues, { redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX })
  await app.register(openapi)
  await app.register(idempotency, { prefix: '/api/v1/' })
  await app.register(async (api) => {
    await api.register(auth)
    await api.register(routes)
  }, { prefix: '/api/v1' })
  return app
}

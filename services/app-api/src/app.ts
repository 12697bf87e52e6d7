import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppApiEnv } from '@showfloor/schemas'
import { dbPlugin, dbTimeouts, errorHandler, health, httpServerOptions } from '@showfloor/http'
import { openapi } from './plugins/openapi.js'
import { limiterRedis } from '@showfloor/access'
import { uploadMetrics } from './plugins/uploadMetrics.js'
import { routes } from './routes/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    appConfig: AppApiEnv
  }
}

/** The App API as a plugin tree, shared by the server and the tests. */
export async function buildApp (config: AppApiEnv): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions(config.LOG_LEVEL, config.TRUST_PROXY, { format: config.LOG_FORMAT })).withTypeProvider<TypeBoxTypeProvider>()
  app.decorate('appConfig', config)
  await app.register(errorHandler)
  await app.register(dbPlugin, { databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, applicationName: 'showfloor-app-api', ...dbTimeouts(config) })
  await app.register(health, { service: 'app-api' })
  await app.register(uploadMetrics)
  await app.register(limiterRedis, { url: config.REDIS_URL, commandTimeoutMs: config.AUTH_LIMITER_TIMEOUT_MS })
  await app.register(openapi)
  await app.register(routes, { prefix: '/exhibitors/api/v1', redisPrefix: config.REDIS_PREFIX })
  return app
}

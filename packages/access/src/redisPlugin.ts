import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { RedisOutageLog, closeRedis, createProducerRedis } from '@showfloor/queue/redis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export interface LimiterRedisOptions {
  url: string
  /** Longest wait for one command (AUTH_LIMITER_TIMEOUT_MS). */
  commandTimeoutMs: number
}

/**
 * The connection of the failed-login limiter, as the App API and the portal register it. Commands
 * fail at once while it is disconnected (no offline queue) and after a short command timeout on a
 * Redis that stopped answering (a frozen host keeps the connection open), so the limiter fails
 * open instead of making a scan or a login wait for Redis.
 */
export const limiterRedis = fp(async function limiterRedis (app: FastifyInstance, opts: LimiterRedisOptions) {
  const outage = new RedisOutageLog(app.log, 'the access-code limiter fails open until it is back')
  const redis = outage.watch(createProducerRedis(opts.url, { commandTimeoutMs: opts.commandTimeoutMs }))
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { await closeRedis(redis) })
}, { name: 'showfloor-limiter-redis' })

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { RedisOutageLog, closeRedis, createProducerRedis } from '@showfloor/queue/redis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export interface RedisPluginOptions {
  url: string
  /** Longest wait for one command (AUTH_LIMITER_TIMEOUT_MS). */
  commandTimeoutMs: number
}

/**
 * The process's Redis connection for shared request state (the auth failure limiter). Commands
 * fail at once while it is disconnected (no offline queue) and after a short command timeout on a
 * Redis that stopped answering (a frozen host keeps the connection open), so callers can fail open
 * instead of making a scan wait for Redis.
 */
export const redisPlugin = fp(async function redisPlugin (app: FastifyInstance, opts: RedisPluginOptions) {
  const outage = new RedisOutageLog(app.log, 'the auth limiter fails open until it is back')
  const redis = outage.watch(createProducerRedis(opts.url, { commandTimeoutMs: opts.commandTimeoutMs }))
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { await closeRedis(redis) })
}, { name: 'showfloor-app-redis' })

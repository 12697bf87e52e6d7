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
 * The connection of the failed-login limiter (shared with the App API). Commands fail at once while
 * it is disconnected and after a short timeout on a Redis that stopped answering, so a login fails
 * open instead of waiting.
 */
export const redisPlugin = fp(async function redisPlugin (app: FastifyInstance, opts: RedisPluginOptions) {
  const outage = new RedisOutageLog(app.log, 'the login limiter fails open until it is back')
  const redis = outage.watch(createProducerRedis(opts.url, { commandTimeoutMs: opts.commandTimeoutMs }))
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { await closeRedis(redis) })
}, { name: 'showfloor-portal-redis' })

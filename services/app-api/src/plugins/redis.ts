import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export interface RedisPluginOptions {
  url: string
}

/**
 * The process's Redis connection for shared request state (the auth failure limiter). Commands
 * fail at once while it is disconnected (no offline queue), so callers can fail open instead of
 * making a scan wait for Redis.
 */
export const redisPlugin = fp(async function redisPlugin (app: FastifyInstance, opts: RedisPluginOptions) {
  const redis = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  })
  let warned = false
  redis.on('error', (err) => {
    if (!warned) app.log.warn({ err }, 'Redis unreachable; the auth limiter fails open until it is back')
    warned = true
  })
  redis.on('ready', () => { warned = false })
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { redis.disconnect() })
}, { name: 'showfloor-app-redis' })

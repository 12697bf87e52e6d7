import { Redis, type RedisOptions } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

/**
 * The worker's Redis connection. BullMQ workers block on their connection, so commands wait for a
 * reconnect instead of failing after a few retries (`maxRetriesPerRequest: null`). It starts
 * unconnected (`lazyConnect`) so the caller can attach its error listener before the first attempt.
 */
export function createRedis (url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, ...options })
}

/**
 * Connects in the background and logs losing and regaining the connection once each, rather than
 * on every reconnect attempt. The process keeps running while Redis is down; /readyz tells.
 */
export function connectRedis (redis: Redis, log: FastifyBaseLogger): void {
  let down = false
  redis.on('error', (err: Error) => {
    if (down) return
    down = true
    log.warn({ err }, 'redis unreachable, reconnecting')
  })
  redis.on('ready', () => {
    if (down) log.info('redis reachable again')
    down = false
  })
  // A failed first attempt rejects this promise; the retry strategy keeps reconnecting anyway.
  redis.connect().catch(() => {})
}

/** Readiness: fails at once while disconnected, instead of queueing a PING until Redis is back. */
export async function pingRedis (redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`)
  await redis.ping()
}

/** QUIT when connected (pending replies arrive first); otherwise stop reconnecting at once. */
export async function closeRedis (redis: Redis): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status !== 'ready') {
    redis.disconnect()
    return
  }
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}

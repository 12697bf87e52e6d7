import { Redis, type RedisOptions } from 'ioredis'

/** The few logger methods used here (pino's), so this package does not depend on Fastify. */
export interface QueueLog {
  info: (msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

/**
 * One set of timeouts for every Redis connection of every service, chosen for a Redis on the same
 * network, which answers in well under a millisecond:
 * - `connectMs`: a TCP connect that takes 2 s is not slow but gone (a dead host drops the SYN).
 * - `commandMs`: for callers that must not wait (an HTTP request adding a job, the outbox relay's
 *   batch of a few hundred jobs): 2 s is a thousand times the normal answer, so a command that
 *   takes longer means a hung Redis, and the caller fails and tries again later instead of hanging.
 *   Worker connections have none: BullMQ's blocking commands wait on purpose.
 * - `maxReconnectDelayMs`: reconnects 200 ms, 400 ms, ... at most 1 s apart, so jobs flow again
 *   within a second of Redis coming back.
 * Callers with a tighter budget (the App API's auth limiter, on the scan hot path) pass a shorter
 * command timeout of their own.
 */
export const REDIS_TIMEOUTS = {
  connectMs: 2000,
  commandMs: 2000,
  maxReconnectDelayMs: 1000
} as const

const retryStrategy = (times: number): number => Math.min(times * 200, REDIS_TIMEOUTS.maxReconnectDelayMs)

export interface ProducerRedisOptions {
  /** Longest wait for one command's answer; `REDIS_TIMEOUTS.commandMs` unless given. */
  commandTimeoutMs?: number
}

/**
 * A connection for callers that must never hang on Redis (job producers, request-time state):
 * commands fail at once while it is disconnected (no offline queue) and after the command timeout
 * on a connection that stopped answering (a frozen host), so the caller can answer or retry.
 */
export function createProducerRedis (url: string, options: ProducerRedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_TIMEOUTS.connectMs,
    commandTimeout: options.commandTimeoutMs ?? REDIS_TIMEOUTS.commandMs,
    retryStrategy
  })
}

/**
 * A connection for BullMQ workers: commands wait for a reconnect instead of failing after a few
 * retries (`maxRetriesPerRequest: null`, which BullMQ requires) and have no command timeout, since
 * blocking commands wait on purpose. It starts unconnected (`lazyConnect`) unless told otherwise,
 * so the caller can attach its error listener before the first attempt.
 */
export function createRedis (url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: REDIS_TIMEOUTS.connectMs,
    retryStrategy,
    ...options
  })
}

const NETWORK_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable/

/**
 * Logs a Redis outage once: the first error of any connection it watches (or of a queue or worker
 * on them) says Redis is unreachable, later ones stay quiet until a connection is ready again, which
 * is logged too. One per process, shared by all its connections, so an outage is one line however
 * many connections keep retrying. An error while connected that is not about the network (a failed
 * script, a lost lock) is logged every time, as an error.
 */
export class RedisOutageLog {
  private down = false

  /** `consequence` says what waits meanwhile, e.g. "emails cannot be queued until it is back". */
  constructor (private readonly log: QueueLog, private readonly consequence: string) {}

  /** Follows a connection's errors and recoveries; returns it. */
  watch (redis: Redis): Redis {
    redis.on('error', (err: Error) => { this.outage(err) })
    redis.on('ready', () => { this.recovered() })
    return redis
  }

  /** For the 'error' events of queues and workers on `connection`. */
  report (err: Error, connection: Redis): void {
    const network = NETWORK_ERROR.test(`${(err as { code?: string }).code ?? ''} ${err.message}`)
    if (connection.status === 'ready' && !network) {
      this.log.error({ err }, 'redis command failed')
      return
    }
    this.outage(err)
  }

  private outage (err: Error): void {
    if (this.down) return
    this.down = true
    this.log.warn({ err }, `redis unreachable, reconnecting; ${this.consequence}`)
  }

  private recovered (): void {
    if (!this.down) return
    this.down = false
    this.log.info('redis reachable again')
  }
}

/**
 * Connects a lazy connection in the background under an outage log. The process keeps running
 * while Redis is down; /readyz tells.
 */
export function connectRedis (redis: Redis, outage: RedisOutageLog): void {
  outage.watch(redis)
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

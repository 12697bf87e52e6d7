import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { JOB_OPTIONS, QUEUES } from '@showfloor/schemas'

export interface Producers {
  /**
   * The email queue. Adding fails at once while Redis is unreachable (no offline queue) and after
   * two seconds on a connection that stopped answering, so a request never hangs on Redis.
   */
  email: () => Queue
  /** Whether Redis is connected now. */
  ready: () => boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    queues: Producers
  }
}

export interface QueuesPluginOptions {
  redisUrl: string
  /** BullMQ's key prefix, the same as the worker's. */
  prefix: string
}

/**
 * BullMQ producers for the admin API, on one Redis connection of their own, closed with the app.
 * A queue is made on first use, so a process that never sends mail writes nothing to Redis.
 */
export const queues = fp(async function queues (app: FastifyInstance, opts: QueuesPluginOptions) {
  const redis = new Redis(opts.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  })
  let warned = false
  redis.on('error', (err) => {
    if (!warned) app.log.warn({ err }, 'Redis unreachable; emails cannot be queued until it is back')
    warned = true
  })
  redis.on('ready', () => { warned = false })

  let email: Queue | null = null
  app.decorate('queues', {
    email: () => {
      if (!email) {
        email = new Queue(QUEUES.email, {
          connection: redis,
          prefix: opts.prefix,
          // Never wait for Redis here: adding fails fast instead, and the request answers.
          skipWaitingForReady: true,
          skipVersionCheck: true,
          defaultJobOptions: JOB_OPTIONS[QUEUES.email]
        })
        email.on('error', () => {})
      }
      return email
    },
    ready: () => redis.status === 'ready'
  })

  app.addHook('onClose', async () => {
    if (email) await email.close()
    redis.disconnect()
  })
}, { name: 'showfloor-queues' })

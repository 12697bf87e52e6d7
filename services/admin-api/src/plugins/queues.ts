import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Queue } from 'bullmq'
import { RedisOutageLog, closeRedis, createProducerRedis, createQueue } from '@showfloor/queue'
import { QUEUES } from '@showfloor/schemas'

export interface Producers {
  /**
   * The email queue. Adding fails at once while Redis is unreachable (no offline queue) and after
   * the shared command timeout on a connection that stopped answering, so a request never hangs
   * on Redis.
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
  const outage = new RedisOutageLog(app.log, 'emails cannot be queued until it is back')
  const redis = outage.watch(createProducerRedis(opts.redisUrl))

  let email: Queue | null = null
  app.decorate('queues', {
    email: () => {
      email ??= createQueue(QUEUES.email, redis, opts.prefix, outage)
      return email
    },
    ready: () => redis.status === 'ready'
  })

  app.addHook('onClose', async () => {
    if (email) await email.close()
    await closeRedis(redis)
  })
}, { name: 'showfloor-queues' })

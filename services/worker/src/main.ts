import { WorkerEnv } from '@showfloor/schemas'
import { loadConfig, serve } from '@showfloor/http'
import { buildHealthApp } from './health.js'
import { closeRedis, connectRedis, createRedis } from './redis.js'

/** Something the worker started and must stop on shutdown (a BullMQ worker, the outbox relay, a connection). */
interface Closable {
  name: string
  close: () => Promise<void>
}

const config = loadConfig(WorkerEnv)
const redis = createRedis(config.REDIS_URL)
const app = await buildHealthApp(config, redis)
connectRedis(redis, app.log)

// Started first, closed last: processors go after the Redis connection they use.
const closables: Closable[] = [{ name: 'redis', close: async () => { await closeRedis(redis) } }]

// Runs before the db pool closes (onClose hooks run in reverse order of registration), so
// processors finish their current job while PostgreSQL is still there.
app.addHook('onClose', async () => {
  for (const closable of [...closables].reverse()) {
    try {
      await closable.close()
    } catch (err) {
      app.log.error({ err, closable: closable.name }, 'close failed')
    }
  }
})

await serve(app, config.WORKER_PORT, config.HOST)

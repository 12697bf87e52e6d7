import { WorkerEnv } from '@showfloor/schemas'
import { loadConfig, serve } from '@showfloor/http'
import { RedisOutageLog, closeRedis, connectRedis, createRedis } from '@showfloor/queue'
import { buildHealthApp } from './health.js'
import { registerWorkerMetrics } from './metrics.js'
import { startWorkers, type Closable } from './workers.js'

const config = loadConfig(WorkerEnv)
const redis = createRedis(config.REDIS_URL)
const app = await buildHealthApp(config, redis)
// One outage log for all of the process's connections: an outage is one line, not one per connection.
const outage = new RedisOutageLog(app.log, 'jobs wait until it is back')
connectRedis(redis, outage)

// Started first, closed last: processors go after the Redis connection they use.
const closables: Closable[] = [{ name: 'redis', close: async () => { await closeRedis(redis) } }]

const running = startWorkers({
  db: app.db,
  redisUrl: config.REDIS_URL,
  prefix: config.QUEUE_PREFIX,
  log: app.log,
  outage,
  mail: {
    smtpUrl: config.SMTP_URL,
    mailDir: config.MAIL_DIR,
    from: config.MAIL_FROM,
    // Without a configured address there is no request to derive one from: the App API's default.
    appUrl: config.PUBLIC_APP_URL ?? 'http://localhost:8002',
    sendTimeoutMs: config.MAIL_SEND_TIMEOUT_MS
  },
  relay: { idleMs: config.OUTBOX_POLL_MS },
  reconciler: { intervalMs: config.RECONCILE_INTERVAL_MS, afterMs: config.RECONCILE_AFTER_MS },
  webhooks: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE },
  metrics: app.metrics
})
closables.push(...running.closables)
closables.push(registerWorkerMetrics(app, { redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, outage, workers: running.workers }))

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

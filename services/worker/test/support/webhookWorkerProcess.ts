// A whole worker (relay included) for tests that kill one while it delivers webhooks: options from
// WORKER_TEST_OPTIONS (JSON); private targets allowed, as the test's receiver is on 127.0.0.1.
import { createDb } from '@showfloor/db'
import { startWorkers } from '../../src/workers.js'
import { silentLog } from './queues.js'

const options = JSON.parse(process.env.WORKER_TEST_OPTIONS ?? '{}') as {
  databaseUrl: string
  redisUrl: string
  prefix: string
  lockDurationMs: number
  stalledIntervalMs: number
}
const db = createDb(options.databaseUrl, { max: 4 })
const running = startWorkers({
  db,
  redisUrl: options.redisUrl,
  prefix: options.prefix,
  log: silentLog,
  mail: { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 },
  lockDurationMs: options.lockDurationMs,
  stalledIntervalMs: options.stalledIntervalMs,
  relay: { idleMs: 50 },
  reconciler: false,
  webhooks: { allowPrivate: true, firstRetryMs: 200, maxRetryMs: 1000, timeoutMs: 5000 }
})
for (const worker of Object.values(running.workers)) await worker.waitUntilReady()
process.stdout.write('ready\n')

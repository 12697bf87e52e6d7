// A worker process for tests that kill one: the worker's jobs with options from
// WORKER_TEST_OPTIONS (JSON), announcing on stdout each job it starts. Without the relay unless
// `workers` (startWorkers' own options: relay, reconciler, webhooks) says otherwise.
import { createDb } from '@showfloor/db'
import { startWorkers, type WorkersOptions } from '../../src/workers.js'
import { silentLog } from './queues.js'

const options = JSON.parse(process.env.WORKER_TEST_OPTIONS ?? '{}') as {
  databaseUrl: string
  redisUrl: string
  prefix: string
  lockDurationMs: number
  stalledIntervalMs: number
  workers?: Partial<Pick<WorkersOptions, 'relay' | 'reconciler' | 'webhooks'>>
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
  relay: false,
  ...options.workers
})
for (const worker of Object.values(running.workers)) {
  worker.on('active', (job) => { process.stdout.write(`active ${job.id}\n`) })
  await worker.waitUntilReady()
}
process.stdout.write('ready\n')

async function stop (): Promise<void> {
  for (const closable of [...running.closables].reverse()) await closable.close()
  await db.destroy()
}
process.on('SIGTERM', () => { stop().catch((err) => { console.error(err); process.exit(1) }) })

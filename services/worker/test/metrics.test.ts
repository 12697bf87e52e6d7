import t from 'tap'
import { Queue } from 'bullmq'
import { createTestDatabase, removePrefix, startService, testPrefix } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { QUEUES } from '@showfloor/schemas'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** The samples of one metric in Prometheus text, as `{labels} value` keyed by their label string (service label left out). */
function samples (text: string, name: string): Record<string, number> {
  const found: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels = (m[2] ?? '').split(',').filter((l) => l !== '' && !l.startsWith('service=')).join(',')
    found[labels] = Number(m[3])
  }
  return found
}

async function until (check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('the worker reports its backlog, queue depths and failed jobs on /metrics', async (t) => {
  const testDb = await createTestDatabase('worker_metrics')
  const prefix = testPrefix('worker_metrics')
  const worker = await startService('services/worker/src/main.ts', {
    DATABASE_URL: testDb.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json', MAIL_DIR: './var/mail'
  })
  const connection = createRedis(redisUrl)
  await connection.connect()
  const email = new Queue(QUEUES.email, { connection, prefix })
  const enrichment = new Queue(QUEUES.leadEnrichment, { connection, prefix })
  t.teardown(async () => {
    await worker.stop()
    await email.close()
    await enrichment.close()
    await closeRedis(connection)
    await removePrefix(redisUrl, prefix)
    await testDb.drop()
  })
  const scrape = async () => {
    const res = await fetch(`${worker.base}/metrics`)
    t.equal(res.status, 200)
    return await res.text()
  }

  const before = await scrape()
  t.same(samples(before, 'showfloor_outbox_pending'), { '': 0 })
  t.same(samples(before, 'showfloor_jobs_failed_total'), Object.fromEntries(Object.values(QUEUES).map((queue) => [`queue="${queue}"`, 0])))
  t.equal(samples(before, 'showfloor_queue_jobs')['queue="email",state="failed"'], 0)
  t.equal(samples(before, 'showfloor_queue_jobs')['queue="lead-enrichment",state="waiting"'], 0)

  // A row of a topic this worker does not relay stays pending; a job far in the future waits as
  // delayed (in a queue where the worker schedules nothing of its own); a mail job whose payload is no mail request fails at once and, with one attempt, for good.
  await testDb.db.insertInto('outbox').values({ topic: 'from.a.newer.version', payload: JSON.stringify({ id: 1 }) }).execute()
  await enrichment.add('lead.enrich', { lead_id: 1 }, { delay: 3_600_000 })
  await email.add('access-code', { mail_request_id: 'not-a-uuid' }, { attempts: 1 })

  let text = ''
  await until(async () => {
    text = await scrape()
    return samples(text, 'showfloor_jobs_failed_total')['queue="email"'] === 1
  })
  t.same(samples(text, 'showfloor_outbox_pending'), { '': 1 })
  const jobs = samples(text, 'showfloor_queue_jobs')
  t.equal(jobs['queue="email",state="failed"'], 1, 'the job that used up its attempts is counted as failed')
  t.equal(jobs['queue="email",state="waiting"'], 0)
  t.equal(jobs['queue="lead-enrichment",state="delayed"'], 1)
  t.equal(Object.keys(jobs).length, 5 * Object.values(QUEUES).length, 'five states of each queue')
  t.equal(samples(text, 'showfloor_jobs_completed_total')['queue="email"'], 0)
})

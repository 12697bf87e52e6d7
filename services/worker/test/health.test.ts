import t from 'tap'
import { createTestDatabase } from '@showfloor/db/testing'
import { WorkerEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildHealthApp } from '../src/health.js'
import { closeRedis, createRedis } from '@showfloor/queue'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const configFor = (databaseUrl: string) => loadConfig(WorkerEnv, { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })

/** A Redis on a port where nothing listens: it keeps failing to connect, quickly and quietly. */
function deadRedis () {
  const redis = createRedis('redis://127.0.0.1:1', { retryStrategy: () => 100 })
  redis.on('error', () => {})
  redis.connect().catch(() => {})
  return redis
}

t.test('health, readiness and metrics', async (t) => {
  const testDb = await createTestDatabase('worker_health')
  const redis = createRedis(redisUrl)
  await redis.connect()
  const app = await buildHealthApp(configFor(testDb.url), redis)
  t.teardown(async () => {
    await app.close()
    await closeRedis(redis)
    await testDb.drop()
  })

  t.test('/healthz answers while the process runs', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok' })
  })

  t.test('/readyz is 200 when PostgreSQL and Redis answer', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } })
  })

  t.test('/metrics in Prometheus text format, with process metrics and request durations', async (t) => {
    await app.inject({ method: 'GET', url: '/healthz' })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain/)
    t.match(res.body, /^process_cpu_user_seconds_total\{service="worker"\} /m)
    t.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m)
    t.match(res.body, /^http_request_duration_seconds_bucket\{.*route="\/healthz".*\} \d+$/m)
  })

  t.test('unknown routes answer pretix\'s 404', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/nope' })
    t.equal(res.statusCode, 404)
    t.same(res.json(), { detail: 'Not found.' })
  })
})

t.test('/readyz is 503 when Redis is unreachable', async (t) => {
  const testDb = await createTestDatabase('worker_noredis')
  const redis = deadRedis()
  const app = await buildHealthApp(configFor(testDb.url), redis)
  t.teardown(async () => {
    await app.close()
    await closeRedis(redis)
    await testDb.drop()
  })
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().status, 'unavailable')
  t.equal(res.json().checks.postgres, 'ok')
  t.not(res.json().checks.redis, 'ok')
  const live = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(live.statusCode, 200, 'the process itself is still alive')
})

t.test('/readyz is 503 when PostgreSQL is unreachable', async (t) => {
  const redis = createRedis(redisUrl)
  await redis.connect()
  const app = await buildHealthApp(configFor('postgres://postgres@127.0.0.1:1/x'), redis)
  t.teardown(async () => {
    await app.close()
    await closeRedis(redis)
  })
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.not(res.json().checks.postgres, 'ok')
  t.equal(res.json().checks.redis, 'ok')
})

// main.ts reads its configuration before it starts anything, so a value rejected here stops the
// process with this message (checked here rather than by starting one).
t.test('configuration is validated and a bad value is named', async (t) => {
  t.throws(() => loadConfig(WorkerEnv, { WORKER_PORT: 'abc' }), /WORKER_PORT/)
  t.throws(() => loadConfig(WorkerEnv, { REDIS_URL: 'http://localhost' }), /REDIS_URL/)
  const defaults = loadConfig(WorkerEnv, {})
  t.equal(defaults.WORKER_PORT, 8003)
  t.equal(defaults.REDIS_URL, 'redis://127.0.0.1:6379')
  t.equal(defaults.MAIL_DIR, './var/mail')
})

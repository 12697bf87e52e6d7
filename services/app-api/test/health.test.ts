import t from 'tap'
import { createTestDatabase } from '@showfloor/db/testing'
import { AppApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

const configFor = (databaseUrl: string) => loadConfig(AppApiEnv, { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })

t.test('health, readiness, metrics and the OpenAPI document', async (t) => {
  const testDb = await createTestDatabase('app_health')
  const app = await buildApp(configFor(testDb.url))
  t.teardown(async () => {
    await app.close()
    await testDb.drop()
  })

  t.test('/healthz answers while the process runs', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok' })
  })

  t.test('/readyz is 200 when PostgreSQL answers', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok', checks: { postgres: 'ok' } })
  })

  t.test('/metrics in Prometheus text format, with process metrics and request durations', async (t) => {
    await app.inject({ method: 'GET', url: '/healthz' })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain/)
    t.match(res.body, /^process_cpu_user_seconds_total\{service="app-api"\} /m)
    t.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m)
    t.match(res.body, /^http_request_duration_seconds_bucket\{.*route="\/healthz".*\} \d+$/m)
  })

  t.test('unknown routes answer pretix\'s 404', async (t) => {
    for (const url of ['/nope', '/exhibitors/api/v1/', '/exhibitors/api/v1/unknown/']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 404, url)
      t.same(res.json(), { detail: 'Not found.' }, url)
    }
  })

  t.test('the OpenAPI document is served', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/exhibitors/api/openapi.json' })
    t.equal(res.statusCode, 200)
    const doc = res.json()
    t.match(doc.openapi, /^3\./)
    t.equal(doc.info.title, 'Showfloor App API')
    t.ok(doc.components.securitySchemes.exhibitor)
    t.notOk(doc.paths['/healthz'], 'infrastructure routes are not documented')
  })
})

t.test('/readyz is 503 when PostgreSQL is unreachable', async (t) => {
  const app = await buildApp(configFor('postgres://postgres@127.0.0.1:1/x'))
  t.teardown(async () => { await app.close() })
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().status, 'unavailable')
  t.not(res.json().checks.postgres, 'ok')
  const live = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(live.statusCode, 200, 'the process itself is still alive')
})

// server.ts reads its configuration before it builds the app, so a value rejected here stops the
// process with this message (checked here rather than by starting one).
t.test('configuration is validated and a bad value is named', async (t) => {
  t.throws(() => loadConfig(AppApiEnv, { APP_API_PORT: 'abc' }), /APP_API_PORT/)
  t.throws(() => loadConfig(AppApiEnv, { DATABASE_URL: 'mysql://localhost/x' }), /DATABASE_URL/)
  const defaults = loadConfig(AppApiEnv, {})
  t.equal(defaults.APP_API_PORT, 8002)
  t.equal(defaults.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/showfloor')
  t.equal(defaults.LOG_LEVEL, 'info')
})

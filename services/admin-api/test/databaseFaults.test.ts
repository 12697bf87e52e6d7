import t, { type Test } from 'tap'
import { refusingPostgresUrl, unresponsivePostgres } from '@showfloor/db/testing'
import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

// Short bounds, so a hung database is given up on quickly.
const CONNECT_MS = 300
const STATEMENT_MS = 500

async function appOn (t: Test, databaseUrl: string) {
  const app = await buildApp(loadConfig(AdminApiEnv, {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
    LOG_LEVEL: 'silent',
    PUBLIC_ADMIN_URL: ''
  }))
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

async function expectUnavailable (t: Test, app: Awaited<ReturnType<typeof appOn>>, boundMs: number) {
  for (const request of [
    { method: 'GET' as const, url: '/api/v1/organizers/demo/events/' },
    { method: 'POST' as const, url: '/api/v1/organizers/demo/events/', payload: { name: { en: 'X' }, slug: 'x', date_from: '2026-12-01T09:00:00Z' }, headers: { 'x-idempotency-key': 'k1' } }
  ]) {
    const started = Date.now()
    const res = await app.inject({ ...request, headers: { authorization: 'Token abcdefghijklmnop', ...request.headers } })
    const elapsed = Date.now() - started
    t.equal(res.statusCode, 503, `${request.method}: ${res.body}`)
    t.equal(res.headers['retry-after'], '5')
    t.same(res.json(), { detail: 'The service is temporarily unavailable. Please try again later.' })
    t.ok(elapsed < boundMs, `${request.method} answered after ${elapsed} ms`)
  }
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '5')
}

t.test('a PostgreSQL that accepts connections and never answers: 503 within the connect bound', async (t) => {
  const pg = await unresponsivePostgres('silent')
  const app = await appOn(t, pg.url)
  // Closed before the app, so the pool's connections to it end at once.
  t.teardown(pg.close)
  await expectUnavailable(t, app, CONNECT_MS + 1500)
})

t.test('a PostgreSQL that stops answering statements: 503 within the statement bound', async (t) => {
  const pg = await unresponsivePostgres('stalled')
  const app = await appOn(t, pg.url)
  // Closed before the app, so the pool's connections to it end at once.
  t.teardown(pg.close)
  await expectUnavailable(t, app, STATEMENT_MS + 1000 + 1500)
})

t.test('a stopped PostgreSQL (connection refused): 503, not 500', async (t) => {
  await expectUnavailable(t, await appOn(t, await refusingPostgresUrl()), 1500)
})

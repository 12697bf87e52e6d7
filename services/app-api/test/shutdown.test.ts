import t from 'tap'
import { createTestDatabase, startService } from '@showfloor/db/testing'

t.test('the server starts from source, answers, and exits 0 on SIGTERM', async (t) => {
  const testDb = await createTestDatabase('app_shutdown')
  t.teardown(async () => { await testDb.drop() })

  // Port 0 lets the OS choose; Fastify's log line says which.
  const server = await startService('services/app-api/src/server.ts', { DATABASE_URL: testDb.url, APP_API_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  t.teardown(server.kill)
  const base = server.base

  const health = await fetch(`${base}/healthz`)
  t.equal(health.status, 200)
  const ready = await fetch(`${base}/readyz`)
  t.equal(ready.status, 200)

  const [code, signal] = await server.stop('SIGTERM')
  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, `clean exit; stderr: ${server.stderr()}`)
  t.ok(server.lines.some((line) => /"msg":"stopping"/.test(line)), 'logs the graceful stop')
})

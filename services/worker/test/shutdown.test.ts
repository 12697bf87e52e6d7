import t, { type Test } from 'tap'
import { createTestDatabase, removePrefix, startService, testPrefix, type SourceProcess } from '@showfloor/db/testing'

type Running = SourceProcess & { base: string }

/** Runs the worker from source as its own process; port 0 lets the OS choose, and the log line says which. */
async function start (t: Test, env: Record<string, string>): Promise<Running> {
  const running = await startService('services/worker/src/main.ts', { WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env })
  t.teardown(running.kill)
  return running
}

async function readiness (base: string, want: number): Promise<number> {
  // The Redis connection is made in the background; readiness follows once it is up (or has failed).
  let status = 0
  for (let i = 0; i < 50 && status !== want; i++) {
    status = (await fetch(`${base}/readyz`)).status
    if (status !== want) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return status
}

async function stop (t: Test, running: Running): Promise<void> {
  const [code, signal] = await running.stop('SIGTERM')
  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, `clean exit; stderr: ${running.stderr()}`)
  t.ok(running.lines.some((line) => /"msg":"stopping"/.test(line)), 'logs the graceful stop')
}

t.test('the worker', async (t) => {
  const testDb = await createTestDatabase('worker_shutdown')
  // The worker's queues use a prefix of this test's own (the Redis of the second case is unreachable).
  const prefix = testPrefix('shutdown')
  t.teardown(async () => {
    await removePrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix)
    await testDb.drop()
  })

  t.test('starts from source, answers, and exits 0 on SIGTERM', async (t) => {
    const running = await start(t, { DATABASE_URL: testDb.url, QUEUE_PREFIX: prefix })
    t.equal((await fetch(`${running.base}/healthz`)).status, 200)
    t.equal(await readiness(running.base, 200), 200)
    await stop(t, running)
  })

  t.test('keeps running while Redis is unreachable, not ready, and still exits 0 on SIGTERM', async (t) => {
    const running = await start(t, { DATABASE_URL: testDb.url, REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: prefix })
    t.equal((await fetch(`${running.base}/healthz`)).status, 200)
    t.equal(await readiness(running.base, 503), 503)
    await stop(t, running)
    t.equal(running.lines.filter((line) => /redis unreachable/.test(line)).length, 1, 'reconnect attempts are logged once')
  })
})

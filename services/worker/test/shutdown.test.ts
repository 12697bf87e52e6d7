import t, { type Test } from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, testPrefix } from '@showfloor/db/testing'
import { removePrefix } from './support/queues.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

// The child runs as from an operator's shell, without the test runner's loaders.
const childEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('_TAPJS_') && !key.startsWith('TAP')))

interface Running {
  child: ChildProcessWithoutNullStreams
  base: string
  logs: string[]
  stderr: () => string
  exited: Promise<[number | null, NodeJS.Signals | null]>
}

/** Runs the worker from source as its own process; port 0 lets the OS choose, and the log line says which. */
async function start (t: Test, env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/worker/src/main.ts'], {
    cwd: root,
    env: { ...childEnv, WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const logs: string[] = []
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" log line in time\n${logs.join('\n')}\n${stderr}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line)
      const match = /Server listening at (http:\/\/[^"\s]+)/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`exited before listening\n${logs.join('\n')}\n${stderr}`)) })
  })
  return { child, base, logs, stderr: () => stderr, exited }
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
  running.child.kill('SIGTERM')
  const [code, signal] = await running.exited
  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, `clean exit; stderr: ${running.stderr()}`)
  t.ok(running.logs.some((line) => /"msg":"stopping"/.test(line)), 'logs the graceful stop')
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
    t.equal(running.logs.filter((line) => /redis unreachable/.test(line)).length, 1, 'reconnect attempts are logged once')
  })
})

t.test('a bad configuration value stops the worker with a message naming the variable', async (t) => {
  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/worker/src/main.ts'], {
    cwd: root,
    env: { ...childEnv, WORKER_PORT: 'abc', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  t.not(code, 0)
  t.match(stderr, /WORKER_PORT/)
})

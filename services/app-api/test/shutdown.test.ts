import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createTestDatabase } from '@showfloor/db/testing'

const root = fileURLToPath(new URL('../../../', import.meta.url))

// The child runs as from an operator's shell, without the test runner's loaders.
const childEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('_TAPJS_') && !key.startsWith('TAP')))

t.test('the server starts from source, answers, and exits 0 on SIGTERM', async (t) => {
  const testDb = await createTestDatabase('app_shutdown')
  t.teardown(async () => { await testDb.drop() })

  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/app-api/src/server.ts'], {
    cwd: root,
    env: { ...childEnv, DATABASE_URL: testDb.url, APP_API_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })

  // Port 0 lets the OS choose; Fastify's log line says which.
  const logs: string[] = []
  const listening = new Promise<string>((resolve, reject) => {
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
  const base = await listening

  const health = await fetch(`${base}/healthz`)
  t.equal(health.status, 200)
  const ready = await fetch(`${base}/readyz`)
  t.equal(ready.status, 200)

  child.kill('SIGTERM')
  const [code, signal] = await exited
  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, `clean exit; stderr: ${stderr}`)
  t.ok(logs.some((line) => /"msg":"stopping"/.test(line)), 'logs the graceful stop')
})

t.test('a bad configuration value stops the server with a message naming the variable', async (t) => {
  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', 'services/app-api/src/server.ts'], {
    cwd: root,
    env: { ...childEnv, APP_API_PORT: 'abc', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  t.not(code, 0)
  t.match(stderr, /APP_API_PORT/)
})

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * A redis-server of the test's own on a spare port, without persistence, so a test can take Redis
 * away, freeze it and bring it back without touching the machine's shared Redis. Restarting it
 * loses every key, as an outage of a Redis without persistence would.
 */
export interface PrivateRedis {
  url: string
  port: number
  start: () => Promise<void>
  stop: () => Promise<void>
  /** SIGSTOP: the connections stay open and nothing answers, as on a hung host. */
  freeze: () => void
  /** SIGCONT after `freeze`. */
  thaw: () => void
}

async function sparePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export async function privateRedis (): Promise<PrivateRedis> {
  const port = await sparePort()
  let child: ChildProcess | null = null
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start () {
      if (child) return
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] })
      child = started
      // Never outlive the test process, even one killed by a timeout.
      const kill = () => { started.kill('SIGKILL') }
      process.once('exit', kill)
      started.once('exit', () => { process.removeListener('exit', kill) })
      await new Promise<void>((resolve, reject) => {
        let out = ''
        started.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (/Ready to accept connections/.test(out)) resolve()
        })
        started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)))
      })
      started.stdout!.resume()
    },
    freeze () { child?.kill('SIGSTOP') },
    thaw () { child?.kill('SIGCONT') },
    async stop () {
      const running = child
      if (!running) return
      child = null
      if (running.exitCode === null && running.signalCode === null) {
        running.kill('SIGKILL')
        await once(running, 'exit')
      }
    }
  }
  await redis.start()
  return redis
}

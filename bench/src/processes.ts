import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

let nextPort = Number(process.env.BENCH_PORT_BASE ?? 0)

/**
 * A port for a process the benchmark starts: the next one from BENCH_PORT_BASE when it is set (on a
 * machine shared with others, each person keeps to a range of their own), else one the system hands out.
 */
export async function freePort (): Promise<number> {
  if (nextPort > 0) return nextPort++
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

export interface Service { child: ChildProcess, port: number, stop: () => Promise<void> }

/** Starts a service process and waits until `readyPath` answers 200 on its port. */
export async function startService (args: string[], env: Record<string, string>, port: number, readyPath = '/healthz'): Promise<Service> {
  // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there when it exits (open it in Chrome's DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  // The services log to stdout (warnings and errors at the benchmarks' LOG_LEVEL): shown on stderr
  // with the progress lines, so a failed job or a refused request shows up beside the figures.
  const child = spawn(process.execPath, [...profile, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', process.stderr, 'inherit'] })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}${readyPath}`, { method: readyPath === '/healthz' ? 'GET' : 'OPTIONS' })
      if (res.status < 500) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    child,
    port,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/**
 * The node flags a service's package starts it with (its `start` script): the benchmarks run each
 * service as it is deployed.
 */
export function startFlags (service: string): string[] {
  const pkg = JSON.parse(readFileSync(`${repoRoot}services/${service}/package.json`, 'utf8')) as { scripts: { start: string } }
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'))
}

/** Peak resident set size of a process so far, in MB (Linux). */
export function peakRssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

/** The fields of /proc/<pid>/stat after the command name (which, in parentheses, may hold spaces): state, ppid, ... */
function statFields (pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** CPU time a process used so far (user + system), in seconds, from /proc (Linux; 100 ticks a second). */
export function cpuSeconds (pid: number): number {
  const fields = statFields(pid)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A process's parent, from /proc. */
export function parentPid (pid: number): number {
  return Number(statFields(pid)[1])
}

/**
 * CPU time a server's process tree used so far, in seconds: the process itself, its children alive
 * now, and those that ended and were waited for (a PostgreSQL server's backends, autovacuum
 * workers, WAL writer and checkpointer, by their postmaster).
 */
export function treeCpuSeconds (pid: number): number {
  const own = statFields(pid)
  let sum = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / 100
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const fields = statFields(entry)
      if (Number(fields[1]) === pid) sum += (Number(fields[11]) + Number(fields[12])) / 100
    } catch {} // ended meanwhile
  }
  return sum
}

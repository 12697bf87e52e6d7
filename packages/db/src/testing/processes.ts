import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root: entry points are named from here, as `pnpm cli` and `pnpm start` run them. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * The environment of a process started as from an operator's shell: without the test runner's
 * loaders and settings (coverage tracking of every child would only slow it down).
 */
export function shellEnv (env: Record<string, string> = {}): Record<string, string | undefined> {
  const inherited = Object.entries(process.env)
    .filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('_TAPJS_') && !key.startsWith('TAP'))
  return { ...Object.fromEntries(inherited), ...env }
}

export type Exit = [code: number | null, signal: NodeJS.Signals | null]

export interface SourceProcess {
  child: ChildProcessWithoutNullStreams
  /** The lines written to stdout so far. */
  lines: string[]
  /** What was written to stderr so far. */
  stderr: () => string
  exited: Promise<Exit>
  /** The exit, once all output has been read too. */
  closed: Promise<Exit>
  /**
   * The first stdout line (so far or to come) that matches; rejects with the output when the
   * process exits first or `timeoutMs` pass.
   */
  line: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>
  /** Sends the signal (SIGTERM unless told) and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit>
  /** SIGKILL unless it has exited: for teardown, so no test leaves a process behind. */
  kill: () => void
}

/** Runs a TypeScript entry point of the repository (a path from its root) from source, in a process of its own. */
export function runSource (entry: string, env: Record<string, string> = {}, args: string[] = []): SourceProcess {
  const child = spawn(process.execPath, ['--conditions=@showfloor/source', '--import', 'tsx', entry, ...args], { cwd: repoRoot, env: shellEnv(env) })
  const exited = once(child, 'exit') as Promise<Exit>
  const closed = once(child, 'close') as Promise<Exit>
  const running = () => child.exitCode === null && child.signalCode === null
  // 'close' comes after the last output has been read, unlike 'exit'.
  let outputEnded = false
  child.once('close', () => { outputEnded = true })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const lines: string[] = []
  const waiting = new Set<(line: string) => void>()
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const check of waiting) check(line)
  })
  const output = () => `${lines.join('\n')}\n${stderr}`

  const line = async (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> => {
    for (const seen of lines) {
      const match = pattern.exec(seen)
      if (match) return match
    }
    return await new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        waiting.delete(check)
        child.off('close', onClose)
      }
      const check = (seen: string) => {
        const match = pattern.exec(seen)
        if (match) { done(); resolve(match) }
      }
      const onClose = () => { done(); reject(new Error(`${entry} exited before printing ${pattern}\n${output()}`)) }
      const timer = setTimeout(() => { done(); reject(new Error(`${entry} printed no ${pattern} in time\n${output()}`)) }, timeoutMs)
      waiting.add(check)
      if (outputEnded) onClose()
      else child.on('close', onClose)
    })
  }
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    closed,
    line,
    stop: async (signal = 'SIGTERM') => {
      if (running()) child.kill(signal)
      return await exited
    },
    kill: () => { if (running()) child.kill('SIGKILL') }
  }
}

/**
 * Starts a service from source and waits until it listens. Give it port 0 in its env so the OS
 * chooses one: Fastify's "listening" log line (LOG_LEVEL info or lower) says which.
 */
export async function startService (entry: string, env: Record<string, string>, timeoutMs?: number): Promise<SourceProcess & { base: string }> {
  const started = runSource(entry, env)
  try {
    const [, base] = await started.line(/Server listening at (http:\/\/[^"\s]+)/, timeoutMs)
    return { ...started, base }
  } catch (err) {
    started.kill()
    throw err
  }
}

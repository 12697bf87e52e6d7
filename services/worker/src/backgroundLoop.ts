import type { FastifyBaseLogger } from 'fastify'

export interface BackgroundLoopOptions {
  log: FastifyBaseLogger
  /**
   * One round of work; resolves to the pause before the next round, or to null when it could not
   * try (Redis is away: the connection's outage log tells), which waits `idleMs` and neither counts
   * as a failure nor ends one.
   */
  step: () => Promise<number | null>
  idleMs: number
  /** The pause after the `failures`-th failure in a row. */
  errorDelayMs: (failures: number) => number
  /** Logged at the first failure of a streak, and when a round succeeds again. */
  messages: { failed: string, recovered: string }
}

/**
 * A loop of rounds in the background (the outbox relay, the reconciler): a failing round is logged
 * once per streak and retried after a pause, and closing stops after the round in hand.
 */
export class BackgroundLoop {
  private running: Promise<void> | null = null
  private wake: (() => void) | null = null
  private failures = 0
  /** Set by close(): a long round may look at it and stop early. */
  stopping = false

  constructor (private readonly options: BackgroundLoopOptions) {}

  start (): void {
    if (this.running) return
    this.stopping = false
    this.running = this.loop()
  }

  async close (): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.running
    this.running = null
  }

  private async loop (): Promise<void> {
    const { log, messages } = this.options
    while (!this.stopping) {
      let delay: number
      try {
        const next = await this.options.step()
        if (next === null) {
          delay = this.options.idleMs
        } else {
          if (this.failures > 0) log.info(messages.recovered)
          this.failures = 0
          delay = next
        }
      } catch (err) {
        if (this.failures === 0) log.warn({ err }, messages.failed)
        this.failures++
        delay = this.options.errorDelayMs(this.failures)
      }
      if (delay > 0 && !this.stopping) await this.sleep(delay)
    }
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done () { clearTimeout(timer); resolve() }
      this.wake = done
    })
    this.wake = null
  }
}

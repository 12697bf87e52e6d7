import { performance } from 'node:perf_hooks'
import * as hdr from 'hdr-histogram-js'
import { Pool } from 'undici'

/** What a load measured: requests answered, per second, latency percentiles in ms, failures. */
export interface PacedLoad {
  requests: number
  throughput: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

export interface PacedRequest { path: string, headers: Record<string, string>, body: string }

/**
 * Requests at a steady pace, as clients that do not wait for each other send them: request i is due
 * at start + i / rate, and goes out then on a free connection of the next target in turn (the
 * targets share the rate), or waits for one. Its latency counts from when it was due, so a server
 * that falls behind is charged the wait too. autocannon's rate is kept otherwise: each connection
 * sends its share of a second's requests back to back, then waits for the next second, so "half
 * the rate" there is a burst at saturation followed by idle time.
 */
export async function paced (ports: number[], next: () => PacedRequest, seconds: number, rate: number, connections: number): Promise<PacedLoad> {
  const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: Math.max(1, Math.round(connections / ports.length)), pipelining: 1 }))
  // Microseconds, from 1 µs to 100 s, three significant digits.
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000, numberOfSignificantValueDigits: 3 })
  const total = Math.round(seconds * rate)
  const interval = 1000 / rate
  let errors = 0
  let non2xx = 0
  let done = 0
  const pending = new Set<Promise<void>>()
  const send = (pool: Pool, due: number) => {
    const { path, headers, body } = next()
    const request: Promise<void> = pool.request({ method: 'POST', path, headers, body })
      .then(async (res) => {
        await res.body.dump()
        latency.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)))
        if (res.statusCode >= 300) non2xx++
        done++
      }, () => { errors++ })
      .finally(() => pending.delete(request))
    pending.add(request)
  }
  const start = performance.now()
  try {
    for (let sent = 0; sent < total;) {
      // Every request due by now goes out; then sleep until the next one is due (timers have
      // millisecond steps, so a few may go out together at high rates).
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1)
      for (; sent < due; sent++) send(pools[sent % pools.length], start + sent * interval)
      const wait = start + sent * interval - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
    await Promise.all(pending)
    const elapsed = (performance.now() - start) / 1000
    return {
      requests: done,
      throughput: done / elapsed,
      p50: latency.getValueAtPercentile(50) / 1000,
      p99: latency.getValueAtPercentile(99) / 1000,
      errors,
      non2xx
    }
  } finally {
    latency.destroy()
    await Promise.all(pools.map(async (pool) => await pool.close()))
  }
}

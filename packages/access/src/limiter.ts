import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

export interface AccessLimiterOptions {
  /** Redis key prefix (REDIS_PREFIX): every process that shares it shares the counts. */
  prefix: string
  /** Failures per client address per window before unseen codes are refused. */
  maxFailures?: number
  windowSeconds?: number
}

export interface AccessLimiterLog {
  debug: (obj: object, msg: string) => void
}

/** How long the limiter fails open without asking Redis after Redis failed to answer. */
const BYPASS_AFTER_FAILURE_MS = 1000

/** Only a short hash of a code goes to Redis: a dump of it must not hand out access codes. */
function codeKey (code: string): string {
  return createHash('sha256').update(code).digest('base64url').slice(0, 16)
}

/** The 429 body's detail, in the shape the App API has always sent. */
export const throttledDetail = (retryAfter: number): string => `Request was throttled. Expected available in ${retryAfter} seconds.`

/**
 * The failed-login limiter of exhibitor access codes, shared by the App API and the exhibitor web
 * area through Redis (the same keys): failed attempts are counted per client address; past the
 * limit, codes not yet seen working from that address are refused for the rest of the window,
 * while codes that already worked from there keep working (a whole venue behind one NAT address is
 * not locked out by one device). Redis being down or frozen never stops a login: the limiter then
 * fails open, within the connection's command timeout, and leaves Redis alone for a moment.
 *
 * Callers pass codes upper case (codes compare case-insensitively). The per-process record of
 * pairs that worked is checked synchronously first (`known`), so a busy device costs no Redis
 * round trip.
 */
export class AccessLimiter {
  readonly maxFailures: number
  readonly windowSeconds: number
  private readonly redis: Redis
  private readonly log: AccessLimiterLog
  private readonly prefix: string
  // Address and code pairs this process saw succeed: they pass the limiter without asking Redis.
  private readonly seen = new Map<string, number>()
  // Once Redis failed to answer (down, or frozen past the connection's short command timeout), the
  // limiter leaves it alone for a moment: during an outage each request would wait the timeout again.
  private bypassUntil = 0

  constructor (redis: Redis, log: AccessLimiterLog, opts: AccessLimiterOptions) {
    this.redis = redis
    this.log = log
    this.prefix = opts.prefix
    this.maxFailures = opts.maxFailures ?? 30
    this.windowSeconds = opts.windowSeconds ?? 600
  }

  private failKey (ip: string): string { return `${this.prefix}:auth:fail:${ip}` }
  private okKey (ip: string): string { return `${this.prefix}:auth:ok:${ip}` }

  private failOpen (err: unknown): void {
    this.bypassUntil = Date.now() + BYPASS_AFTER_FAILURE_MS
    this.log.debug({ err }, 'auth limiter unavailable; failing open')
  }

  /** Whether this process saw the code work from the address lately (no Redis asked). */
  known (ip: string, code: string): boolean {
    return (this.seen.get(`${ip} ${code}`) ?? 0) > Date.now()
  }

  /**
   * Seconds until the address may try codes again, or null when the code may be tried now (the
   * address is under the limit, or the code already worked from it, or Redis does not answer).
   */
  async retryAfter (ip: string, code: string): Promise<number | null> {
    if (Date.now() < this.bypassUntil) return null
    try {
      const failKey = this.failKey(ip)
      const [[, failures], [, seen], [, ttl]] = await this.redis.multi()
        .get(failKey).sismember(this.okKey(ip), codeKey(code)).ttl(failKey).exec() as Array<[Error | null, any]>
      if (Number(failures ?? 0) >= this.maxFailures && Number(seen) !== 1) return Math.max(1, Number(ttl))
    } catch (err) {
      this.failOpen(err)
    }
    return null
  }

  /** `retryAfter`, skipped for a pair this process already saw work. */
  async check (ip: string, code: string): Promise<number | null> {
    return this.known(ip, code) ? null : await this.retryAfter(ip, code)
  }

  async recordFailure (ip: string): Promise<void> {
    if (Date.now() < this.bypassUntil) return
    try {
      const failKey = this.failKey(ip)
      await this.redis.multi().incr(failKey).expire(failKey, this.windowSeconds, 'NX').exec()
    } catch (err) {
      this.failOpen(err)
    }
  }

  async recordSuccess (ip: string, code: string): Promise<void> {
    const pair = `${ip} ${code}`
    if ((this.seen.get(pair) ?? 0) > Date.now() || Date.now() < this.bypassUntil) return
    try {
      const okKey = this.okKey(ip)
      await this.redis.multi().sadd(okKey, codeKey(code)).expire(okKey, this.windowSeconds).exec()
      if (this.seen.size > 100_000) this.seen.clear()
      this.seen.set(pair, Date.now() + (this.windowSeconds * 1000) / 2)
    } catch (err) {
      this.failOpen(err)
    }
  }
}

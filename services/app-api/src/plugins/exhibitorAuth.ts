import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { queries } from '@showfloor/db'
import { HttpError } from '@showfloor/http'

type ExhibitorSession = queries.accessCodes.ExhibitorSession

declare module 'fastify' {
  interface FastifyRequest {
    exhibitor: ExhibitorSession
    /** The code from the Authorization header, upper case, once it passed the limiter. */
    accessCode: string
  }
  interface FastifyInstance {
    /**
     * For a route that looks its exhibitor up itself (`config.deferAccessCodeLookup`): the code was
     * found (`session`) or not (throws 401 and counts the failure).
     */
    accessCodeChecked: (request: FastifyRequest, session: ExhibitorSession | undefined) => Promise<ExhibitorSession>
    /** For such a route: its statement found the code, so the limiter remembers it worked from here. */
    accessCodeFound: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyContextConfig {
    /** The handler finds the exhibitor in its own statement (the scan upload's single round trip). */
    deferAccessCodeLookup?: boolean
  }
}

export interface ExhibitorAuthOptions {
  /** Redis key prefix, so tests and deployments sharing a Redis keep apart. */
  prefix: string
  /** Failures per client address per window before unseen codes are refused. */
  maxFailures?: number
  windowSeconds?: number
}

const unauthorized = (detail: string) => new HttpError(401, { detail })

/** How long the limiter fails open without asking Redis after Redis failed to answer. */
const BYPASS_AFTER_FAILURE_MS = 1000

/** Only a short hash of a code goes to Redis: a dump of it must not hand out access codes. */
function codeKey (code: string): string {
  return createHash('sha256').update(code).digest('base64url').slice(0, 16)
}

/**
 * `Authorization: Exhibitor <code>` with the full access code or the scanning-only code, compared
 * case-insensitively after trimming. Failed attempts are counted per client address in Redis, so
 * every app-api process shares the count: past the limit, codes not yet seen from that address are
 * refused with 429 for the rest of the window, while codes that already worked from there keep
 * working (a whole venue behind one NAT address is not locked out by one device). The code is
 * looked up on every request, so a deleted exhibitor's codes stop working at once. Redis being
 * down or frozen never stops scanning: the limiter then fails open, within the connection's command
 * timeout (AUTH_LIMITER_TIMEOUT_MS).
 */
export const exhibitorAuth = fp(async function exhibitorAuth (app: FastifyInstance, opts: ExhibitorAuthOptions) {
  const maxFailures = opts.maxFailures ?? 30
  const window = opts.windowSeconds ?? 600
  // Address and code pairs this process saw succeed: they pass the limiter without asking Redis.
  const known = new Map<string, number>()
  // Once Redis failed to answer (down, or frozen past the connection's short command timeout), the
  // limiter leaves it alone for a moment: during an outage each scan would wait the timeout again.
  let bypassUntil = 0

  const failKey = (ip: string) => `${opts.prefix}:auth:fail:${ip}`
  const okKey = (ip: string) => `${opts.prefix}:auth:ok:${ip}`

  async function limited (ip: string, code: string): Promise<number | null> {
    if (Date.now() < bypassUntil) return null
    try {
      const [[, failures], [, seen], [, ttl]] = await app.redis.multi()
        .get(failKey(ip)).sismember(okKey(ip), codeKey(code)).ttl(failKey(ip)).exec() as Array<[Error | null, any]>
      if (Number(failures ?? 0) >= maxFailures && Number(seen) !== 1) return Math.max(1, Number(ttl))
    } catch (err) {
      failOpen(err)
    }
    return null
  }

  function failOpen (err: unknown) {
    bypassUntil = Date.now() + BYPASS_AFTER_FAILURE_MS
    app.log.debug({ err }, 'auth limiter unavailable; failing open')
  }

  async function recordFailure (ip: string): Promise<void> {
    if (Date.now() < bypassUntil) return
    try {
      await app.redis.multi().incr(failKey(ip)).expire(failKey(ip), window, 'NX').exec()
    } catch (err) {
      failOpen(err)
    }
  }

  async function recordSuccess (ip: string, code: string): Promise<void> {
    const pair = `${ip} ${code}`
    if ((known.get(pair) ?? 0) > Date.now() || Date.now() < bypassUntil) return
    try {
      await app.redis.multi().sadd(okKey(ip), codeKey(code)).expire(okKey(ip), window).exec()
      if (known.size > 100_000) known.clear()
      known.set(pair, Date.now() + (window * 1000) / 2)
    } catch (err) {
      failOpen(err)
    }
  }

  app.decorateRequest('exhibitor', null as unknown as ExhibitorSession)
  app.decorateRequest('accessCode', '')

  app.decorate('accessCodeChecked', async (request: FastifyRequest, session: ExhibitorSession | undefined) => {
    if (!session) {
      await recordFailure(request.ip)
      throw unauthorized('Invalid access code.')
    }
    await app.accessCodeFound(request)
    request.exhibitor = session
    return session
  })
  app.decorate('accessCodeFound', async (request: FastifyRequest) => { await recordSuccess(request.ip, request.accessCode) })

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const match = header === undefined ? null : /^\s*Exhibitor\s+(\S+)\s*$/i.exec(header)
    if (!match) throw unauthorized('Authentication credentials were not provided.')
    const code = match[1].toUpperCase()
    const ip = request.ip
    if ((known.get(`${ip} ${code}`) ?? 0) <= Date.now()) {
      const retryAfter = await limited(ip, code)
      if (retryAfter !== null) {
        throw new HttpError(429, { detail: `Request was throttled. Expected available in ${retryAfter} seconds.` }, { 'Retry-After': String(retryAfter) })
      }
    }
    request.accessCode = code
    if (request.routeOptions.config.deferAccessCodeLookup === true) return
    await app.accessCodeChecked(request, await queries.accessCodes.findByAccessCode(app.db, code))
  })
}, { name: 'showfloor-exhibitor-auth', dependencies: ['showfloor-db', 'showfloor-app-redis'] })

export const bulkDataDenied = () => new HttpError(403, { detail: 'Not permitted to access bulk data' })

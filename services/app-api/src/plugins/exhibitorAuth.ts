import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { queries } from '@showfloor/db'
import { HttpError } from '@showfloor/http'
import { AccessLimiter, throttledDetail, type AccessLimiterOptions } from '@showfloor/access'

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

/** Redis key prefix (tests and deployments sharing a Redis keep apart), limit and window. */
export type ExhibitorAuthOptions = AccessLimiterOptions

const unauthorized = (detail: string) => new HttpError(401, { detail })

/**
 * `Authorization: Exhibitor <code>` with the full access code or the scanning-only code, compared
 * case-insensitively after trimming. Failed attempts go to the limiter shared with the exhibitor
 * web area (`@showfloor/access`, counts in Redis per client address, shared by every process).
 * The code is looked up on every request, so a deleted exhibitor's codes stop working at once.
 * Redis being down or frozen never stops scanning: the limiter then fails open, within the
 * connection's command timeout (AUTH_LIMITER_TIMEOUT_MS).
 */
export const exhibitorAuth = fp(async function exhibitorAuth (app: FastifyInstance, opts: ExhibitorAuthOptions) {
  const limiter = new AccessLimiter(app.redis, app.log, opts)

  app.decorateRequest('exhibitor', null as unknown as ExhibitorSession)
  app.decorateRequest('accessCode', '')

  app.decorate('accessCodeChecked', async (request: FastifyRequest, session: ExhibitorSession | undefined) => {
    if (!session) {
      await limiter.recordFailure(request.ip)
      throw unauthorized('Invalid access code.')
    }
    await app.accessCodeFound(request)
    request.exhibitor = session
    return session
  })
  app.decorate('accessCodeFound', async (request: FastifyRequest) => { await limiter.recordSuccess(request.ip, request.accessCode) })

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const match = header === undefined ? null : /^\s*Exhibitor\s+(\S+)\s*$/i.exec(header)
    if (!match) throw unauthorized('Authentication credentials were not provided.')
    const code = match[1].toUpperCase()
    const ip = request.ip
    if (!limiter.known(ip, code)) {
      const retryAfter = await limiter.retryAfter(ip, code)
      if (retryAfter !== null) {
        throw new HttpError(429, { detail: throttledDetail(retryAfter) }, { 'Retry-After': String(retryAfter) })
      }
    }
    request.accessCode = code
    if (request.routeOptions.config.deferAccessCodeLookup === true) return
    await app.accessCodeChecked(request, await queries.accessCodes.findByAccessCode(app.db, code))
  })
}, { name: 'showfloor-exhibitor-auth', dependencies: ['showfloor-db', 'showfloor-limiter-redis'] })

export const bulkDataDenied = () => new HttpError(403, { detail: 'Not permitted to access bulk data' })

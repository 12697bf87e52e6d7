import type { FastifyInstance, FastifyRequest, onRequestHookHandler, onRequestAsyncHookHandler } from 'fastify'
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
     * The request hook of routes that find their exhibitor themselves (the scan upload's single
     * round trip): the code is read and checked against the limiter, `request.accessCode` set.
     */
    admitAccessCode: onRequestHookHandler
    /** The request hook of every other route: the code admitted, then its exhibitor looked up (`request.exhibitor`). */
    authenticateExhibitor: onRequestAsyncHookHandler
    /** For a route behind `admitAccessCode`: the code was found (`session`) or not (throws 401 and counts the failure). */
    accessCodeChecked: (request: FastifyRequest, session: ExhibitorSession | undefined) => Promise<ExhibitorSession>
    /**
     * For such a route: its statement found the code, so the limiter remembers it worked from
     * here. Undefined when this process already knew (nothing to wait for).
     */
    accessCodeFound: (request: FastifyRequest) => Promise<void> | undefined
  }
}

/** Redis key prefix (tests and deployments sharing a Redis keep apart), limit and window. */
export type ExhibitorAuthOptions = AccessLimiterOptions

const CREDENTIALS = /^\s*Exhibitor\s+(\S+)\s*$/i

const unauthorized = (detail: string) => new HttpError(401, { detail })
const throttled = (retryAfter: number) => new HttpError(429, { detail: throttledDetail(retryAfter) }, { 'Retry-After': String(retryAfter) })

/** The access code of `Authorization: Exhibitor <code>`, upper case; 401 without one. */
function credentials (request: FastifyRequest): string {
  const header = request.headers.authorization
  const match = header === undefined ? null : CREDENTIALS.exec(header)
  if (match === null) throw unauthorized('Authentication credentials were not provided.')
  return match[1].toUpperCase()
}

/**
 * `Authorization: Exhibitor <code>` with the full access code or the scanning-only code, compared
 * case-insensitively after trimming. Failed attempts go to the limiter shared with the exhibitor
 * web area (`@showfloor/access`, counts in Redis per client address, shared by every process).
 * The code is looked up on every request, so a deleted exhibitor's codes stop working at once.
 * Redis being down or frozen never stops scanning: the limiter then fails open, within the
 * connection's command timeout (AUTH_LIMITER_TIMEOUT_MS).
 *
 * The plugin gives the hooks; the routes' scopes pick theirs (see routes/index.ts), so no request
 * asks which kind of route it reached.
 */
export const exhibitorAuth = fp(async function exhibitorAuth (app: FastifyInstance, opts: ExhibitorAuthOptions) {
  const limiter = new AccessLimiter(app.redis, app.log, opts)

  app.decorateRequest('exhibitor', null as unknown as ExhibitorSession)
  app.decorateRequest('accessCode', '')

  /** The limiter's 429 for the code from the address; undefined, with no promise, when this process saw the pair work. */
  const refusal = (ip: string, code: string): Promise<HttpError | undefined> | undefined => limiter.known(ip, code)
    ? undefined
    : limiter.retryAfter(ip, code).then((retryAfter) => retryAfter === null ? undefined : throttled(retryAfter))

  // A callback hook: a device this process already admitted from its address passes without a
  // promise or a turn of the microtask queue, on the show floor's hot path.
  app.decorate('admitAccessCode', function admitAccessCode (request, _reply, done) {
    let code: string
    try {
      code = credentials(request)
    } catch (err) {
      done(err as HttpError)
      return
    }
    request.accessCode = code
    const pending = refusal(request.ip, code)
    if (pending === undefined) done()
    else pending.then((refused) => { done(refused) }, done)
  } satisfies onRequestHookHandler)

  app.decorate('authenticateExhibitor', async function authenticateExhibitor (request: FastifyRequest) {
    const code = credentials(request)
    const refused = await refusal(request.ip, code)
    if (refused !== undefined) throw refused
    request.accessCode = code
    await app.accessCodeChecked(request, await queries.accessCodes.findByAccessCode(app.db, code))
  })

  app.decorate('accessCodeChecked', async (request: FastifyRequest, session: ExhibitorSession | undefined) => {
    if (!session) {
      await limiter.recordFailure(request.ip)
      throw unauthorized('Invalid access code.')
    }
    const recording = app.accessCodeFound(request)
    if (recording !== undefined) await recording
    request.exhibitor = session
    return session
  })
  app.decorate('accessCodeFound', (request: FastifyRequest) => limiter.known(request.ip, request.accessCode)
    ? undefined
    : limiter.recordSuccess(request.ip, request.accessCode))
}, { name: 'showfloor-exhibitor-auth', dependencies: ['showfloor-db', 'showfloor-limiter-redis'] })

export const bulkDataDenied = () => new HttpError(403, { detail: 'Not permitted to access bulk data' })

import type { FastifyInstance } from 'fastify'
import { AccessLimiter } from '@showfloor/access'
import { logIn, MAX_CODE_LENGTH } from '../domain/login.js'
import { isLanguage } from '../i18n/index.js'
import { LANGUAGE_COOKIE } from '../plugins/session.js'
import { loginPage } from '../views/login.js'
import { pageContext, seeOther, sendPage } from './page.js'

export interface LoginOptions {
  /** Redis key prefix of the limiter: the App API's REDIS_PREFIX, so both count together. */
  redisPrefix: string
}

/** Where the language switch may send the visitor back to: a path of this site only. */
function localPath (next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\\\s]*$/.test(next) && next.length <= 2000 ? next : '/'
}

export async function login (app: FastifyInstance, opts: LoginOptions): Promise<void> {
  const limiter = new AccessLimiter(app.redis, app.log, { prefix: opts.redisPrefix })

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    if (request.exhibitor !== null) return seeOther(reply, '/dashboard')
    return sendPage(reply, loginPage(pageContext(request, reply)))
  })

  app.post('/', { config: { access: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const result = await logIn(app.db, limiter, request.ip, body.access_code)
    const t = request.t
    const refuse = (status: number, message: string) => sendPage(reply, loginPage(pageContext(request, reply), message), status)
    switch (result.kind) {
      case 'ok':
        reply.startSession({ id: result.exhibitorId, accessCode: result.accessCode })
        return seeOther(reply, '/dashboard')
      case 'empty': return refuse(400, t('login.empty'))
      case 'tooLong': return refuse(400, t('login.tooLong', { max: MAX_CODE_LENGTH }))
      case 'throttled':
        reply.header('Retry-After', String(result.retryAfter))
        return refuse(429, t('login.throttled', { seconds: result.retryAfter }))
      case 'invalid': return refuse(401, t('login.invalid'))
      case 'scanningCode': return refuse(403, t('login.scanningCode'))
    }
  })

  app.post('/logout', { config: { access: 'public' } }, async (_request, reply) => {
    reply.endSession()
    return seeOther(reply, '/')
  })

  app.post('/language', { config: { access: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    if (isLanguage(body.lang)) {
      reply.setCookie(LANGUAGE_COOKIE, body.lang, { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 365 * 86400 })
    }
    return seeOther(reply, localPath(body.next))
  })
}

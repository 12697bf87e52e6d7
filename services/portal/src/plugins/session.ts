import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { queries } from '@showfloor/db'
import { fromAcceptLanguage, isLanguage, languageOf, translator, type Language, type Translate } from '../i18n/index.js'
import { PageError } from './pageError.js'

type PortalExhibitor = queries.portalExhibitors.PortalExhibitor

/** What a page needs of its visitor: nothing (`public`), a session, or a permission of the exhibitor. */
export type PageAccess = 'public' | 'session' | 'leads' | 'vouchers'

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in exhibitor, looked up on this request; null when nobody is logged in. */
    exhibitor: PortalExhibitor | null
    lang: Language
    t: Translate
  }
  interface FastifyReply {
    /** Starts the exhibitor's session (after a login). */
    startSession: (exhibitor: { id: number, accessCode: string }) => void
    endSession: () => void
  }
  interface FastifyContextConfig {
    access?: PageAccess
  }
}

export interface SessionOptions {
  secret: string
  /** Idle sessions end after this long. */
  idleSeconds?: number
}

export const SESSION_COOKIE = 'portal_session'
export const LANGUAGE_COOKIE = 'portal_lang'
// The session cookie is rewritten at most this often: a page view costs no Set-Cookie otherwise.
const REFRESH_AFTER_SECONDS = 60

/**
 * Sessions in a cookie signed with PORTAL_SECRET (@fastify/cookie): the exhibitor's id, a MAC of
 * its full access code (a new code set by the organizer ends old sessions) and the time of the last
 * request (idle sessions end). The exhibitor is looked up on every request, so a deleted exhibitor
 * is logged out at once. Each route says what it needs (`config.access`); one hook enforces it.
 * The language: the visitor's switch (a cookie), else the exhibitor's locale, else Accept-Language.
 */
export const session = fp(async function session (app: FastifyInstance, opts: SessionOptions) {
  const idleSeconds = opts.idleSeconds ?? 12 * 3600
  const codeMac = (code: string) => createHmac('sha256', opts.secret).update(`portal-session:${code}`).digest('base64url').slice(0, 22)
  const cookieOptions = (maxAge?: number) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: 'auto' as const, signed: true, maxAge })

  function setSession (reply: FastifyReply, exhibitorId: number, mac: string) {
    const now = Math.floor(Date.now() / 1000)
    reply.setCookie(SESSION_COOKIE, `${exhibitorId}.${mac}.${now}`, cookieOptions(idleSeconds))
  }

  app.decorateRequest('exhibitor', null)
  app.decorateRequest('lang', 'en')
  app.decorateRequest('t', null as unknown as Translate)
  app.decorateReply('startSession', function (this: FastifyReply, exhibitor: { id: number, accessCode: string }) {
    setSession(this, exhibitor.id, codeMac(exhibitor.accessCode))
  })
  app.decorateReply('endSession', function (this: FastifyReply) {
    this.clearCookie(SESSION_COOKIE, { path: '/' })
  })

  async function findExhibitor (request: FastifyRequest, reply: FastifyReply): Promise<PortalExhibitor | null> {
    const raw = request.cookies[SESSION_COOKIE]
    if (raw === undefined) return null
    const unsigned = request.unsignCookie(raw)
    const match = unsigned.valid && unsigned.value !== null ? /^(\d{1,10})\.([\w-]{22})\.(\d{1,12})$/.exec(unsigned.value) : null
    const now = Math.floor(Date.now() / 1000)
    if (match === null || now - Number(match[3]) > idleSeconds || Number(match[1]) > 2147483647) {
      reply.endSession()
      return null
    }
    const exhibitor = await queries.portalExhibitors.findPortalExhibitor(app.db, Number(match[1]))
    const mac = Buffer.from(match[2])
    if (exhibitor === undefined || !timingSafeEqual(mac, Buffer.from(codeMac(exhibitor.access_code)))) {
      reply.endSession()
      return null
    }
    if (now - Number(match[3]) >= REFRESH_AFTER_SECONDS) setSession(reply, exhibitor.id, match[2])
    return exhibitor
  }

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access
    // Probes, metrics, the stylesheet and unknown URLs have no page.
    if (access === undefined) return
    const exhibitor = await findExhibitor(request, reply)
    request.exhibitor = exhibitor
    const chosen = request.cookies[LANGUAGE_COOKIE]
    request.lang = isLanguage(chosen) ? chosen : (languageOf(exhibitor?.locale) ?? fromAcceptLanguage(request.headers['accept-language']) ?? 'en')
    request.t = translator(request.lang)
    if (access === 'public') return
    if (exhibitor === null) return await reply.redirect('/', 303)
    if (access === 'leads' && !exhibitor.allow_lead_access) throw new PageError(403, 'error.noLeadAccess')
    if (access === 'vouchers' && !exhibitor.allow_voucher_access) throw new PageError(403, 'error.noVoucherAccess')
  })
}, { name: 'showfloor-portal-session', dependencies: ['showfloor-db'] })

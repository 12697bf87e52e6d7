import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { translator, type MessageKey } from '../i18n/index.js'
import { PageError } from '../plugins/pageError.js'
import { errorPage } from '../views/layout.js'
import { dashboard } from './dashboard.js'
import { devices } from './devices.js'
import { exportRoutes } from './export.js'
import { leads } from './leads.js'
import { login } from './login.js'
import { pageContext, sendPage } from './page.js'
import { vouchers } from './vouchers.js'

export interface RoutesOptions {
  redisPrefix: string
}

// The label of each form or URL field, for validation messages.
const FIELD_LABELS: Record<string, MessageKey> = {
  q: 'leads.search',
  tag: 'leads.tag',
  rating: 'leads.rating',
  device: 'leads.device',
  page: 'leads.pages',
  notes: 'leads.notes',
  tags: 'leads.tags',
  format: 'export.title'
}

/** The status and message of an error a page shows; undefined for errors the shared handler answers (5xx). */
function pageFailure (error: FastifyError, request: FastifyRequest): { status: number, key: MessageKey, params?: Record<string, string | number>, headers?: Record<string, string> } | undefined {
  if (error instanceof PageError) return { status: error.statusCode, key: error.key, params: error.params, headers: error.headers }
  if (error.validation) {
    // A malformed id in the URL names nothing.
    if (error.validationContext === 'params') return { status: 404, key: 'error.notFound' }
    const first = error.validation[0]
    const name = String(first?.instancePath ?? '').replace(/^\//, '').split('/')[0] || String((first?.params as { missingProperty?: string } | undefined)?.missingProperty ?? '')
    const field = FIELD_LABELS[name] === undefined ? name : request.t(FIELD_LABELS[name])
    if (first?.keyword === 'maxLength') return { status: 400, key: 'error.tooLong', params: { field, max: Number((first.params as { limit: number }).limit) } }
    return { status: 400, key: 'error.invalid', params: { field } }
  }
  if (error.code?.startsWith('FST_CSRF')) return { status: 403, key: 'error.csrf' }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, key: 'error.tooLarge' }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return { status, key: 'error.badRequest' }
  return undefined
}

/**
 * The exhibitor web area. Errors a visitor can cause are shown as pages in the visitor's language;
 * anything else goes on to the shared error handler (503 when PostgreSQL is unreachable, 500 with
 * the message hidden). Every POST needs a valid CSRF token first, or it is refused with 403 before
 * its handler runs.
 */
export async function routes (app: FastifyInstance, opts: RoutesOptions): Promise<void> {
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const failure = pageFailure(error, request)
    if (failure === undefined) throw error
    if (request.t === null) request.t = translator(request.lang)
    if (failure.headers !== undefined) reply.headers(failure.headers)
    const ctx = pageContext(request, reply)
    return sendPage(reply, errorPage(ctx, ctx.t(failure.key, failure.params)), failure.status)
  })

  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST') app.csrfProtection(request, reply, done)
    else done()
  })

  await app.register(login, { redisPrefix: opts.redisPrefix })
  await app.register(dashboard)
  await app.register(leads)
  await app.register(exportRoutes)
  await app.register(vouchers)
  await app.register(devices)
}

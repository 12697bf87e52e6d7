import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Html } from '../views/html.js'
import type { PageContext } from '../views/layout.js'

/** What the layout needs of this request: language, a CSRF token for its forms, the exhibitor. */
export function pageContext (request: FastifyRequest, reply: FastifyReply): PageContext {
  return {
    t: request.t,
    lang: request.lang,
    csrf: reply.generateCsrf(),
    path: request.url.length <= 2000 ? request.url : '/',
    exhibitor: request.exhibitor
  }
}

/** Sends a page; pages hold an exhibitor's data, so no cache keeps them. */
export function sendPage (reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply.code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(page.value)
}

/** 303 See Other: every form posts, then the browser gets a page to load (reloads and back do no harm). */
export function seeOther (reply: FastifyReply, location: string): FastifyReply {
  return reply.redirect(location, 303)
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyAuth from '@fastify/auth'
import fp from 'fastify-plugin'
import { queries, type Event, type Organizer } from '@showfloor/db'
import { HttpError, forbidden } from '@showfloor/http'

type TokenAuth = queries.tokens.TokenAuth
export type Permission = queries.tokens.TeamPermission

declare module 'fastify' {
  interface FastifyInstance {
    verifyToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    auth: TokenAuth
    organizer: Organizer
    event: Event
  }
  interface FastifyContextConfig {
    /** The team flag a route needs; a list means any one of them. None: membership is enough. */
    permission?: Permission | Permission[]
  }
}

const unauthenticated = () => new HttpError(401, { detail: 'Authentication credentials were not provided.' }, { 'WWW-Authenticate': 'Token' })
const invalidToken = () => new HttpError(401, { detail: 'Invalid token.' }, { 'WWW-Authenticate': 'Token' })

/**
 * `Authorization: Token <token>` and the team permission model. Applied to the whole /api/v1 scope:
 * every route there names the flag it needs in `config.permission`, and `request.organizer` /
 * `request.event` are set from the URL once access is established. A missing organizer or event,
 * one the team cannot reach, and a missing flag all answer the same 403.
 */
export const auth = fp(async function auth (app: FastifyInstance) {
  await app.register(fastifyAuth)

  app.decorate('verifyToken', async function verifyToken (request: FastifyRequest) {
    const header = request.headers.authorization
    if (!header) throw unauthenticated()
    const [scheme, token, extra] = header.trim().split(/\s+/)
    if (scheme?.toLowerCase() !== 'token') throw unauthenticated()
    if (!token || extra !== undefined) throw invalidToken()
    const found = await queries.tokens.findToken(app.db, token)
    if (!found) throw invalidToken()
    request.auth = found
  })

  app.decorateRequest('auth', null as unknown as TokenAuth)
  app.decorateRequest('organizer', null as unknown as Organizer)
  app.decorateRequest('event', null as unknown as Event)

  app.addHook('onRequest', app.auth([app.verifyToken]))
  app.addHook('onRequest', async (request) => {
    const params = request.params as { organizer?: string, event?: string }
    const team = request.auth.team
    if (params.organizer !== undefined) {
      if (params.organizer !== request.auth.organizerSlug) throw forbidden()
      request.organizer = { id: team.organizer_id, slug: request.auth.organizerSlug } as Organizer
    }
    if (params.event !== undefined) {
      const event = await queries.events.findEvent(app.db, team.organizer_id, params.event)
      if (!event || !(await queries.tokens.teamReachesEvent(app.db, team, event.id))) throw forbidden()
      request.event = event
    }
    const needed = request.routeOptions.config.permission
    if (needed !== undefined) {
      const any = Array.isArray(needed) ? needed : [needed]
      if (!any.some((flag) => team[flag])) throw forbidden()
    }
  })
}, { name: 'showfloor-admin-auth', dependencies: ['showfloor-db'] })

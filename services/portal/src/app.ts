import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { PortalEnv } from '@showfloor/schemas'
import { dbPlugin, dbTimeouts, errorHandler, health, httpServerOptions } from '@showfloor/http'
import { limiterRedis } from '@showfloor/access'
import { session } from './plugins/session.js'
import { stylesheet } from './plugins/stylesheet.js'
import { routes } from './routes/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    portalConfig: PortalEnv
  }
}

/**
 * PORTAL_SECRET signs the session and CSRF cookies. Production needs one (all processes must share
 * it, and sessions must outlive a restart); elsewhere a random one is made, with a warning.
 */
function portalSecret (config: PortalEnv, warn: (msg: string) => void): string {
  if (config.PORTAL_SECRET !== undefined) {
    if (config.PORTAL_SECRET.length < 32) warn('PORTAL_SECRET is shorter than 32 characters: use a long random value')
    return config.PORTAL_SECRET
  }
  if (config.NODE_ENV === 'production') throw new Error('PORTAL_SECRET must be set when NODE_ENV is production (at least 32 characters)')
  warn('PORTAL_SECRET is not set: using a random one, so sessions end when this process stops')
  return randomBytes(32).toString('base64url')
}

/** The exhibitor web area as a plugin tree, shared by the server and the tests. */
export async function buildApp (config: PortalEnv): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions(config.LOG_LEVEL, config.TRUST_PROXY, { format: config.LOG_FORMAT })).withTypeProvider<TypeBoxTypeProvider>()
  const secret = portalSecret(config, (msg) => app.log.warn(msg))
  app.decorate('portalConfig', config)
  await app.register(errorHandler)
  await app.register(dbPlugin, { databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, applicationName: 'showfloor-portal', ...dbTimeouts(config) })
  await app.register(health, { service: 'portal' })
  await app.register(limiterRedis, { url: config.REDIS_URL, commandTimeoutMs: config.AUTH_LIMITER_TIMEOUT_MS })
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"]
      }
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    // Strict-Transport-Security belongs to the TLS front (the portal may run behind it on plain http).
    strictTransportSecurity: false
  })
  await app.register(formbody)
  await app.register(cookie, { secret })
  await app.register(csrf, { sessionPlugin: '@fastify/cookie', cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', signed: true } })
  await app.register(session, { secret })
  await app.register(stylesheet)
  await app.register(routes, { redisPrefix: config.REDIS_PREFIX })
  return app
}

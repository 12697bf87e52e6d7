import type { FastifyInstance } from 'fastify'

/**
 * Fastify options every Showfloor HTTP service shares: 1 MiB bodies, URLs with or without their
 * trailing slash. X-Forwarded-* headers are believed only behind a proxy the operator names
 * (TRUST_PROXY), or any client could pick the address the auth limiter counts against.
 */
export function httpServerOptions (logLevel: string, trustProxy: boolean | string = false) {
  return {
    logger: { level: logLevel },
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: trustProxy === 'true' ? true : trustProxy === 'false' ? false : trustProxy
  } as const
}

export type { FastifyInstance }

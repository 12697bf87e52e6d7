import type { FastifyInstance } from 'fastify'

/** Fastify options every Showfloor HTTP service shares: 1 MiB bodies, URLs with or without their trailing slash. */
export function httpServerOptions (logLevel: string) {
  return {
    logger: { level: logLevel },
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: true
  } as const
}

export type { FastifyInstance }

import type { FastifyInstance } from 'fastify'

/** Fastify options every Showfloor HTTP service shares: 1 MiB bodies, all validation errors at once. */
export function httpServerOptions (logLevel: string) {
  return {
    logger: { level: logLevel },
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: true,
    ajv: { customOptions: { allErrors: true, coerceTypes: false } }
  } as const
}

export type { FastifyInstance }

import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import client from 'prom-client'

export interface HealthOptions {
  service: string
  /** Extra readiness checks (Redis for the worker); each throws when its dependency is unreachable. */
  checks?: Record<string, () => Promise<void>>
}

/**
 * Sees every answered request (but /metrics) from the one response hook that times them all:
 * `route` is the route's URL pattern, `seconds` the time to answer. A service adds metrics of its
 * own this way without a hook of its own on its hot path.
 */
export type ResponseObserver = (request: FastifyRequest, reply: FastifyReply, route: string, seconds: number) => void

declare module 'fastify' {
  interface FastifyInstance {
    metrics: client.Registry
    observeResponses: (observer: ResponseObserver) => void
  }
}

// Probes stay out of the OpenAPI documents (the `hide` keyword of @fastify/swagger).
const hidden = { hide: true } as FastifySchema

async function withTimeout (check: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([check(), new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * /healthz (the process runs), /readyz (PostgreSQL and the service's other dependencies answer)
 * and /metrics (Prometheus text format: process metrics and request durations by route).
 */
export const health = fp(async function health (app: FastifyInstance, opts: HealthOptions) {
  const registry = new client.Registry()
  registry.setDefaultLabels({ service: opts.service })
  // The event-loop delay is sampled every 100 ms, not prom-client's 10: a timer every 10 ms woke an
  // idle process 100 times a second (7 ms of CPU a second each, paid per process on a scaled-out show day).
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 })
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  app.decorate('metrics', registry)
  const observers: ResponseObserver[] = []
  app.decorate('observeResponses', (observer: ResponseObserver) => { observers.push(observer) })

  // Each route registered from here on observes its own durations, its URL known when it is
  // registered: `request.routeOptions` builds a new object on every read, and an async hook a promise
  // per request, CPU the upload path does not need to spend. Requests that reach no route are not
  // observed.
  app.addHook('onRoute', (routeOptions) => {
    const route = routeOptions.url
    if (route === '/metrics') return
    // The labelled children of this route, made once per method and status: observing through a
    // labels object hashes the labels on every request.
    const children = new Map<string, client.Histogram.Internal<string>>()
    const observe: onResponseHookHandler = (request, reply, done) => {
      const seconds = reply.elapsedTime / 1000
      const key = `${request.method} ${reply.statusCode}`
      let child = children.get(key)
      if (child === undefined) {
        child = duration.labels({ method: request.method, route, status_code: reply.statusCode })
        children.set(key, child)
      }
      child.observe(seconds)
      for (const observer of observers) observer(request, reply, route, seconds)
      done()
    }
    const hooks = routeOptions.onResponse
    routeOptions.onResponse = hooks === undefined ? [observe] : [...(Array.isArray(hooks) ? hooks : [hooks]), observe]
  })

  const checks: Record<string, () => Promise<void>> = {
    postgres: async () => { await sql`select 1`.execute(app.db) },
    ...opts.checks
  }

  app.get('/healthz', { schema: hidden }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: hidden }, async (_request, reply) => {
    const results: Record<string, string> = {}
    let ready = true
    await Promise.all(Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check, 2000)
        results[name] = 'ok'
      } catch (err) {
        ready = false
        results[name] = (err as Error).message || 'unreachable'
      }
    }))
    if (!ready) reply.header('Retry-After', '5')
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: results })
  })
  app.get('/metrics', { schema: hidden }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'showfloor-health', dependencies: ['showfloor-db'] })

/** The metrics library the registry comes from, for services that add metrics of their own. */
export { client as metricsClient }

import { connect } from 'node:net'
import type { Test } from 'tap'
import { refusingPostgresUrl, unresponsivePostgres } from '../unresponsivePostgres.js'

/** What the scenarios need of a service's app: Fastify's `inject` and `close`, typed loosely. */
export interface InjectableApp {
  inject: (request: InjectRequest) => Promise<{ statusCode: number, headers: Record<string, unknown>, body: string, json: () => unknown }>
  close: () => Promise<unknown>
}
export interface InjectRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  payload?: unknown
  headers?: Record<string, string>
}

/** Sends raw bytes to a listening app and returns its answer's status and JSON body. */
export async function rawHttp (port: number, request: string): Promise<{ status: number, body: unknown }> {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let text = ''
    socket.on('data', (chunk) => { text += chunk.toString() })
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
  const [head, body] = answer.split('\r\n\r\n')
  return { status: Number(head.split(' ')[1]), body: JSON.parse(body) }
}

export interface DatabaseOutageOptions {
  /** Builds the service's app against `databaseUrl` with the given PostgreSQL bounds (ms), ready. */
  appOn: (databaseUrl: string, bounds: { connectMs: number, statementMs: number }) => Promise<InjectableApp>
  /** Requests that need the database; each must answer 503 within the bound. */
  requests: InjectRequest[]
}

// Short bounds, so a hung database is given up on quickly.
const CONNECT_MS = 300
const STATEMENT_MS = 500

/**
 * The three ways PostgreSQL can be unavailable (accepts connections and never answers, stops
 * answering statements, refuses connections), each asserted for every request: 503 with
 * Retry-After and pretix's body within the configured bound, and /readyz 503.
 */
export function databaseOutageTests (t: Test, options: DatabaseOutageOptions): void {
  async function appOn (t: Test, url: string): Promise<InjectableApp> {
    const app = await options.appOn(url, { connectMs: CONNECT_MS, statementMs: STATEMENT_MS })
    t.teardown(async () => { await app.close() })
    return app
  }

  async function expectUnavailable (t: Test, app: InjectableApp, boundMs: number): Promise<void> {
    for (const request of options.requests) {
      const started = Date.now()
      const res = await app.inject(request)
      const elapsed = Date.now() - started
      t.equal(res.statusCode, 503, `${request.method} ${request.url}: ${res.body}`)
      t.equal(res.headers['retry-after'], '5')
      t.same(res.json(), { detail: 'The service is temporarily unavailable. Please try again later.' })
      t.ok(elapsed < boundMs, `${request.method} ${request.url} answered after ${elapsed} ms`)
    }
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 503)
    t.equal(ready.headers['retry-after'], '5')
  }

  t.test('a PostgreSQL that accepts connections and never answers: 503 within the connect bound', async (t) => {
    const pg = await unresponsivePostgres('silent')
    const app = await appOn(t, pg.url)
    // Closed before the app, so the pool's connections to it end at once.
    t.teardown(pg.close)
    await expectUnavailable(t, app, CONNECT_MS + 1500)
  })

  t.test('a PostgreSQL that stops answering statements: 503 within the statement bound', async (t) => {
    const pg = await unresponsivePostgres('stalled')
    const app = await appOn(t, pg.url)
    t.teardown(pg.close)
    await expectUnavailable(t, app, STATEMENT_MS + 1000 + 1500)
  })

  t.test('a stopped PostgreSQL (connection refused): 503, not 500', async (t) => {
    await expectUnavailable(t, await appOn(t, await refusingPostgresUrl()), 1500)
  })
}

import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { queries } from '@showfloor/db'
import { HttpError } from '@showfloor/http'

interface Claim {
  authHash: string
  key: string
  /** This request's token: the key is stored, renewed or released only while it still holds it. */
  owner: string
  lease: NodeJS.Timeout
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: Claim | null
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const keys = queries.idempotencyKeys

function notStored (status: number): boolean {
  return status === 409 || status === 429 || status >= 500
}

/**
 * `X-Idempotency-Key` on unsafe methods: the first request claims the key (per Authorization
 * header) in PostgreSQL, so every process sees it; a repeat within 24 hours replays the stored
 * status and body, and a repeat while the first still runs gets 409 with Retry-After.
 *
 * A claim is a lease (IDEMPOTENCY_LEASE_MS) that the request renews while it runs: when its process
 * dies, the lease runs out and a retry with the key takes it over and runs the request.
 *
 * As in pretix, the key alone decides: a retry replays the stored answer whatever its method, path
 * and body, even on a path no route serves, so this runs for every URL under `prefix` before
 * routing and authentication (the key is bound to the Authorization header's hash).
 */
export const idempotency = fp(async function idempotency (app: FastifyInstance, opts: { prefix: string }) {
  const leaseMs = app.config.IDEMPOTENCY_LEASE_MS
  app.decorateRequest('idempotency', null)

  // Renewed three times per lease, so one slow renewal does not let a live request lose its key.
  const holdLease = (authHash: string, key: string, owner: string): NodeJS.Timeout => {
    const timer = setInterval(() => {
      keys.renew(app.db, authHash, key, owner, leaseMs).then((held) => {
        if (!held) clearInterval(timer)
      }, (err: unknown) => { app.log.warn({ err }, 'an idempotency key lease could not be renewed') })
    }, Math.max(50, Math.floor(leaseMs / 3)))
    timer.unref()
    return timer
  }

  const letGo = (request: { idempotency: Claim | null }): Claim | null => {
    const claim = request.idempotency
    if (!claim) return null
    request.idempotency = null
    clearInterval(claim.lease)
    return claim
  }

  app.addHook('onRequest', async (request, reply) => {
    const key = request.headers['x-idempotency-key']
    if (typeof key !== 'string' || key === '' || !UNSAFE.has(request.method) || !request.url.startsWith(opts.prefix)) return
    if (key.length > 255) throw new HttpError(400, { detail: 'X-Idempotency-Key is too long (at most 255 characters).' })
    const authHash = createHash('sha256').update(request.headers.authorization ?? '').digest('hex')
    const owner = randomUUID()
    if (await keys.claim(app.db, authHash, key, request.method, request.url, { owner, ms: leaseMs })) {
      request.idempotency = { authHash, key, owner, lease: holdLease(authHash, key, owner) }
      return
    }
    const stored = await keys.find(app.db, authHash, key)
    if (!stored || stored.running) {
      throw new HttpError(409, { detail: 'A request with this idempotency key is still being processed.' }, { 'Retry-After': '5' })
    }
    reply.code(stored.status ?? 200)
    if (stored.contentType) reply.type(stored.contentType)
    return await reply.send(stored.body ?? '')
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = letGo(request)
    if (!claim) return payload
    if (notStored(reply.statusCode)) {
      await keys.release(app.db, claim.authHash, claim.key, false, claim.owner)
    } else {
      const body = typeof payload === 'string' ? payload : payload == null ? '' : String(payload)
      await keys.store(app.db, claim.authHash, claim.key, reply.statusCode, body, String(reply.getHeader('content-type') ?? ''), claim.owner)
    }
    return payload
  })

  // A request that never reached onSend (client gone) must not hold its key forever.
  app.addHook('onRequestAbort', async (request) => {
    const claim = letGo(request)
    if (!claim) return
    await keys.release(app.db, claim.authHash, claim.key, true, claim.owner)
  })

  // Whatever happened on the way, the lease is not renewed after the response.
  app.addHook('onResponse', async (request) => { letGo(request) })
}, { name: 'showfloor-idempotency', dependencies: ['showfloor-db'] })

import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { queries } from '@showfloor/db'
import { HttpError } from '@showfloor/http'

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { authHash: string, key: string } | null
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
 */
export const idempotency = fp(async function idempotency (app: FastifyInstance) {
  app.decorateRequest('idempotency', null)

  app.addHook('onRequest', async (request, reply) => {
    const key = request.headers['x-idempotency-key']
    if (typeof key !== 'string' || key === '' || !UNSAFE.has(request.method)) return
    if (key.length > 255) throw new HttpError(400, { detail: 'X-Idempotency-Key is too long (at most 255 characters).' })
    const authHash = createHash('sha256').update(request.headers.authorization ?? '').digest('hex')
    if (await keys.claim(app.db, authHash, key, request.method, request.url)) {
      request.idempotency = { authHash, key }
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
    const claim = request.idempotency
    if (!claim) return payload
    request.idempotency = null
    if (notStored(reply.statusCode)) {
      await keys.release(app.db, claim.authHash, claim.key)
    } else {
      const body = typeof payload === 'string' ? payload : payload == null ? '' : String(payload)
      await keys.store(app.db, claim.authHash, claim.key, reply.statusCode, body, String(reply.getHeader('content-type') ?? ''))
    }
    return payload
  })

  // A request that never reached onSend (client gone) must not hold its key forever.
  app.addHook('onRequestAbort', async (request) => {
    const claim = request.idempotency
    if (!claim) return
    await keys.release(app.db, claim.authHash, claim.key, true)
  })
}, { name: 'showfloor-idempotency', dependencies: ['showfloor-db'] })

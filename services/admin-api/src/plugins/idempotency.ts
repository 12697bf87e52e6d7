import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { HttpError } from '@showfloor/http'

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { authHash: string, key: string } | null
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const TTL = sql`interval '24 hours'`

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
    const claimed = await app.db.insertInto('idempotency_keys')
      .values({ auth_hash: authHash, key, method: request.method, path: request.url })
      .onConflict((oc) => oc.columns(['auth_hash', 'key']).doUpdateSet({
        method: request.method, path: request.url, running: true, response_status: null, response_body: null, created_at: sql`now()`
      }).where('idempotency_keys.created_at', '<', sql<Date>`now() - ${TTL}`))
      .returning('key')
      .executeTakeFirst()
    if (claimed) {
      request.idempotency = { authHash, key }
      return
    }
    const stored = await app.db.selectFrom('idempotency_keys').selectAll()
      .where('auth_hash', '=', authHash).where('key', '=', key).executeTakeFirst()
    if (!stored || stored.running) {
      throw new HttpError(409, { detail: 'A request with this idempotency key is still being processed.' }, { 'Retry-After': '5' })
    }
    reply.code(stored.response_status ?? 200)
    if (stored.response_content_type) reply.type(stored.response_content_type)
    return await reply.send(stored.response_body ?? '')
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency
    if (!claim) return payload
    request.idempotency = null
    const where = (q: any) => q.where('auth_hash', '=', claim.authHash).where('key', '=', claim.key)
    if (notStored(reply.statusCode)) {
      await where(app.db.deleteFrom('idempotency_keys')).execute()
    } else {
      await where(app.db.updateTable('idempotency_keys').set({
        running: false,
        response_status: reply.statusCode,
        response_body: typeof payload === 'string' ? payload : payload == null ? '' : String(payload),
        response_content_type: String(reply.getHeader('content-type') ?? '')
      })).execute()
    }
    return payload
  })

  // A request that never reached onSend (client gone) must not hold its key forever.
  app.addHook('onRequestAbort', async (request) => {
    const claim = request.idempotency
    if (!claim) return
    await app.db.deleteFrom('idempotency_keys')
      .where('auth_hash', '=', claim.authHash).where('key', '=', claim.key).where('running', '=', true).execute()
  })
}, { name: 'showfloor-idempotency', dependencies: ['showfloor-db'] })

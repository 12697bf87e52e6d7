import t from 'tap'
import { connect } from 'node:net'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { I18nString, Nullable } from '@showfloor/schemas'
import { errorHandler, httpServerOptions } from '../src/index.js'

const MESSAGE = 'Null characters are not allowed.'

async function app () {
  const app = Fastify(httpServerOptions('silent'))
  await app.register(errorHandler)
  const Order = Type.Object({
    name: Type.Optional(I18nString),
    comment: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    tags: Type.Optional(Type.Array(Type.String())),
    parts: Type.Optional(Type.Record(Type.String(), Type.String())),
    positions: Type.Optional(Type.Array(Type.Object({ attendee_name: Nullable(Type.String()), count: Type.Optional(Type.Integer()) }))),
    free: Type.Optional(Type.Unknown())
  })
  app.post('/orders/', { schema: { body: Order } }, async (request) => ({ stored: request.body }))
  app.post('/bulk/', { schema: { body: Type.Array(Type.Object({ code: Type.String() })) } }, async () => ({}))
  app.get('/plain/', async (request) => ({ auth: request.headers.authorization ?? null }))
  t.teardown(() => app.close())
  return app
}

t.test('a NUL character in any text of a body is a field error on the field the client sent', async (t) => {
  const a = await app()
  const res = await a.inject({
    method: 'POST',
    url: '/orders/',
    payload: {
      name: { en: 'ok', de: 'bad\u0000' },
      comment: 'a\u0000b',
      tags: ['fine', 'x\u0000'],
      parts: { 'given\u0000': 'Cave' },
      positions: [{ attendee_name: 'Ann' }, { attendee_name: 'B\u0000b', count: 'x' }],
      free: { deep: ['\u0000'] }
    }
  })
  t.equal(res.statusCode, 400)
  t.same(res.json(), {
    name: [MESSAGE],
    comment: [MESSAGE],
    tags: [MESSAGE],
    parts: [MESSAGE],
    positions: [{}, { attendee_name: [MESSAGE], count: ['A valid integer is required.'] }],
    free: [MESSAGE]
  })

  const list = await a.inject({ method: 'POST', url: '/bulk/', payload: [{ code: 'a' }, { code: '\u0000' }] })
  t.equal(list.statusCode, 400)
  t.same(list.json(), [{}, { code: [MESSAGE] }])

  const clean = await a.inject({ method: 'POST', url: '/orders/', payload: { name: { en: 'x' }, tags: ['a'], positions: [{ attendee_name: null }] } })
  t.equal(clean.statusCode, 200, 'text without NUL passes')
})

/** Sends raw bytes to a listening app and returns what it answered. */
async function raw (port: number, request: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let answer = ''
    socket.on('data', (chunk) => { answer += chunk.toString() })
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

t.test('a request Node\'s HTTP parser refuses is answered in pretix\'s shape', async (t) => {
  const a = await app()
  await a.listen({ port: 0, host: '127.0.0.1' })
  const port = (a.server.address() as { port: number }).port
  for (const header of ['Authorization: Token a\u0000b', 'X-Idempotency-Key: k\u0000']) {
    const answer = await raw(port, `GET /plain/ HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`)
    const [head, body] = answer.split('\r\n\r\n')
    t.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/, header)
    t.match(head, /content-type: application\/json/i)
    t.same(JSON.parse(body), { detail: 'Malformed request.' }, header)
  }
  const big = await raw(port, `GET /plain/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 /)
  t.same(JSON.parse(big.split('\r\n\r\n')[1]), { detail: 'Request header fields are too large.' })
  const fine = await raw(port, 'GET /plain/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token ab\r\nConnection: close\r\n\r\n')
  t.match(fine, /^HTTP\/1\.1 200 /, 'a clean request on the same server is served')
})

import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { IdParam, PageQuery } from '@showfloor/schemas'
import { errorHandler, httpServerOptions } from '../src/index.js'

async function app () {
  const app = Fastify(httpServerOptions('silent'))
  await app.register(errorHandler)
  app.get('/things/:slug/:id/', { schema: { params: Type.Object({ slug: Type.String(), id: IdParam }) } }, async (request) => ({ params: request.params }))
  app.get('/list/', { schema: { querystring: Type.Object({ ...PageQuery.properties, code: Type.Optional(Type.String()) }) } }, async (request) => ({ query: request.query }))
  t.teardown(() => app.close())
  return app
}

t.test('a path id is digits, at most the id column\'s range; anything else is an unknown id', async (t) => {
  const a = await app()
  for (const [raw, id] of [['5', 5], ['0005', 5], ['2147483647', 2147483647]] as const) {
    const res = await a.inject({ method: 'GET', url: `/things/x/${raw}/` })
    t.equal(res.statusCode, 200, raw)
    t.same(res.json(), { params: { slug: 'x', id } }, `${raw} is id ${id}`)
  }
  for (const raw of ['5.0', '+5', '1e3', '-1', '0', '%205', '0x10', '5%20', '2147483648', '99999999999999999999', 'abc', '']) {
    const res = await a.inject({ method: 'GET', url: `/things/x/${raw}/` })
    t.equal(res.statusCode, 404, `"${raw}"`)
    t.same(res.json(), { detail: 'Not found.' }, `"${raw}" answers as an unknown id`)
  }
})

t.test('URLs the router cannot read answer as unknown objects, in pretix\'s shape', async (t) => {
  const a = await app()
  const badEncoding = await a.inject({ method: 'GET', url: '/things/%zz/5/' })
  t.equal(badEncoding.statusCode, 404)
  t.same(badEncoding.json(), { detail: 'Not found.' })
  const long = await a.inject({ method: 'GET', url: `/things/${'a'.repeat(101)}/5/` })
  t.equal(long.statusCode, 404)
  t.same(long.json(), { detail: 'Not found.' })
  const nulSlug = await a.inject({ method: 'GET', url: '/things/a%00b/5/' })
  t.equal(nulSlug.statusCode, 404)
  t.same(nulSlug.json(), { detail: 'Not found.' })
})

t.test('a repeated query parameter counts with its last value', async (t) => {
  const a = await app()
  const res = await a.inject({ method: 'GET', url: '/list/?page=1&page=2&code=a&page_size=3&code=b' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { query: { page: '2', page_size: '3', code: 'b' } })
  const encoded = await a.inject({ method: 'GET', url: '/list/?code=a+b%26c&code=%zz' })
  t.same(encoded.json(), { query: { code: '%zz' } }, 'a malformed escape is kept as it is')
  const plus = await a.inject({ method: 'GET', url: '/list/?code=a+b%26c' })
  t.same(plus.json(), { query: { code: 'a b&c' } })
})

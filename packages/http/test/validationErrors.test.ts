import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { errorHandler, httpServerOptions } from '../src/index.js'

async function app () {
  const app = Fastify(httpServerOptions('silent'))
  await app.register(errorHandler)
  const Person = Type.Object({
    name: Type.String({ minLength: 1, maxLength: 5 }),
    age: Type.Optional(Type.Integer({ minimum: 0 })),
    parts: Type.Optional(Type.Union([Type.Object({ given: Type.String() }), Type.Null()])),
    email: Type.Optional(Type.String({ format: 'email' }))
  })
  app.post('/one', { schema: { body: Person } }, async () => ({}))
  app.post('/many', { schema: { body: Type.Array(Person) } }, async () => ({}))
  app.post('/nested', { schema: { body: Type.Object({ positions: Type.Array(Person, { minItems: 1 }) }) } }, async () => ({}))
  app.get('/item/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async () => ({}))
  return app
}

t.test('field errors in pretix shape', async (t) => {
  const a = await app()
  t.teardown(() => a.close())
  const res = await a.inject({ method: 'POST', url: '/one', payload: { name: 'toolong', age: 'x', parts: { given: 3 }, email: 'nope' } })
  t.equal(res.statusCode, 400)
  t.same(res.json(), {
    name: ['Ensure this field has no more than 5 characters.'],
    age: ['A valid integer is required.'],
    parts: { given: ['Not a valid string.'] },
    email: ['Enter a valid email address.']
  })
  const missing = await a.inject({ method: 'POST', url: '/one', payload: { parts: 'x' } })
  t.same(missing.json(), { name: ['This field is required.'], parts: ['Invalid data. Expected a dictionary, but got str.'] })
  const nulled = await a.inject({ method: 'POST', url: '/one', payload: { name: null } })
  t.same(nulled.json(), { name: ['This field may not be null.'] })
})

t.test('list bodies answer a list in input order; nested lists nest', async (t) => {
  const a = await app()
  t.teardown(() => a.close())
  const res = await a.inject({ method: 'POST', url: '/many', payload: [{ name: 'ok' }, {}, { name: 'ok', age: -1 }] })
  t.equal(res.statusCode, 400)
  t.same(res.json(), [{}, { name: ['This field is required.'] }, { age: ['Ensure this value is greater than or equal to 0.'] }])
  const nested = await a.inject({ method: 'POST', url: '/nested', payload: { positions: [{ name: 'ok' }, { name: '' }] } })
  t.same(nested.json(), { positions: [{}, { name: ['This field may not be blank.'] }] })
  const empty = await a.inject({ method: 'POST', url: '/nested', payload: { positions: [] } })
  t.same(empty.json(), { positions: ['This list may not be empty.'] })
  const badEntry = await a.inject({ method: 'POST', url: '/many', payload: [1, { name: 'ok' }] })
  t.same(badEntry.json(), [{ non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] }, {}])
  const listForObject = await a.inject({ method: 'POST', url: '/one', payload: [{ name: 'x' }] })
  t.same(listForObject.json(), { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] })
  const notList = await a.inject({ method: 'POST', url: '/many', payload: { name: 'x' } })
  t.same(notList.json(), { non_field_errors: ['Expected a list of items but got type "dict".'] })
})

t.test('bad ids are 404, bad JSON and big bodies are 4xx', async (t) => {
  const a = await app()
  t.teardown(() => a.close())
  t.equal((await a.inject({ method: 'GET', url: '/item/12' })).statusCode, 200, 'ids in the URL are converted')
  const id = await a.inject({ method: 'GET', url: '/item/abc' })
  t.equal(id.statusCode, 404)
  t.same(id.json(), { detail: 'Not found.' })
  const json = await a.inject({ method: 'POST', url: '/one', payload: '{', headers: { 'content-type': 'application/json' } })
  t.equal(json.statusCode, 400)
  t.match(json.json().detail, /^JSON parse error/)
  const type = await a.inject({ method: 'POST', url: '/one', payload: 'name=x', headers: { 'content-type': 'text/csv' } })
  t.equal(type.statusCode, 415)
  const big = await a.inject({ method: 'POST', url: '/one', payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } })
  t.equal(big.statusCode, 413)
  t.same(big.json(), { detail: 'Request body is too large.' })
  const unknown = await a.inject({ method: 'GET', url: '/nothing' })
  t.same(unknown.json(), { detail: 'Not found.' })
})

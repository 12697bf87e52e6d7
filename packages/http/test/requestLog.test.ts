import t from 'tap'
import { PassThrough } from 'node:stream'
import Fastify from 'fastify'
import { errorHandler, httpServerOptions, type LogFormat } from '../src/index.js'

const TOKEN = 'k3n8b2tq9x7m4p1wz6yr5cvd0fha'
const ACCESS_CODE = 'QWERTZUIOP'

/** An app whose log lines are collected; one route logs what a careless debug line would. */
async function app (format: LogFormat) {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk: Buffer) => { text += chunk.toString() })
  const app = Fastify(httpServerOptions('info', false, { format, stream }))
  await app.register(errorHandler)
  app.post('/exhibitors/:id/', async (request, reply) => {
    request.log.info({ headers: request.headers, body: request.body }, 'received')
    return await reply.code(201).send({ ok: true })
  })
  app.get('/fails', async () => { throw new Error('boom') })
  const lines = async () => {
    // The pretty stream writes on a later tick.
    await new Promise((resolve) => setImmediate(resolve))
    return text.split('\n').filter((line) => line !== '')
  }
  return { app, lines }
}

const request = {
  method: 'POST' as const,
  url: '/exhibitors/42/?page=2',
  headers: { authorization: `Token ${TOKEN}`, cookie: `session=${TOKEN}`, 'x-idempotency-key': 'retry-7f3a' },
  payload: { name: 'Aperture', access_code: ACCESS_CODE, exhibitor: { lead_scanning_access_code: ACCESS_CODE } }
}

t.test('JSON: one line per request with method, URL, status and time; secrets redacted', async (t) => {
  const { app: a, lines } = await app('json')
  t.teardown(() => a.close())
  const res = await a.inject(request)
  t.equal(res.statusCode, 201)
  const logged = (await lines()).map((line) => JSON.parse(line))
  const completed = logged.filter((line) => line.msg === 'request completed')
  t.equal(completed.length, 1, 'one completion line')
  t.notOk(logged.some((line) => line.msg === 'incoming request'), 'no separate "incoming request" line')
  t.match(completed[0], { level: 30, req: { method: 'POST', url: '/exhibitors/42/?page=2' }, res: { statusCode: 201 }, responseTime: Number })
  const debug = logged.find((line) => line.msg === 'received')
  t.match(debug, {
    headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-idempotency-key': 'retry-7f3a' },
    body: { name: 'Aperture', access_code: '[redacted]', exhibitor: { lead_scanning_access_code: '[redacted]' } }
  })
  const all = (await lines()).join('\n')
  t.notMatch(all, TOKEN)
  t.notMatch(all, ACCESS_CODE)
})

t.test('JSON: a failed request\'s line carries its status', async (t) => {
  const { app: a, lines } = await app('json')
  t.teardown(() => a.close())
  const res = await a.inject({ method: 'GET', url: '/fails', headers: { authorization: `Exhibitor ${ACCESS_CODE}` } })
  t.equal(res.statusCode, 500)
  const logged = (await lines()).map((line) => JSON.parse(line))
  t.match(logged.filter((line) => line.req !== undefined), [{ req: { method: 'GET', url: '/fails' }, res: { statusCode: 500 }, responseTime: Number }])
  t.notMatch(JSON.stringify(logged), ACCESS_CODE)
})

t.test('pretty: a readable line per request, secrets redacted', async (t) => {
  const { app: a, lines } = await app('pretty')
  t.teardown(() => a.close())
  await a.inject(request)
  await a.inject({ method: 'GET', url: '/nowhere', headers: { authorization: `Exhibitor ${ACCESS_CODE}` } })
  const logged = await lines()
  t.equal(logged.filter((line) => / INFO: POST \/exhibitors\/42\/\?page=2 201 \d+(\.\d)?ms/.test(line)).length, 1, logged.join('\n'))
  t.equal(logged.filter((line) => / INFO: GET \/nowhere 404 \d+(\.\d)?ms/.test(line)).length, 1, logged.join('\n'))
  t.equal(logged.length, 3, 'the debug line and one line per request')
  t.notMatch(logged.join('\n'), TOKEN)
  t.notMatch(logged.join('\n'), ACCESS_CODE)
})

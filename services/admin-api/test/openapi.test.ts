import t from 'tap'
import { harness } from './helper.js'

t.test('OpenAPI document and UI are generated from the route schemas', async (t) => {
  const h = await harness(t)
  const doc = await h.app.inject({ method: 'GET', url: '/api/openapi.json' })
  t.equal(doc.statusCode, 200)
  const body = doc.json()
  t.equal(body.openapi, '3.0.3')
  const events = body.paths['/api/v1/organizers/{organizer}/events/']
  t.ok(events?.get, 'lists the events route')
  t.ok(events?.post?.requestBody, 'with its request body schema')
  t.notOk(body.paths['/healthz'], 'probes are hidden')

  const ui = await h.app.inject({ method: 'GET', url: '/api/docs' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger-ui/i)
})

t.test('probes', async (t) => {
  const h = await harness(t)
  t.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json().checks, { postgres: 'ok' })
  await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/' })
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /http_request_duration_seconds_bucket\{.*route="\/api\/v1\/organizers\/:organizer\/events\/?"/)
  const unknown = await h.app.inject({ method: 'GET', url: '/api/v1/nothing/' })
  t.equal(unknown.statusCode, 404)
})

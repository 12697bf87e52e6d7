import t from 'tap'
import { queries } from '@showfloor/db'
import { harness } from './helper.js'

t.test('events', async (t) => {
  const h = await harness(t)
  const url = '/api/v1/organizers/demo/events/'

  t.test('create, read, list', async (t) => {
    const res = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { name: { en: 'Sample conference', de: 'Beispielkonferenz' }, slug: 'sampleconf', date_from: '2026-12-01T09:00:00Z', date_to: '2026-12-03T18:00:00+01:00' }
    })
    t.equal(res.statusCode, 201)
    t.same(res.json(), {
      name: { en: 'Sample conference', de: 'Beispielkonferenz' },
      slug: 'sampleconf',
      date_from: '2026-12-01T09:00:00.000+00:00',
      date_to: '2026-12-03T17:00:00.000+00:00',
      currency: 'EUR',
      locale: 'en',
      timezone: 'UTC',
      has_subevents: false
    })
    const detail = await h.request(h.token, { method: 'GET', url: url + 'sampleconf/' })
    t.equal(detail.statusCode, 200)
    t.equal(detail.json().slug, 'sampleconf')
    const noSlash = await h.request(h.token, { method: 'GET', url: url + 'sampleconf' })
    t.equal(noSlash.statusCode, 200, 'answers without the trailing slash too')
    const list = await h.request(h.token, { method: 'GET', url })
    t.equal(list.json().count, 1)
    t.equal(list.json().results[0].slug, 'sampleconf')
  })

  t.test('validation errors in pretix shape', async (t) => {
    const res = await h.request(h.token, { method: 'POST', url, payload: { slug: 'Bad Slug!', currency: 'euro' } })
    t.equal(res.statusCode, 400)
    const body = res.json()
    t.same(body.name, ['This field is required.'])
    t.same(body.date_from, ['This field is required.'])
    t.same(body.slug, ['This value does not match the required pattern.'])
    t.ok(Array.isArray(body.currency))
    const dup = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'x' }, slug: 'sampleconf', date_from: '2026-12-01T09:00:00Z' } })
    t.equal(dup.statusCode, 400)
    t.same(Object.keys(dup.json()), ['slug'])
    const tz = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'x' }, slug: 'tz', date_from: '2026-12-01T09:00:00Z', timezone: 'Mars/Olympus' } })
    t.equal(tz.statusCode, 400)
    t.ok(tz.json().timezone)
    const malformed = await h.request(h.token, { method: 'POST', url, payload: '{"name": ', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)
    const notObject = await h.request(h.token, { method: 'POST', url, payload: '[1,2]', headers: { 'content-type': 'application/json' } })
    t.equal(notObject.statusCode, 400)
    t.ok(notObject.json().non_field_errors)
  })

  t.test('PATCH changes only what is sent; name replaces the whole object', async (t) => {
    const res = await h.request(h.token, { method: 'PATCH', url: url + 'sampleconf/', payload: { name: { en: 'Renamed' }, currency: 'USD' } })
    t.equal(res.statusCode, 200)
    t.same(res.json().name, { en: 'Renamed' })
    t.equal(res.json().currency, 'USD')
    t.equal(res.json().date_to, '2026-12-03T17:00:00.000+00:00')
    const slug = await h.request(h.token, { method: 'PATCH', url: url + 'sampleconf/', payload: { slug: 'other' } })
    t.equal(slug.statusCode, 400)
    t.ok(slug.json().slug)
  })

  t.test('authentication and permissions', async (t) => {
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    const bad = await h.request('nope', { method: 'GET', url })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Invalid token.' })

    const other = await queries.organizers.createOrganizer(h.db, 'other', 'Other')
    const foreign = await h.tokenFor({ organizerId: other.id })
    const missingOrg = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/nope/events/' })
    const foreignOrg = await h.request(foreign, { method: 'GET', url })
    const missingEvent = await h.request(h.token, { method: 'GET', url: url + 'nope/' })
    t.equal(missingOrg.statusCode, 403)
    t.equal(foreignOrg.statusCode, 403)
    t.equal(missingEvent.statusCode, 403)
    t.same(missingOrg.json(), missingEvent.json(), 'existence is not leaked')
    t.same(foreignOrg.json(), missingEvent.json())

    const readOnly = await h.tokenFor({ permissions: [] })
    const create = await h.request(readOnly, { method: 'POST', url, payload: { name: { en: 'x' }, slug: 'x', date_from: '2026-12-01T09:00:00Z' } })
    t.equal(create.statusCode, 403)
    t.same(create.json(), missingEvent.json())
    const patch = await h.request(readOnly, { method: 'PATCH', url: url + 'sampleconf/', payload: { currency: 'EUR' } })
    t.equal(patch.statusCode, 403)
    t.equal((await h.request(readOnly, { method: 'GET', url: url + 'sampleconf/' })).statusCode, 200, 'any member reads')

    const limited = await h.tokenFor({ allEvents: false, eventIds: [] })
    t.equal((await h.request(limited, { method: 'GET', url: url + 'sampleconf/' })).statusCode, 403)
    t.equal((await h.request(limited, { method: 'GET', url })).json().count, 0)
    const own = await h.request(limited, { method: 'POST', url, payload: { name: { en: 'Mine' }, slug: 'mine', date_from: '2026-12-01T09:00:00Z' } })
    t.equal(own.statusCode, 201)
    t.equal((await h.request(limited, { method: 'GET', url: url + 'mine/' })).statusCode, 200, 'a limited team reaches the events it creates')
  })

  t.test('pagination', async (t) => {
    for (let i = 0; i < 53; i++) await h.createEvent(`page-${i}`)
    const first = await h.request(h.token, { method: 'GET', url: url + '?page_size=500', headers: { host: 'admin.example.org' } })
    const body = first.json()
    t.equal(body.count, 55)
    t.equal(body.results.length, 50, 'page_size is capped at 50')
    t.equal(body.previous, null)
    t.equal(body.next, 'http://admin.example.org/api/v1/organizers/demo/events/?page_size=500&page=2')
    const second = (await h.request(h.token, { method: 'GET', url: url + '?page=2' })).json()
    t.equal(second.results.length, 5)
    t.equal(second.next, null)
    t.match(second.previous, /^http:\/\/localhost(:\d+)?\/api\/v1\/organizers\/demo\/events\/$/)
    const past = await h.request(h.token, { method: 'GET', url: url + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    t.equal((await h.request(h.token, { method: 'GET', url: url + '?page=abc' })).statusCode, 404)
  })

  t.test('idempotency keys replay the stored response', async (t) => {
    const payload = { name: { en: 'Once' }, slug: 'once', date_from: '2026-12-01T09:00:00Z' }
    const headers = { 'x-idempotency-key': 'abc-123' }
    const first = await h.request(h.token, { method: 'POST', url, payload, headers })
    const again = await h.request(h.token, { method: 'POST', url, payload, headers })
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json())
    const rows = await h.db.selectFrom('events').select('id').where('slug', '=', 'once').execute()
    t.equal(rows.length, 1, 'acted once')
    const otherKey = await h.request(h.token, { method: 'POST', url, payload, headers: { 'x-idempotency-key': 'abc-124' } })
    t.equal(otherKey.statusCode, 400, 'a new key acts again (and the slug is taken)')
    await h.db.updateTable('idempotency_keys').set({ running: true }).where('key', '=', 'abc-123').execute()
    const running = await h.request(h.token, { method: 'POST', url, payload, headers })
    t.equal(running.statusCode, 409)
    t.ok(running.headers['retry-after'])
  })

  t.test('413 over 1 MiB', async (t) => {
    const res = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'x'.repeat(1024 * 1024 + 10) }, slug: 'big', date_from: '2026-12-01T09:00:00Z' } })
    t.equal(res.statusCode, 413)
    t.ok(res.json().detail)
  })

  t.test('delete', async (t) => {
    const res = await h.request(h.token, { method: 'DELETE', url: url + 'page-0/' })
    t.equal(res.statusCode, 204)
    t.equal((await h.request(h.token, { method: 'GET', url: url + 'page-0/' })).statusCode, 403)
  })
})

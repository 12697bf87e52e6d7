import t from 'tap'
import { harness } from './helper.js'

// pretix replays the stored answer for a known X-Idempotency-Key whatever the retry's method, path
// and body: the key alone names the request, bound to the Authorization header.
t.test('a known key replays its stored answer, whatever the method, path and body', async (t) => {
  const h = await harness(t)
  const url = '/api/v1/organizers/demo/events/'
  const payload = { name: { en: 'Keyed' }, slug: 'keyed', date_from: '2026-12-01T09:00:00Z' }
  const headers = { 'x-idempotency-key': 'replay-by-key' }
  const first = await h.request(h.token, { method: 'POST', url, payload, headers })
  t.equal(first.statusCode, 201)

  // A path with no route for the method (PATCH on the list), an unknown path, another body.
  for (const retry of [
    { method: 'PATCH' as const, url, payload: {} },
    { method: 'POST' as const, url: '/api/v1/organizers/demo/nothing-here/', payload: {} },
    { method: 'DELETE' as const, url: url + 'keyed/' },
    { method: 'POST' as const, url, payload: { ...payload, slug: 'another' } }
  ]) {
    const again = await h.request(h.token, { ...retry, headers })
    t.equal(again.statusCode, 201, `${retry.method} ${retry.url} replays the 201`)
    t.same(again.json(), first.json())
  }
  const events = await h.db.selectFrom('events').select('slug').execute()
  t.same(events.map((e) => e.slug), ['keyed'], 'acted once: nothing deleted, nothing else created')

  // The key belongs to the Authorization header: another token's request with it acts on its own.
  const other = await h.tokenFor({ permissions: ['can_create_events', 'can_change_event_settings'] })
  const second = await h.request(other, { method: 'POST', url, payload: { ...payload, slug: 'keyed-2' }, headers })
  t.equal(second.statusCode, 201)
  t.equal(second.json().slug, 'keyed-2')

  // Without a route, a fresh key is answered (404) and that answer is what the key replays.
  const missing = await h.request(h.token, { method: 'POST', url: '/api/v1/nowhere/', payload: {}, headers: { 'x-idempotency-key': 'fresh' } })
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { detail: 'Not found.' })
  const replay = await h.request(h.token, { method: 'POST', url, payload: { ...payload, slug: 'keyed-3' }, headers: { 'x-idempotency-key': 'fresh' } })
  t.equal(replay.statusCode, 404, 'the stored 404 is replayed, as pretix does')

  // Safe methods and URLs outside the API ignore the key.
  const list = await h.request(h.token, { method: 'GET', url, headers })
  t.equal(list.statusCode, 200)
  t.same(list.json().results.map((e: { slug: string }) => e.slug), ['keyed', 'keyed-2'])
})

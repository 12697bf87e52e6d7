import t from 'tap'
import { harness } from './helper.js'

const END_BEFORE_START = { non_field_errors: ['The event cannot end before it starts.'] }

t.test('an event cannot end before it starts; one with orders cannot be deleted', async (t) => {
  const h = await harness(t)
  const url = '/api/v1/organizers/demo/events/'
  const stored = async (slug: string) => await h.db.selectFrom('events').select(['date_from', 'date_to']).where('slug', '=', slug).executeTakeFirst()

  t.test('create', async (t) => {
    const res = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { name: { en: 'Backwards' }, slug: 'backwards', date_from: '2026-12-03T09:00:00Z', date_to: '2026-12-01T18:00:00Z' }
    })
    t.equal(res.statusCode, 400)
    t.same(res.json(), END_BEFORE_START)
    t.equal(await stored('backwards'), undefined, 'nothing stored')
    // The offsets count: 10:00+02:00 is before 09:00Z.
    const offsets = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { name: { en: 'Offsets' }, slug: 'offsets', date_from: '2026-12-01T09:00:00Z', date_to: '2026-12-01T10:00:00+02:00' }
    })
    t.same(offsets.json(), END_BEFORE_START)
    const same = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { name: { en: 'Instant' }, slug: 'instant', date_from: '2026-12-01T09:00:00Z', date_to: '2026-12-01T09:00:00Z' }
    })
    t.equal(same.statusCode, 201, 'ending as it starts is fine')
  })

  t.test('PATCH judges the dates as they would be after the change', async (t) => {
    await h.createEvent('conf', { date_from: '2026-12-01T09:00:00Z', date_to: '2026-12-03T18:00:00Z' })
    const before = await stored('conf')
    const endEarly = await h.request(h.token, { method: 'PATCH', url: url + 'conf/', payload: { date_to: '2026-11-30T18:00:00Z' } })
    t.equal(endEarly.statusCode, 400)
    t.same(endEarly.json(), END_BEFORE_START)
    const startLate = await h.request(h.token, { method: 'PATCH', url: url + 'conf/', payload: { date_from: '2026-12-04T09:00:00Z' } })
    t.equal(startLate.statusCode, 400)
    t.same(startLate.json(), END_BEFORE_START)
    t.same(await stored('conf'), before, 'unchanged')

    const both = await h.request(h.token, { method: 'PATCH', url: url + 'conf/', payload: { date_from: '2026-12-04T09:00:00Z', date_to: '2026-12-05T18:00:00Z' } })
    t.equal(both.statusCode, 200)
    const open = await h.request(h.token, { method: 'PATCH', url: url + 'conf/', payload: { date_to: null } })
    t.equal(open.statusCode, 200)
    t.equal(open.json().date_to, null)
    const anyStart = await h.request(h.token, { method: 'PATCH', url: url + 'conf/', payload: { date_from: '2030-01-01T00:00:00Z' } })
    t.equal(anyStart.statusCode, 200, 'without an end, any start will do')
  })

  t.test('delete', async (t) => {
    await h.createEvent('sold')
    const event = await h.db.selectFrom('events').select('id').where('slug', '=', 'sold').executeTakeFirstOrThrow()
    await h.db.insertInto('orders').values({ event_id: event.id, code: 'ABC12', status: 'c', total: '0.00' }).execute()
    const res = await h.request(h.token, { method: 'DELETE', url: url + 'sold/' })
    t.equal(res.statusCode, 403)
    t.same(res.json(), {
      detail: 'The event can not be deleted as it already contains orders. Please set \'live\' to false to hide the event and take the shop offline instead.'
    })
    t.ok(await stored('sold'), 'still stored')
    t.equal((await h.request(h.token, { method: 'GET', url: url + 'sold/' })).statusCode, 200)

    await h.createEvent('empty')
    const empty = await h.request(h.token, { method: 'DELETE', url: url + 'empty/' })
    t.equal(empty.statusCode, 204)
    t.equal(await stored('empty'), undefined)
  })
})

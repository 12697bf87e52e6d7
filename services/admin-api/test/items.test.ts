import t from 'tap'
import { queries } from '@showfloor/db'
import { harness } from './helper.js'

t.test('items', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  await h.createEvent('otherconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/items/'
  const otherUrl = '/api/v1/organizers/demo/events/otherconf/items/'
  let itemId = 0

  t.test('create, read, list', async (t) => {
    const res = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'Ticket', de: 'Eintrittskarte' }, default_price: '23.00' } })
    t.equal(res.statusCode, 201)
    itemId = res.json().id
    t.same(res.json(), { id: itemId, name: { en: 'Ticket', de: 'Eintrittskarte' }, default_price: '23.00', active: true })

    const numeric = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'Workshop' }, default_price: 12.5, active: false } })
    t.equal(numeric.statusCode, 201)
    t.same(numeric.json(), { id: numeric.json().id, name: { en: 'Workshop' }, default_price: '12.50', active: false }, 'a number is accepted and answered as a string')

    const defaults = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'Free pass' } } })
    t.equal(defaults.statusCode, 201)
    t.equal(defaults.json().default_price, '0.00')
    t.equal(defaults.json().active, true)

    const stored = await h.db.selectFrom('items').selectAll().where('id', '=', itemId).executeTakeFirstOrThrow()
    t.equal(stored.default_price, '23.00')
    t.same(stored.name, { en: 'Ticket', de: 'Eintrittskarte' })

    const detail = await h.request(h.token, { method: 'GET', url: `${url}${itemId}/` })
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), res.json())
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${itemId}` })).statusCode, 200, 'answers without the trailing slash too')

    const list = await h.request(h.token, { method: 'GET', url })
    t.equal(list.statusCode, 200)
    t.same(list.json(), {
      count: 3,
      next: null,
      previous: null,
      results: [res.json(), numeric.json(), defaults.json()]
    })
    const active = await h.request(h.token, { method: 'GET', url: url + '?active=false' })
    t.same(active.json().results.map((i: { id: number }) => i.id), [numeric.json().id], 'the active filter')
    t.equal((await h.request(h.token, { method: 'GET', url: otherUrl })).json().count, 0, 'items belong to their event')
  })

  t.test('validation errors in pretix shape', async (t) => {
    const missing = await h.request(h.token, { method: 'POST', url, payload: { default_price: 'abc', active: 'yes' } })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), {
      name: ['This field is required.'],
      default_price: ['This value does not match the required pattern.'],
      active: ['Must be a valid boolean.']
    })
    const blank = await h.request(h.token, { method: 'POST', url, payload: { name: { en: ' ' }, default_price: -1 } })
    t.equal(blank.statusCode, 400)
    t.same(blank.json(), { name: ['This field may not be blank.'], default_price: ['Ensure this value is greater than or equal to 0.'] })
    const places = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'x' }, default_price: 1.234 } })
    t.same(places.json(), { default_price: ['Ensure that there are no more than 2 decimal places.'] })
    const huge = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'x' }, default_price: 1e12 } })
    t.same(huge.json(), { default_price: ['Ensure that there are no more than 11 digits before the decimal point.'] })
    const nul = await h.request(h.token, { method: 'POST', url, payload: { name: { en: 'bad\u0000name' } } })
    t.equal(nul.statusCode, 400)
    t.same(nul.json(), { name: ['Null characters are not allowed.'] })
    const malformed = await h.request(h.token, { method: 'POST', url, payload: '{"name": ', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)
    const count = await h.db.selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    t.equal(Number(count.n), 3, 'nothing stored')
  })

  t.test('PATCH changes only what is sent; name replaces the whole object', async (t) => {
    const res = await h.request(h.token, { method: 'PATCH', url: `${url}${itemId}/`, payload: { name: { en: 'Day ticket' } } })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { id: itemId, name: { en: 'Day ticket' }, default_price: '23.00', active: true })
    const price = await h.request(h.token, { method: 'PATCH', url: `${url}${itemId}/`, payload: { default_price: '25', active: false, id: 999 } })
    t.same(price.json(), { id: itemId, name: { en: 'Day ticket' }, default_price: '25.00', active: false }, 'read-only id is ignored')
    const empty = await h.request(h.token, { method: 'PATCH', url: `${url}${itemId}/`, payload: {} })
    t.same(empty.json(), price.json())
    const bad = await h.request(h.token, { method: 'PATCH', url: `${url}${itemId}/`, payload: { default_price: null } })
    t.equal(bad.statusCode, 400)
    t.same(bad.json(), { default_price: ['This field may not be null.'] })
  })

  t.test('authentication and permissions', async (t) => {
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    const bad = await h.request('nope', { method: 'GET', url })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Invalid token.' })

    const forbidden = { detail: 'You do not have permission to perform this action.' }
    const other = await queries.organizers.createOrganizer(h.db, 'other', 'Other')
    const foreign = await h.tokenFor({ organizerId: other.id })
    const foreignRes = await h.request(foreign, { method: 'GET', url })
    t.equal(foreignRes.statusCode, 403)
    t.same(foreignRes.json(), forbidden)
    const foreignOwnSlug = await h.request(foreign, { method: 'GET', url: '/api/v1/organizers/other/events/sampleconf/items/' })
    t.equal(foreignOwnSlug.statusCode, 403, 'an event of another organizer is not reachable through its own organizer')
    const missingEvent = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/nope/items/' })
    t.equal(missingEvent.statusCode, 403)
    t.same(missingEvent.json(), forbidden)
    const limited = await h.tokenFor({ allEvents: false, eventIds: [] })
    t.equal((await h.request(limited, { method: 'GET', url })).statusCode, 403)

    // Which flag each route needs: permissions.test.ts.
    const member = await h.tokenFor({ permissions: [] })
    t.equal((await h.request(member, { method: 'GET', url })).statusCode, 200, 'any member reads')
    t.equal((await h.request(member, { method: 'GET', url: `${url}${itemId}/` })).statusCode, 200)
    const writer = await h.tokenFor({ permissions: ['can_change_items'] })
    t.equal((await h.request(writer, { method: 'PATCH', url: `${url}${itemId}/`, payload: { active: true } })).statusCode, 200)

    for (const path of [`${url}999999/`, `${url}abc/`, `${url}99999999999/`, `${otherUrl}${itemId}/`]) {
      const res = await h.request(h.token, { method: 'GET', url: path })
      t.equal(res.statusCode, 404, path)
      t.same(res.json(), { detail: 'Not found.' })
    }
    t.equal((await h.request(h.token, { method: 'PATCH', url: `${url}999999/`, payload: { active: true } })).statusCode, 404)
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}999999/` })).statusCode, 404)
  })

  t.test('pagination', async (t) => {
    for (let i = 0; i < 55; i++) {
      await h.request(h.token, { method: 'POST', url: otherUrl, payload: { name: { en: `Item ${i}` }, default_price: i } })
    }
    const first = await h.request(h.token, { method: 'GET', url: otherUrl + '?page_size=500', headers: { host: 'admin.example.org' } })
    const body = first.json()
    t.equal(body.count, 55)
    t.equal(body.results.length, 50, 'page_size is capped at 50')
    t.equal(body.previous, null)
    t.equal(body.next, 'http://admin.example.org/api/v1/organizers/demo/events/otherconf/items/?page_size=500&page=2')
    const ids = body.results.map((i: { id: number }) => i.id)
    t.same(ids, [...ids].sort((a: number, b: number) => a - b), 'ordered by id')
    const second = (await h.request(h.token, { method: 'GET', url: otherUrl + '?page=2' })).json()
    t.equal(second.results.length, 5)
    t.equal(second.next, null)
    t.match(second.previous, /\/api\/v1\/organizers\/demo\/events\/otherconf\/items\/$/)
    t.same(second.results[4].name, { en: 'Item 54' })
    const past = await h.request(h.token, { method: 'GET', url: otherUrl + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
  })

  t.test('idempotency keys replay the stored response', async (t) => {
    const headers = { 'x-idempotency-key': 'item-1' }
    const payload = { name: { en: 'Once' }, default_price: '5.00' }
    const first = await h.request(h.token, { method: 'POST', url, payload, headers })
    const again = await h.request(h.token, { method: 'POST', url, payload, headers })
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json())
    const rows = await h.db.selectFrom('items').select('name').execute()
    t.equal(rows.filter((r) => r.name.en === 'Once').length, 1, 'acted once')
  })

  t.test('delete rules', async (t) => {
    const create = async (name: string) => (await h.request(h.token, { method: 'POST', url, payload: { name: { en: name } } })).json().id as number
    const unused = await create('Unused')
    const res = await h.request(h.token, { method: 'DELETE', url: `${url}${unused}/` })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${unused}/` })).statusCode, 404)
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${unused}/` })).statusCode, 404)

    const withVoucher = await create('With voucher')
    const voucher = await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/sampleconf/vouchers/', payload: { item: withVoucher } })
    t.equal(voucher.statusCode, 201)
    const blockedByVoucher = await h.request(h.token, { method: 'DELETE', url: `${url}${withVoucher}/` })
    t.equal(blockedByVoucher.statusCode, 400)
    t.same(blockedByVoucher.json(), { detail: 'This item cannot be deleted because vouchers refer to it. Delete or change those vouchers first.' })

    const ordered = await create('Ordered')
    const event = await h.db.selectFrom('events').select('id').where('slug', '=', 'sampleconf').executeTakeFirstOrThrow()
    const order = await h.db.insertInto('orders').values({ event_id: event.id, code: 'ABC12', total: '0.00' }).returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('order_positions').values({
      order_id: order.id, event_id: event.id, positionid: 1, item_id: ordered, price: '0.00', secret: 'secret-1', pseudonymization_id: 'PSEUDO0001'
    }).execute()
    const blockedByOrder = await h.request(h.token, { method: 'DELETE', url: `${url}${ordered}/` })
    t.equal(blockedByOrder.statusCode, 400)
    t.match(blockedByOrder.json(), { detail: /already been ordered/ })
    t.ok(await h.db.selectFrom('items').select('id').where('id', '=', ordered).executeTakeFirst(), 'still stored')
  })
})

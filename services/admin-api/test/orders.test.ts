import t from 'tap'
import { queries } from '@showfloor/db'
import { harness } from './helper.js'

t.test('orders', async (t) => {
  const h = await harness(t)
  await h.createEvent('conf', { locale: 'de' })
  await h.createEvent('other')
  const eventId = async (slug: string) =>
    (await h.db.selectFrom('events').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  const confId = await eventId('conf')
  const otherId = await eventId('other')

  const item = async (event: number, price: string, active = true) =>
    (await h.db.insertInto('items').values({ event_id: event, name: JSON.stringify({ en: `Item ${price}` }), default_price: price, active })
      .returning('id').executeTakeFirstOrThrow()).id
  const ticket = await item(confId, '100.00')
  const workshop = await item(confId, '25.50')
  const inactive = await item(confId, '5.00', false)
  const foreignItem = await item(otherId, '1.00')

  const voucher = async (values: { code: string, max_usages?: number, redeemed?: number, valid_until?: string | null, item_id?: number | null, price_mode?: string, value?: string | null, event_id?: number }) =>
    (await h.db.insertInto('vouchers').values({ event_id: confId, ...values }).returning('id').executeTakeFirstOrThrow()).id
  const redeemed = async (id: number) =>
    (await h.db.selectFrom('vouchers').select('redeemed').where('id', '=', id).executeTakeFirstOrThrow()).redeemed
  const orderCount = async () => Number((await h.db.selectFrom('orders').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  const url = '/api/v1/organizers/demo/events/conf/orders/'
  const post = async (payload: unknown, token = h.token, headers: Record<string, string> = {}) =>
    await h.request(token, { method: 'POST', url, payload: payload as Record<string, unknown>, headers })

  t.test('create with several positions', async (t) => {
    const res = await post({
      email: 'orders@example.org',
      positions: [
        {
          item: ticket,
          attendee_name_parts: { salutation: 'Mr', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' },
          attendee_email: 'cave@aperture.example',
          company: 'Aperture Science',
          street: '1 Enrichment Way',
          zipcode: '49000',
          city: 'Upper Michigan',
          country: 'US',
          answers: [{ question_identifier: 'diet', question: 'Diet?', answer: 'Vegan' }, { question_identifier: 'shirt', answer: 'XL' }],
          pseudonymization_id: 'IGNOREDXXX'
        },
        { item: workshop, attendee_name: 'Chell', secret: 'my-own-secret', price: '12.5' },
        { item: ticket, price: 0 }
      ]
    })
    t.equal(res.statusCode, 201, res.body)
    const order = res.json()
    t.match(order.code, /^[A-Z0-9]{5}$/)
    t.equal(order.status, 'n')
    t.equal(order.event, 'conf')
    t.equal(order.email, 'orders@example.org')
    t.equal(order.locale, 'de', 'defaults to the event locale')
    t.match(order.datetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/)
    t.ok(Math.abs(new Date(order.datetime).getTime() - Date.now()) < 60_000, 'datetime is now')
    t.equal(order.total, '112.50')
    t.same(order.positions.map((p: any) => p.positionid), [1, 2, 3])
    t.same(order.positions.map((p: any) => p.price), ['100.00', '12.50', '0.00'])

    const [first, second, third] = order.positions
    t.same(first, {
      id: first.id,
      order: order.code,
      positionid: 1,
      item: ticket,
      variation: null,
      price: '100.00',
      attendee_name: 'Dr Cave Johnson',
      attendee_name_parts: { salutation: 'Mr', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' },
      attendee_email: 'cave@aperture.example',
      company: 'Aperture Science',
      street: '1 Enrichment Way',
      zipcode: '49000',
      city: 'Upper Michigan',
      country: 'US',
      secret: first.secret,
      pseudonymization_id: first.pseudonymization_id,
      voucher: null,
      subevent: null,
      addon_to: null,
      answers: [{ question_identifier: 'diet', question: 'Diet?', answer: 'Vegan' }, { question_identifier: 'shirt', question: '', answer: 'XL' }]
    })
    t.equal(second.attendee_name, 'Chell')
    t.same(second.attendee_name_parts, { _legacy: 'Chell' })
    t.equal(second.secret, 'my-own-secret', 'a sent secret is kept')
    t.equal(third.attendee_name, null)
    t.same(third.attendee_name_parts, {})
    t.same(third.answers, [])
    t.equal(third.attendee_email, null)
    for (const p of order.positions) {
      t.match(p.pseudonymization_id, /^[A-Z0-9]{10}$/)
      t.equal(p.order, order.code)
    }
    t.not(first.pseudonymization_id, 'IGNOREDXXX', 'read-only field sent is ignored')
    t.equal(new Set(order.positions.map((p: any) => p.pseudonymization_id)).size, 3, 'pseudonymization ids differ')
    t.match(first.secret, /^[a-z0-9]{32}$/, 'generated secret')
    t.match(third.secret, /^[a-z0-9]{32}$/)
    t.not(first.secret, third.secret)

    const detail = await h.request(h.token, { method: 'GET', url: url + order.code + '/' })
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), order, 'detail shows what create answered')
    const noSlash = await h.request(h.token, { method: 'GET', url: url + order.code })
    t.equal(noSlash.statusCode, 200)

    const rows = await h.db.selectFrom('order_positions').selectAll().where('order_id', '=',
      (await h.db.selectFrom('orders').select('id').where('code', '=', order.code).executeTakeFirstOrThrow()).id).orderBy('positionid').execute()
    t.equal(rows.length, 3)
    t.equal(rows[0].event_id, confId)
    t.equal(rows[0].attendee_name, 'Dr Cave Johnson')
    t.same(rows[1].attendee_name_parts, { _legacy: 'Chell' })
  })

  t.test('status, locale and datetime may be given', async (t) => {
    const res = await post({ status: 'p', locale: 'en', datetime: '2026-11-30T10:00:00+01:00', positions: [{ item: workshop }] })
    t.equal(res.statusCode, 201, res.body)
    const order = res.json()
    t.equal(order.status, 'p')
    t.equal(order.locale, 'en')
    t.equal(order.email, null)
    t.equal(order.datetime, '2026-11-30T09:00:00.000+00:00')
    t.equal(order.total, '25.50')
  })

  t.test('validation errors in pretix shape; nothing is stored', async (t) => {
    const before = await orderCount()
    const expect400 = async (payload: unknown, body: unknown, msg: string) => {
      const res = await post(payload)
      t.equal(res.statusCode, 400, msg)
      t.same(res.json(), body, msg)
    }
    await expect400({}, { positions: ['This field is required.'] }, 'positions required')
    await expect400({ positions: [] }, { positions: ['This list may not be empty.'] }, 'positions not empty')
    await expect400({ positions: [{ item: ticket }, {}] }, { positions: [{}, { item: ['This field is required.'] }] }, 'nested required')
    await expect400({ positions: [{ item: 'one' }] }, { positions: [{ item: ['A valid integer is required.'] }] }, 'nested type')
    await expect400({ email: 'not-an-email', positions: [{ item: ticket }] }, { email: ['Enter a valid email address.'] }, 'order email')
    await expect400({ status: 'c', positions: [{ item: ticket }] }, { status: ['"c" is not a valid choice.'] }, 'status n or p')
    const badDate = await post({ datetime: 'yesterday', positions: [{ item: ticket }] })
    t.equal(badDate.statusCode, 400)
    t.same(Object.keys(badDate.json()), ['datetime'], 'datetime format')
    await expect400({ positions: [{ item: ticket, attendee_email: 'nope' }] }, { positions: [{ attendee_email: ['Enter a valid email address.'] }] }, 'attendee email')
    await expect400({ positions: [{ item: ticket }, { item: foreignItem }] },
      { positions: [{}, { item: [`Invalid pk "${foreignItem}" - object does not exist.`] }] }, 'item of another event')
    await expect400({ positions: [{ item: 99999999999 }] },
      { positions: [{ item: ['Invalid pk "99999999999" - object does not exist.'] }] }, 'huge item id')
    await expect400({ positions: [{ item: inactive }] }, { positions: [{ item: ['The specified item is not active.'] }] }, 'inactive item')
    await expect400({ positions: [{ item: ticket, attendee_name: 'A', attendee_name_parts: { given_name: 'B' } }] },
      { positions: [{ attendee_name: ['Do not specify attendee_name if you specified attendee_name_parts.'] }] }, 'name and parts')
    await expect400({ positions: [{ item: ticket, attendee_name_parts: { given_name: 3 } }] },
      { positions: [{ attendee_name_parts: { given_name: ['Not a valid string.'] } }] }, 'parts are strings')
    await expect400({ positions: [{ item: ticket, price: 1.234 }] },
      { positions: [{ price: ['Ensure that there are no more than 2 decimal places.'] }] }, 'price decimals')
    await expect400({ positions: [{ item: ticket, price: '1.234' }] },
      { positions: [{ price: ['This value does not match the required pattern.'] }] }, 'price string decimals')
    await expect400({ positions: [{ item: ticket, price: '99999999999.00' }, { item: ticket, price: '99999999999.00' }] },
      { non_field_errors: ['The order total is too large.'] }, 'total overflow')
    await expect400({ positions: [{ item: ticket, positionid: 1 }, { item: ticket }] },
      { positions: [{}, { positionid: ['If you set position IDs manually, you need to do so for all positions.'] }] }, 'position ids for all')
    await expect400({ positions: [{ item: ticket, positionid: 2 }, { item: ticket, positionid: 1 }] },
      { positions: [{ positionid: ['Position IDs need to be consecutive.'] }, { positionid: ['Position IDs need to be consecutive.'] }] }, 'consecutive ids')
    await expect400({ positions: [{ item: ticket, variation: 3, subevent: 1 }] },
      { positions: [{ variation: ['You cannot specify a variation for this item.'], subevent: ['You cannot set a subevent for this event.'] }] }, 'no variations or subevents')
    await expect400({ positions: [{ item: ticket, secret: 'same' }, { item: ticket, secret: 'same' }] },
      { positions: [{}, { secret: ['You cannot assign a position secret that already exists.'] }] }, 'secret twice in one order')
    await expect400({ positions: [{ item: ticket }, { item: ticket, secret: 'my-own-secret' }] },
      { positions: [{}, { secret: ['You cannot assign a position secret that already exists.'] }] }, 'secret of another order')
    await expect400({ positions: [{ item: ticket, answers: [{ answer: 'x' }] }] },
      { positions: [{ answers: [{ question_identifier: ['This field is required.'] }] }] }, 'answers need an identifier')
    await expect400({ positions: [{ item: ticket, country: 'Germany' }] },
      { positions: [{ country: ['This value does not match the required pattern.'] }] }, 'country code')

    const malformed = await h.request(h.token, { method: 'POST', url, payload: '{"positions": [', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)
    t.equal(await orderCount(), before, 'no order was stored')
  })

  t.test('vouchers are redeemed on create', async (t) => {
    const id = await voucher({ code: 'FREE-TWO', max_usages: 2, price_mode: 'set', value: '10.00' })
    const res = await post({ positions: [{ item: ticket, voucher: id }, { item: workshop, voucher_code: 'free-two' }] })
    t.equal(res.statusCode, 201, res.body)
    const order = res.json()
    t.same(order.positions.map((p: any) => p.voucher), [id, id])
    t.same(order.positions.map((p: any) => p.price), ['10.00', '10.00'], 'price follows the voucher when omitted')
    t.equal(order.total, '20.00')
    t.equal(await redeemed(id), 2, 'counted once per position')

    const usedUp = await post({ positions: [{ item: ticket, voucher: id }] })
    t.equal(usedUp.statusCode, 400)
    t.same(usedUp.json(), { positions: [{ voucher: ['The voucher has already been used the maximum number of times.'] }] })
    const usedUpByCode = await post({ positions: [{ item: ticket, voucher_code: 'FREE-TWO' }] })
    t.same(usedUpByCode.json(), { positions: [{ voucher_code: ['The voucher has already been used the maximum number of times.'] }] })
    t.equal(await redeemed(id), 2)

    const expired = await voucher({ code: 'EXPIRED1', valid_until: '2020-01-01T00:00:00Z' })
    const exp = await post({ positions: [{ item: ticket, voucher: expired }] })
    t.equal(exp.statusCode, 400)
    t.same(exp.json(), { positions: [{ voucher: ['This voucher is expired.'] }] })
    t.equal(await redeemed(expired), 0)

    const future = await voucher({ code: 'FUTURE01', valid_until: '2099-01-01T00:00:00Z', price_mode: 'percent', value: '25.00' })
    const ok = await post({ positions: [{ item: workshop, voucher: 'future01' }] })
    t.equal(ok.statusCode, 201, 'a string in `voucher` is a code, as in pretix')
    t.equal(ok.json().positions[0].voucher, future)
    t.equal(ok.json().positions[0].price, '19.13', 'percent discount, rounded half up')

    const subtract = await voucher({ code: 'MINUS-50', max_usages: 5, price_mode: 'subtract', value: '50.00' })
    const sub = await post({ positions: [{ item: ticket, voucher: subtract }, { item: workshop, voucher: subtract }, { item: ticket, voucher: subtract, price: '70' }] })
    t.same(sub.json().positions.map((p: any) => p.price), ['50.00', '0.00', '70.00'], 'subtract stops at zero; a sent price wins')

    const unknown = await post({ positions: [{ item: ticket }, { item: ticket, voucher: 99999 }, { item: ticket, voucher_code: 'NOPE-NOPE' }] })
    t.equal(unknown.statusCode, 400)
    t.same(unknown.json(), { positions: [{}, { voucher: ['Invalid pk "99999" - object does not exist.'] }, { voucher_code: ['Object with code=NOPE-NOPE does not exist.'] }] })

    const foreign = await voucher({ code: 'OTHER-EVENT', event_id: otherId })
    const other = await post({ positions: [{ item: ticket, voucher: foreign }] })
    t.same(other.json(), { positions: [{ voucher: [`Invalid pk "${foreign}" - object does not exist.`] }] }, 'a voucher of another event is unknown here')

    const onlyWorkshop = await voucher({ code: 'WORKSHOP', item_id: workshop })
    const wrongItem = await post({ positions: [{ item: ticket, voucher: onlyWorkshop }] })
    t.same(wrongItem.json(), { positions: [{ voucher: ['This voucher is not valid for this product.'] }] })
    t.equal((await post({ positions: [{ item: workshop, voucher: onlyWorkshop }] })).statusCode, 201)

    const partial = await voucher({ code: 'LAST-ONE', max_usages: 3, redeemed: 2 })
    const tooMany = await post({ positions: [{ item: ticket, voucher: partial }, { item: ticket, voucher: partial }] })
    t.same(tooMany.json(), { positions: [{}, { voucher: ['The voucher has already been used the maximum number of times.'] }] }, 'the positions beyond what is left are refused')
    t.equal(await redeemed(partial), 2)

    const spare = await voucher({ code: 'SPARE-1' })
    const rolledBack = await post({ positions: [{ item: ticket, voucher: spare }, { item: ticket, secret: 'my-own-secret' }] })
    t.equal(rolledBack.statusCode, 400)
    t.equal(await redeemed(spare), 0, 'a refused order redeems nothing')

    const both = await post({ positions: [{ item: ticket, voucher: spare, voucher_code: 'SPARE-1' }] })
    t.same(both.json(), { positions: [{ voucher_code: ['Do not specify voucher_code if you specified voucher.'] }] })
  })

  t.test('concurrent orders cannot over-redeem a voucher', async (t) => {
    const id = await voucher({ code: 'ONCE-ONLY', max_usages: 1 })
    const results = await Promise.all(Array.from({ length: 8 }, async () => await post({ positions: [{ item: ticket, voucher: id }] })))
    const codes = results.map((r) => r.statusCode).sort()
    t.same(codes, [201, 400, 400, 400, 400, 400, 400, 400], 'exactly one succeeds')
    for (const r of results.filter((r) => r.statusCode === 400)) {
      t.same(r.json(), { positions: [{ voucher: ['The voucher has already been used the maximum number of times.'] }] })
    }
    t.equal(await redeemed(id), 1)
    const uses = await h.db.selectFrom('order_positions').select('id').where('voucher_id', '=', id).execute()
    t.equal(uses.length, 1)
  })

  t.test('cancel frees voucher redemptions', async (t) => {
    const id = await voucher({ code: 'CANCEL-ME', max_usages: 2 })
    const created = (await post({ status: 'p', positions: [{ item: ticket, voucher: id }, { item: ticket, voucher: id }, { item: workshop }] })).json()
    t.equal(await redeemed(id), 2)
    const cancel = await h.request(h.token, { method: 'POST', url: `${url}${created.code}/mark_canceled/` })
    t.equal(cancel.statusCode, 200, cancel.body)
    t.equal(cancel.json().status, 'c')
    t.equal(cancel.json().code, created.code)
    t.same(cancel.json().positions, created.positions, 'positions stay as they were')
    t.equal(await redeemed(id), 0, 'redemptions freed')
    const stored = await h.db.selectFrom('orders').select('status').where('code', '=', created.code).executeTakeFirstOrThrow()
    t.equal(stored.status, 'c')

    const again = await h.request(h.token, { method: 'POST', url: `${url}${created.code}/mark_canceled/`, payload: { send_email: false } })
    t.equal(again.statusCode, 400)
    t.same(again.json(), { detail: 'The order is not allowed to be canceled.' })
    t.equal(await redeemed(id), 0, 'a second cancel frees nothing more')

    t.equal((await post({ positions: [{ item: ticket, voucher: id }, { item: ticket, voucher: id }] })).statusCode, 201, 'the voucher can be used again')
    t.equal(await redeemed(id), 2)

    const missing = await h.request(h.token, { method: 'POST', url: `${url}ZZZZZ/mark_canceled/` })
    t.equal(missing.statusCode, 404)
    t.same(missing.json(), { detail: 'Not found.' })
  })

  t.test('authentication and permissions', async (t) => {
    const payload = { positions: [{ item: ticket }] }
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    const bad = await h.request('nope', { method: 'GET', url })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Invalid token.' })
    t.equal((await post(payload, 'nope')).statusCode, 401)

    const denied = { detail: 'You do not have permission to perform this action.' }
    const other = await queries.organizers.createOrganizer(h.db, 'other-org', 'Other')
    const foreign = await h.tokenFor({ organizerId: other.id })
    const foreignList = await h.request(foreign, { method: 'GET', url })
    t.equal(foreignList.statusCode, 403)
    t.same(foreignList.json(), denied)
    const missingEvent = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/nope/orders/' })
    t.equal(missingEvent.statusCode, 403)
    t.same(missingEvent.json(), denied)
    const limited = await h.tokenFor({ allEvents: false, eventIds: [otherId] })
    t.equal((await h.request(limited, { method: 'GET', url })).statusCode, 403, 'an event the team does not reach')

    // Which flag each route needs: permissions.test.ts.
    const code = (await post(payload)).json().code
    const viewer = await h.tokenFor({ permissions: ['can_view_orders'] })
    t.equal((await h.request(viewer, { method: 'GET', url })).statusCode, 200)
    t.equal((await h.request(viewer, { method: 'GET', url: url + code + '/' })).statusCode, 200)
    const changer = await h.tokenFor({ permissions: ['can_change_orders'] })
    t.equal((await post(payload, changer)).statusCode, 201)

    const unknown = await h.request(viewer, { method: 'GET', url: url + 'ZZZZZ/' })
    t.equal(unknown.statusCode, 404)
    t.same(unknown.json(), { detail: 'Not found.' })
    t.equal((await h.request(viewer, { method: 'GET', url: url + 'X'.repeat(40) + '/' })).statusCode, 404)
    const elsewhere = await h.request(h.token, { method: 'GET', url: `/api/v1/organizers/demo/events/other/orders/${code}/` })
    t.equal(elsewhere.statusCode, 404, 'an order code of another event is not found')
  })

  t.test('pagination by id', async (t) => {
    await h.createEvent('paged')
    const pagedItem = await item(await eventId('paged'), '3.00')
    const pagedUrl = '/api/v1/organizers/demo/events/paged/orders/'
    const codes: string[] = []
    for (let i = 0; i < 53; i++) {
      const res = await h.request(h.token, { method: 'POST', url: pagedUrl, payload: { email: `p${i}@example.org`, positions: [{ item: pagedItem }] } })
      codes.push(res.json().code)
    }
    const first = await h.request(h.token, { method: 'GET', url: pagedUrl + '?page_size=100', headers: { host: 'admin.example.org' } })
    t.equal(first.statusCode, 200)
    const body = first.json()
    t.equal(body.count, 53)
    t.equal(body.results.length, 50, 'page size capped at 50')
    t.equal(body.previous, null)
    t.equal(body.next, 'http://admin.example.org/api/v1/organizers/demo/events/paged/orders/?page_size=100&page=2')
    t.same(body.results.map((o: any) => o.code), codes.slice(0, 50), 'ordered by id')
    t.equal(body.results[0].positions.length, 1)
    t.equal(body.results[0].positions[0].order, codes[0])
    const second = (await h.request(h.token, { method: 'GET', url: pagedUrl + '?page=2' })).json()
    t.same(second.results.map((o: any) => o.code), codes.slice(50))
    t.equal(second.next, null)
    t.ok(second.previous)
    const past = await h.request(h.token, { method: 'GET', url: pagedUrl + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    t.equal(new Set(codes).size, 53, 'order codes are unique')
  })

  t.test('an idempotent replay creates one order', async (t) => {
    const payload = { email: 'idem@example.org', positions: [{ item: ticket }] }
    const headers = { 'x-idempotency-key': 'order-once-1' }
    const first = await post(payload, h.token, headers)
    const again = await post(payload, h.token, headers)
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json())
    const rows = await h.db.selectFrom('orders').select('id').where('email', '=', 'idem@example.org').execute()
    t.equal(rows.length, 1, 'acted once')
  })
})

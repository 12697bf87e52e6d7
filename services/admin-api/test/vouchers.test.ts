import t from 'tap'
import { ACCESS_CODE_ALPHABET, queries } from '@showfloor/db'
import { serializeVoucher } from '../src/routes/vouchers.js'
import { harness } from './helper.js'

const defaults = {
  max_usages: 1,
  redeemed: 0,
  min_usages: 1,
  valid_until: null,
  block_quota: false,
  allow_ignore_quota: false,
  price_mode: 'none',
  value: null,
  item: null,
  variation: null,
  quota: null,
  tag: '',
  comment: '',
  seat: null,
  subevent: null,
  show_hidden_items: true,
  all_addons_included: false,
  all_bundles_included: false
}

t.test('vouchers', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  await h.createEvent('otherconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/vouchers/'
  const otherUrl = '/api/v1/organizers/demo/events/otherconf/vouchers/'
  const batchUrl = url + 'batch_create/'
  const item = (await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/sampleconf/items/', payload: { name: { en: 'Ticket' }, default_price: '23.00' } })).json().id as number
  const foreignItem = (await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/otherconf/items/', payload: { name: { en: 'Other' } } })).json().id as number
  const event = await h.db.selectFrom('events').select('id').where('slug', '=', 'sampleconf').executeTakeFirstOrThrow()
  const countVouchers = async () => Number((await h.db.selectFrom('vouchers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  let full = 0

  t.test('create with defaults and a generated code', async (t) => {
    const res = await h.request(h.token, { method: 'POST', url, payload: {} })
    t.equal(res.statusCode, 201)
    const body = res.json()
    t.match(body.code, new RegExp(`^[${ACCESS_CODE_ALPHABET}]{16}$`))
    t.same(body, { id: body.id, code: body.code, ...defaults })
    const detail = await h.request(h.token, { method: 'GET', url: `${url}${body.id}/` })
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), body)
  })

  t.test('create with every field', async (t) => {
    const res = await h.request(h.token, {
      method: 'POST',
      url,
      payload: {
        code: '  43K6LKM37FBVR2YG ',
        max_usages: 3,
        min_usages: 2,
        valid_until: '2026-12-24T18:00:00Z',
        block_quota: true,
        allow_ignore_quota: true,
        price_mode: 'set',
        value: 12,
        item,
        variation: null,
        quota: null,
        tag: 'testvoucher',
        comment: 'for the press',
        seat: null,
        subevent: null,
        show_hidden_items: false,
        all_addons_included: true,
        all_bundles_included: true,
        redeemed: 5,
        id: 12345
      }
    })
    t.equal(res.statusCode, 201)
    full = res.json().id
    t.not(full, 12345, 'id is read-only')
    t.same(res.json(), {
      id: full,
      code: '43K6LKM37FBVR2YG',
      max_usages: 3,
      redeemed: 0,
      min_usages: 2,
      valid_until: '2026-12-24T18:00:00.000+00:00',
      block_quota: true,
      allow_ignore_quota: true,
      price_mode: 'set',
      value: '12.00',
      item,
      variation: null,
      quota: null,
      tag: 'testvoucher',
      comment: 'for the press',
      seat: null,
      subevent: null,
      show_hidden_items: false,
      all_addons_included: true,
      all_bundles_included: true
    })
    const stored = await h.db.selectFrom('vouchers').selectAll().where('id', '=', full).executeTakeFirstOrThrow()
    t.equal(stored.code, '43K6LKM37FBVR2YG', 'stored trimmed')
    t.equal(stored.event_id, event.id)
    t.equal(stored.item_id, item)
    t.equal(stored.value, '12.00')
    t.same(serializeVoucher(stored), res.json(), 'serializeVoucher gives the wire shape')
  })

  t.test('validation errors in pretix shape', async (t) => {
    const before = await countVouchers()
    const res = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { code: 'abc', max_usages: 0, price_mode: 'half', value: 'ten', valid_until: 'tomorrow', block_quota: 'yes', tag: null }
    })
    t.equal(res.statusCode, 400)
    t.same(res.json(), {
      code: ['Ensure this field has at least 5 characters.'],
      max_usages: ['Ensure this value is greater than or equal to 1.'],
      price_mode: ['"half" is not a valid choice.'],
      value: ['This value does not match the required pattern.'],
      valid_until: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'],
      block_quota: ['Must be a valid boolean.'],
      tag: ['This field may not be null.']
    })
    const checks = await h.request(h.token, {
      method: 'POST',
      url,
      payload: { code: '   abcd  ', value: -1, item: foreignItem, variation: 3, quota: 4, subevent: 5, seat: 'abc', min_usages: 3 }
    })
    t.equal(checks.statusCode, 400)
    t.same(checks.json(), {
      code: ['Ensure this field has at least 5 characters.'],
      value: ['Ensure this value is greater than or equal to 0.'],
      item: [`Invalid pk "${foreignItem}" - object does not exist.`],
      variation: ['Invalid pk "3" - object does not exist.'],
      quota: ['Invalid pk "4" - object does not exist.'],
      subevent: ['Invalid pk "5" - object does not exist.'],
      seat: ['Object with seat_guid=abc does not exist.'],
      min_usages: ['The minimum number of usages may not be higher than the maximum number of usages.']
    })
    const hugeItem = await h.request(h.token, { method: 'POST', url, payload: { item: 99999999999, value: 1.234 } })
    t.same(hugeItem.json(), {
      item: ['Invalid pk "99999999999" - object does not exist.'],
      value: ['Ensure that there are no more than 2 decimal places.']
    })
    const yearZero = await h.request(h.token, { method: 'POST', url, payload: { valid_until: '0000-01-01T00:00:00Z' } })
    t.equal(yearZero.statusCode, 400)
    t.ok(yearZero.json().valid_until)
    const nul = await h.request(h.token, { method: 'POST', url, payload: { code: 'NUL\u0000CODE', comment: 'a\u0000b' } })
    t.equal(nul.statusCode, 400)
    t.same(nul.json(), { code: ['Null characters are not allowed.'], comment: ['Null characters are not allowed.'] })
    const list = await h.request(h.token, { method: 'POST', url, payload: [{}] })
    t.equal(list.statusCode, 400)
    t.ok(list.json().non_field_errors, 'a list where one voucher is expected')
    t.equal(await countVouchers(), before, 'nothing stored')
  })

  t.test('codes are unique per event, ignoring case', async (t) => {
    const first = await h.request(h.token, { method: 'POST', url, payload: { code: 'Summer2026' } })
    t.equal(first.statusCode, 201)
    const again = await h.request(h.token, { method: 'POST', url, payload: { code: 'SUMMER2026' } })
    t.equal(again.statusCode, 400)
    t.same(again.json(), { code: ['A voucher with this code already exists.'] })
    const otherEvent = await h.request(h.token, { method: 'POST', url: otherUrl, payload: { code: 'summer2026' } })
    t.equal(otherEvent.statusCode, 201, 'another event may use the same code')

    const second = await h.request(h.token, { method: 'POST', url, payload: { code: 'WINTER2026' } })
    const clash = await h.request(h.token, { method: 'PATCH', url: `${url}${second.json().id}/`, payload: { code: 'summer2026' } })
    t.equal(clash.statusCode, 400)
    t.same(clash.json(), { code: ['A voucher with this code already exists.'] })
    const own = await h.request(h.token, { method: 'PATCH', url: `${url}${first.json().id}/`, payload: { code: 'summer2026' } })
    t.equal(own.statusCode, 200, 'a voucher may change the case of its own code')
    t.equal(own.json().code, 'summer2026')

    const filtered = await h.request(h.token, { method: 'GET', url: url + '?code=SUMMER2026' })
    t.same(filtered.json().results.map((v: { id: number }) => v.id), [first.json().id], 'the code filter ignores case')
    const nul = await h.request(h.token, { method: 'GET', url: url + '?code=%00' })
    t.equal(nul.statusCode, 200)
    t.equal(nul.json().count, 0)
  })

  t.test('PUT replaces, PATCH changes only what is sent', async (t) => {
    const patched = await h.request(h.token, { method: 'PATCH', url: `${url}${full}/`, payload: { comment: 'changed', value: null, redeemed: 7 } })
    t.equal(patched.statusCode, 200)
    t.match(patched.json(), { code: '43K6LKM37FBVR2YG', max_usages: 3, min_usages: 2, price_mode: 'set', value: null, item, tag: 'testvoucher', comment: 'changed', redeemed: 0, all_addons_included: true })

    const noCode = await h.request(h.token, { method: 'PUT', url: `${url}${full}/`, payload: { max_usages: 5 } })
    t.equal(noCode.statusCode, 400)
    t.same(noCode.json(), { code: ['This field is required.'] })

    const put = await h.request(h.token, { method: 'PUT', url: `${url}${full}/`, payload: { code: '43K6LKM37FBVR2YG', max_usages: 5, tag: 'press' } })
    t.equal(put.statusCode, 200)
    t.same(put.json(), { ...defaults, id: full, code: '43K6LKM37FBVR2YG', max_usages: 5, tag: 'press' }, 'fields not sent are reset to their defaults')
    const stored = await h.db.selectFrom('vouchers').selectAll().where('id', '=', full).executeTakeFirstOrThrow()
    t.equal(stored.item_id, null)
    t.equal(stored.comment, '')

    const foreign = await h.request(h.token, { method: 'PATCH', url: `${url}${full}/`, payload: { item: foreignItem } })
    t.equal(foreign.statusCode, 400)
    t.same(foreign.json(), { item: [`Invalid pk "${foreignItem}" - object does not exist.`] })
    t.equal((await h.request(h.token, { method: 'PATCH', url: `${url}${full}/`, payload: { item } })).json().item, item)
  })

  t.test('redeemed vouchers: max_usages floor and no delete', async (t) => {
    const voucher = (await h.request(h.token, { method: 'POST', url, payload: { max_usages: 3 } })).json()
    await h.db.updateTable('vouchers').set({ redeemed: 2 }).where('id', '=', voucher.id).execute()
    const below = await h.request(h.token, { method: 'PATCH', url: `${url}${voucher.id}/`, payload: { max_usages: 1 } })
    t.equal(below.statusCode, 400)
    t.same(below.json(), { max_usages: ['This voucher has already been redeemed 2 times. You cannot reduce the maximum number of usages below this number.'] })
    const put = await h.request(h.token, { method: 'PUT', url: `${url}${voucher.id}/`, payload: { code: voucher.code } })
    t.equal(put.statusCode, 400, 'a PUT resetting max_usages to 1 is checked too')
    t.ok(put.json().max_usages)
    const equal = await h.request(h.token, { method: 'PATCH', url: `${url}${voucher.id}/`, payload: { max_usages: 2 } })
    t.equal(equal.statusCode, 200)
    t.equal(equal.json().redeemed, 2)

    const del = await h.request(h.token, { method: 'DELETE', url: `${url}${voucher.id}/` })
    t.equal(del.statusCode, 400)
    t.same(del.json(), { detail: 'This voucher can not be deleted as it has already been used.' })
    t.ok(await h.db.selectFrom('vouchers').select('id').where('id', '=', voucher.id).executeTakeFirst(), 'still stored')
  })

  t.test('delete', async (t) => {
    const voucher = (await h.request(h.token, { method: 'POST', url, payload: {} })).json()
    const res = await h.request(h.token, { method: 'DELETE', url: `${url}${voucher.id}/` })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${voucher.id}/` })).statusCode, 404)
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${voucher.id}/` })).statusCode, 404)

    // A voucher an order position refers to stays, even once its redemption was freed (pretix's allow_delete).
    const used = (await h.request(h.token, { method: 'POST', url, payload: { item } })).json()
    const order = await h.db.insertInto('orders').values({ event_id: event.id, code: 'VOUC1', status: 'c', total: '0.00' }).returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('order_positions').values({
      order_id: order.id, event_id: event.id, positionid: 1, item_id: item, price: '0.00', secret: 'voucher-secret', pseudonymization_id: 'VOUCHER001', voucher_id: used.id
    }).execute()
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${used.id}/` })).statusCode, 400)
  })

  t.test('batch_create', async (t) => {
    const ok = await h.request(h.token, {
      method: 'POST',
      url: batchUrl,
      payload: [{ code: 'BATCH-0001', item }, { tag: 'batch' }, { code: 'batch-0003', price_mode: 'percent', value: '10.00' }]
    })
    t.equal(ok.statusCode, 201)
    const created = ok.json()
    t.equal(created.length, 3)
    t.same(created.map((v: { code: string }) => v.code).filter((c: string) => c.startsWith('BATCH') || c.startsWith('batch')), ['BATCH-0001', 'batch-0003'])
    t.same(created[0], { ...defaults, id: created[0].id, code: 'BATCH-0001', item })
    t.same(created[1], { ...defaults, id: created[1].id, code: created[1].code, tag: 'batch' })
    t.same(created[2], { ...defaults, id: created[2].id, code: 'batch-0003', price_mode: 'percent', value: '10.00' })
    t.ok(created[0].id < created[1].id && created[1].id < created[2].id, 'created in input order')

    const before = await countVouchers()
    const bad = await h.request(h.token, {
      method: 'POST',
      url: batchUrl,
      payload: [
        { code: 'GOOD-00001' },
        { code: 'batch-0001' },
        { item: foreignItem },
        { code: 'dup-code-1' },
        { code: 'DUP-CODE-1' },
        { max_usages: 2 }
      ]
    })
    t.equal(bad.statusCode, 400)
    t.same(bad.json(), [
      {},
      { code: ['A voucher with this code already exists.'] },
      { item: [`Invalid pk "${foreignItem}" - object does not exist.`] },
      {},
      { code: ['Duplicate voucher code in request.'] },
      {}
    ])
    t.equal(await countVouchers(), before, 'all or nothing')

    const schema = await h.request(h.token, {
      method: 'POST',
      url: batchUrl,
      payload: [{}, { code: 'abc', price_mode: 'free' }, {}, { max_usages: 'two' }]
    })
    t.equal(schema.statusCode, 400)
    t.same(schema.json(), [
      {},
      { code: ['Ensure this field has at least 5 characters.'], price_mode: ['"free" is not a valid choice.'] },
      {},
      { max_usages: ['A valid integer is required.'] }
    ], 'schema errors as a list in input order')

    const scalar = await h.request(h.token, { method: 'POST', url: batchUrl, payload: [1, { code: 'abc' }] })
    t.equal(scalar.statusCode, 400)
    t.equal(scalar.json().length, 2)
    t.same(scalar.json()[1], { code: ['Ensure this field has at least 5 characters.'] })
    t.same(scalar.json()[0], { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] }, 'a non-object entry has its own error object')
    const notList = await h.request(h.token, { method: 'POST', url: batchUrl, payload: { code: 'ABCDEFG' } })
    t.equal(notList.statusCode, 400)
    t.same(notList.json(), { non_field_errors: ['Expected a list of items but got type "dict".'] })

    const tooMany = await h.request(h.token, { method: 'POST', url: batchUrl, payload: Array.from({ length: 10_001 }, () => ({})) })
    t.equal(tooMany.statusCode, 400)
    t.same(tooMany.json(), { non_field_errors: ['Ensure this field has no more than 10000 elements.'] })

    const empty = await h.request(h.token, { method: 'POST', url: batchUrl, payload: [] })
    t.equal(empty.statusCode, 201)
    t.same(empty.json(), [])
    t.equal(await countVouchers(), before)
  })

  t.test('batch_create of the largest batch', async (t) => {
    const started = Date.now()
    const res = await h.request(h.token, {
      method: 'POST',
      url: otherUrl + 'batch_create/',
      payload: Array.from({ length: 10_000 }, (_, i) => i % 2 === 0 ? { code: `BULK-${String(i).padStart(5, '0')}`, tag: 'bulk' } : { tag: 'bulk' })
    })
    t.comment(`10,000 vouchers in ${Date.now() - started} ms`)
    t.equal(res.statusCode, 201)
    const created = res.json()
    t.equal(created.length, 10_000)
    t.equal(created[9998].code, 'BULK-09998', 'in input order across insert chunks')
    t.equal(new Set(created.map((v: { code: string }) => v.code.toUpperCase())).size, 10_000)
    const listed = await h.request(h.token, { method: 'GET', url: otherUrl + '?tag=bulk' })
    t.equal(listed.json().count, 10_000, 'the tag filter')
  })

  t.test('concurrent creates of one code: one wins, the others get a field error', async (t) => {
    const results = await Promise.all(Array.from({ length: 6 }, async () =>
      await h.request(h.token, { method: 'POST', url, payload: { code: 'RACE-CODE-1' } })))
    t.same(results.map((r) => r.statusCode).sort(), [201, 400, 400, 400, 400, 400])
    for (const r of results.filter((r) => r.statusCode === 400)) t.same(r.json(), { code: ['A voucher with this code already exists.'] })
    const batches = await Promise.all(Array.from({ length: 4 }, async (_, i) =>
      await h.request(h.token, { method: 'POST', url: batchUrl, payload: [{ tag: `race-${i}` }, { code: 'RACE-BATCH-1' }] })))
    t.same(batches.map((r) => r.statusCode).sort(), [201, 400, 400, 400])
    for (const r of batches.filter((r) => r.statusCode === 400)) t.same(r.json(), [{}, { code: ['A voucher with this code already exists.'] }])
    const stored = await h.db.selectFrom('vouchers').select('id').where('tag', 'like', 'race-%').execute()
    t.equal(stored.length, 1, 'losing batches stored nothing')
  })

  t.test('pagination', async (t) => {
    const total = await h.db.selectFrom('vouchers').select((eb) => eb.fn.countAll<number>().as('n')).where('event_id', '=', event.id).executeTakeFirstOrThrow()
    const missing = 55 - Number(total.n)
    await h.request(h.token, { method: 'POST', url: batchUrl, payload: Array.from({ length: missing }, () => ({ tag: 'page' })) })
    const first = await h.request(h.token, { method: 'GET', url: url + '?page_size=100', headers: { host: 'admin.example.org' } })
    const body = first.json()
    t.equal(body.count, 55)
    t.equal(body.results.length, 50, 'page_size is capped at 50')
    t.equal(body.previous, null)
    t.equal(body.next, 'http://admin.example.org/api/v1/organizers/demo/events/sampleconf/vouchers/?page_size=100&page=2')
    const ids = body.results.map((v: { id: number }) => v.id)
    t.same(ids, [...ids].sort((a: number, b: number) => a - b), 'ordered by id')
    const second = (await h.request(h.token, { method: 'GET', url: url + '?page=2' })).json()
    t.equal(second.results.length, 5)
    t.equal(second.next, null)
    t.match(second.previous, /\/api\/v1\/organizers\/demo\/events\/sampleconf\/vouchers\/$/)
    const past = await h.request(h.token, { method: 'GET', url: url + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    const tagged = (await h.request(h.token, { method: 'GET', url: url + '?tag=page&page_size=10' })).json()
    t.equal(tagged.count, missing)
    t.ok(tagged.results.every((v: { tag: string }) => v.tag === 'page'))
  })

  t.test('idempotency keys replay the stored response', async (t) => {
    const headers = { 'x-idempotency-key': 'voucher-1' }
    const before = await countVouchers()
    const first = await h.request(h.token, { method: 'POST', url, payload: { tag: 'once' }, headers })
    const again = await h.request(h.token, { method: 'POST', url, payload: { tag: 'once' }, headers })
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json(), 'the same generated code, not a second voucher')
    t.equal(await countVouchers(), before + 1, 'acted once')

    const batchHeaders = { 'x-idempotency-key': 'voucher-batch-1' }
    const batch = await h.request(h.token, { method: 'POST', url: batchUrl, payload: [{ tag: 'twice' }, { tag: 'twice' }], headers: batchHeaders })
    const batchAgain = await h.request(h.token, { method: 'POST', url: batchUrl, payload: [{ tag: 'twice' }, { tag: 'twice' }], headers: batchHeaders })
    t.equal(batchAgain.statusCode, 201)
    t.same(batchAgain.json(), batch.json())
    t.equal(await countVouchers(), before + 3)
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
    for (const path of [url, '/api/v1/organizers/other/events/sampleconf/vouchers/', '/api/v1/organizers/demo/events/nope/vouchers/']) {
      const res = await h.request(path.includes('nope') ? h.token : foreign, { method: 'GET', url: path })
      t.equal(res.statusCode, 403, path)
      t.same(res.json(), forbidden)
    }
    const limited = await h.tokenFor({ allEvents: false, eventIds: [] })
    t.equal((await h.request(limited, { method: 'GET', url })).statusCode, 403)

    // Which flag each route needs: permissions.test.ts.
    const viewer = await h.tokenFor({ permissions: ['can_view_vouchers'] })
    t.equal((await h.request(viewer, { method: 'GET', url })).statusCode, 200)
    t.equal((await h.request(viewer, { method: 'GET', url: `${url}${full}/` })).statusCode, 200)
    const changer = await h.tokenFor({ permissions: ['can_change_vouchers'] })
    t.equal((await h.request(changer, { method: 'PATCH', url: `${url}${full}/`, payload: { tag: 'changed' } })).statusCode, 200)

    const otherVoucher = (await h.request(h.token, { method: 'POST', url: otherUrl, payload: {} })).json().id
    for (const path of [`${url}999999/`, `${url}abc/`, `${url}99999999999/`, `${url}${otherVoucher}/`]) {
      const res = await h.request(h.token, { method: 'GET', url: path })
      t.equal(res.statusCode, 404, path)
      t.same(res.json(), { detail: 'Not found.' })
    }
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await h.request(h.token, { method, url: `${url}999999/`, payload: method === 'DELETE' ? undefined : { code: 'NOTHERE1' } })
      t.equal(res.statusCode, 404, method)
    }
  })
})

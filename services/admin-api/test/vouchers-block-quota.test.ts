import t from 'tap'
import { harness } from './helper.js'

const BLOCKS_NOTHING = { non_field_errors: ['You need to select a specific product or quota if this voucher should reserve tickets.'] }

// pretix refuses a voucher that reserves quota without naming what it reserves; with no quotas
// here, that is an item.
t.test('a voucher blocking quota must name an item', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/vouchers/'
  const item = (await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/sampleconf/items/', payload: { name: { en: 'Ticket' } } })).json().id as number
  const count = async () => Number((await h.db.selectFrom('vouchers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  const stored = async (id: number) => await h.db.selectFrom('vouchers').select(['block_quota', 'item_id', 'comment']).where('id', '=', id).executeTakeFirstOrThrow()

  t.test('create', async (t) => {
    const res = await h.request(h.token, { method: 'POST', url, payload: { block_quota: true, tag: 'x' } })
    t.equal(res.statusCode, 400)
    t.same(res.json(), BLOCKS_NOTHING)
    const nulled = await h.request(h.token, { method: 'POST', url, payload: { block_quota: true, item: null, quota: null } })
    t.equal(nulled.statusCode, 400)
    t.same(nulled.json(), BLOCKS_NOTHING)
    t.equal(await count(), 0, 'nothing stored')

    // Field errors come first; the voucher as a whole is judged once its fields are valid.
    const field = await h.request(h.token, { method: 'POST', url, payload: { block_quota: true, code: '  abcd ' } })
    t.equal(field.statusCode, 400)
    t.same(field.json(), { code: ['Ensure this field has at least 5 characters.'] })

    const ok = await h.request(h.token, { method: 'POST', url, payload: { block_quota: true, item } })
    t.equal(ok.statusCode, 201)
    t.match(ok.json(), { block_quota: true, item })
    const free = await h.request(h.token, { method: 'POST', url, payload: { block_quota: false } })
    t.equal(free.statusCode, 201, 'not blocking quota, no item needed')
  })

  t.test('PATCH and PUT judge the voucher as it would be after the change', async (t) => {
    const blocking = (await h.request(h.token, { method: 'POST', url, payload: { block_quota: true, item, comment: 'kept' } })).json().id as number
    const dropItem = await h.request(h.token, { method: 'PATCH', url: `${url}${blocking}/`, payload: { item: null } })
    t.equal(dropItem.statusCode, 400)
    t.same(dropItem.json(), BLOCKS_NOTHING)
    t.same(await stored(blocking), { block_quota: true, item_id: item, comment: 'kept' }, 'unchanged')
    const other = await h.request(h.token, { method: 'PATCH', url: `${url}${blocking}/`, payload: { comment: 'changed' } })
    t.equal(other.statusCode, 200, 'a change that keeps the item is fine')
    const both = await h.request(h.token, { method: 'PATCH', url: `${url}${blocking}/`, payload: { item: null, block_quota: false } })
    t.equal(both.statusCode, 200)
    t.match(both.json(), { block_quota: false, item: null })

    const plain = (await h.request(h.token, { method: 'POST', url, payload: {} })).json()
    const start = await h.request(h.token, { method: 'PATCH', url: `${url}${plain.id}/`, payload: { block_quota: true } })
    t.equal(start.statusCode, 400)
    t.same(start.json(), BLOCKS_NOTHING)
    t.same(await stored(plain.id), { block_quota: false, item_id: null, comment: '' })
    const withItem = await h.request(h.token, { method: 'PATCH', url: `${url}${plain.id}/`, payload: { block_quota: true, item } })
    t.equal(withItem.statusCode, 200)

    // PUT resets the item it does not send.
    const put = await h.request(h.token, { method: 'PUT', url: `${url}${plain.id}/`, payload: { code: plain.code, block_quota: true } })
    t.equal(put.statusCode, 400)
    t.same(put.json(), BLOCKS_NOTHING)
    const putItem = await h.request(h.token, { method: 'PUT', url: `${url}${plain.id}/`, payload: { code: plain.code, block_quota: true, item } })
    t.equal(putItem.statusCode, 200)
  })

  t.test('batch_create answers a list in input order and stores nothing', async (t) => {
    const before = await count()
    const res = await h.request(h.token, {
      method: 'POST',
      url: url + 'batch_create/',
      payload: [{}, { block_quota: true }, { block_quota: true, item }, { block_quota: true, code: ' abc ' }, { block_quota: true, tag: 'b' }]
    })
    t.equal(res.statusCode, 400)
    t.same(res.json(), [{}, BLOCKS_NOTHING, {}, { code: ['Ensure this field has at least 5 characters.'] }, BLOCKS_NOTHING])
    t.equal(await count(), before)
  })
})

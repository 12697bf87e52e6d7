import t from 'tap'
import { sql } from 'kysely'
import { harness } from './helper.js'

t.test('exhibitor vouchers', async (t) => {
  const h = await harness(t)
  await h.createEvent('conf')
  await h.createEvent('other')
  const eventId = async (slug: string) => (await h.db.selectFrom('events').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  const confId = await eventId('conf')
  const otherId = await eventId('other')
  const url = '/api/v1/organizers/demo/events/conf/exhibitors/'
  const exhibitor = async (name: string) => (await h.request(h.token, { method: 'POST', url, payload: { name } })).json().id as number
  const voucher = async (code: string, event = confId) =>
    (await h.db.insertInto('vouchers').values({ event_id: event, code }).returning('id').executeTakeFirstOrThrow()).id
  const links = async () => await h.db.selectFrom('exhibitor_vouchers').select(['voucher_id', 'exhibitor_id', 'exhibitor_comment']).orderBy('voucher_id').execute()
  const attach = async (ex: number, payload: unknown) =>
    await h.request(h.token, { method: 'POST', url: `${url}${ex}/vouchers/attach/`, payload: payload as object })
  const bulk = async (ex: number, payload: unknown) =>
    await h.request(h.token, { method: 'POST', url: `${url}${ex}/vouchers/bulk_attach/`, payload: payload as object })

  const a = await exhibitor('A')
  const b = await exhibitor('B')
  const v1 = await voucher('VOUCHER-ONE')
  const v2 = await voucher('VOUCHER-TWO')
  const foreign = await voucher('FOREIGN-ONE', otherId)

  t.test('attach, re-attach, move', async (t) => {
    const res = await attach(a, { id: v1 })
    t.equal(res.statusCode, 200)
    t.same(res.json(), {})
    t.same(await links(), [{ voucher_id: v1, exhibitor_id: a, exhibitor_comment: '' }], 'comment defaults to ""')

    t.same((await attach(a, { code: 'voucher-one', exhibitor_comment: 'VIP' })).json(), {}, 'codes ignore case')
    t.same(await links(), [{ voucher_id: v1, exhibitor_id: a, exhibitor_comment: 'VIP' }], 'attaching again updates the comment')

    t.equal((await attach(b, { id: v1, exhibitor_comment: 'Moved' })).statusCode, 200)
    t.same(await links(), [{ voucher_id: v1, exhibitor_id: b, exhibitor_comment: 'Moved' }], 'attaching to another exhibitor moves it')

    t.equal((await attach(a, { code: 'VOUCHER-TWO', exhibitor_comment: null })).statusCode, 200)
    const listA = (await h.request(h.token, { method: 'GET', url: `${url}${a}/vouchers/` })).json()
    t.same(listA.results.map((v: any) => [v.id, v.exhibitor_comment]), [[v2, '']])
    const listB = (await h.request(h.token, { method: 'GET', url: `${url}${b}/vouchers/` })).json()
    t.same(listB.results.map((v: any) => [v.id, v.code, v.exhibitor_comment]), [[v1, 'VOUCHER-ONE', 'Moved']])
  })

  t.test('attach errors', async (t) => {
    const before = await links()
    const neither = await attach(a, { exhibitor_comment: 'x' })
    t.equal(neither.statusCode, 400)
    t.ok(neither.json().non_field_errors)
    const both = await attach(a, { id: v1, code: 'VOUCHER-ONE' })
    t.equal(both.statusCode, 400)
    t.ok(both.json().non_field_errors)
    const missingId = await attach(a, { id: 999999 })
    t.equal(missingId.statusCode, 400)
    t.same(missingId.json(), { id: ['Invalid pk "999999" - object does not exist.'] })
    const missingCode = await attach(a, { code: 'NOPE-NOPE' })
    t.equal(missingCode.statusCode, 400)
    t.same(missingCode.json(), { code: ['Object with code=NOPE-NOPE does not exist.'] })
    t.equal((await attach(a, { id: foreign })).statusCode, 400, 'a voucher of another event, by id')
    t.equal((await attach(a, { code: 'FOREIGN-ONE' })).statusCode, 400, 'and by code')
    const badType = await attach(a, { id: 'one' })
    t.equal(badType.statusCode, 400)
    t.ok(badType.json().id)
    const huge = await attach(a, { id: 99999999999 })
    t.equal(huge.statusCode, 400)
    const list = await h.request(h.token, { method: 'POST', url: `${url}${a}/vouchers/attach/`, payload: '[]', headers: { 'content-type': 'application/json' } })
    t.equal(list.statusCode, 400)
    t.same(await links(), before, 'nothing changed')
  })

  t.test('bulk_attach', async (t) => {
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push(await voucher(`BULK-${i}`))
    const c = await exhibitor('C')

    const byId = await bulk(c, [{ id: ids[0], exhibitor_comment: 'zero' }, { id: ids[1] }, { id: ids[0], exhibitor_comment: 'last wins' }])
    t.equal(byId.statusCode, 200)
    t.same(byId.json(), {})
    const byCode = await bulk(c, [{ code: 'bulk-2' }, { code: 'BULK-3', exhibitor_comment: 'three' }])
    t.equal(byCode.statusCode, 200)
    const current = (await links()).filter((l) => l.exhibitor_id === c)
    t.same(current, [
      { voucher_id: ids[0], exhibitor_id: c, exhibitor_comment: 'last wins' },
      { voucher_id: ids[1], exhibitor_id: c, exhibitor_comment: '' },
      { voucher_id: ids[2], exhibitor_id: c, exhibitor_comment: '' },
      { voucher_id: ids[3], exhibitor_id: c, exhibitor_comment: 'three' }
    ])

    const before = await links()
    const mixed = await bulk(c, [{ id: ids[4] }, { code: 'BULK-0' }, { id: ids[4] }])
    t.equal(mixed.statusCode, 400)
    t.equal(mixed.json().length, 3, 'errors as a list in input order')
    t.same(mixed.json()[0], {})
    t.ok(mixed.json()[1].non_field_errors)
    t.same(mixed.json()[2], {})

    const keyErrors = await bulk(c, [{ id: ids[4] }, {}, { id: ids[4], code: 'BULK-4' }])
    t.same(keyErrors.json().map((e: object) => Object.keys(e)), [[], ['non_field_errors'], ['non_field_errors']])

    const unknown = await bulk(c, [{ id: ids[4] }, { id: 999999 }, { id: foreign }, { id: v1, exhibitor_comment: 'x' }])
    t.equal(unknown.statusCode, 400)
    t.same(unknown.json(), [
      {},
      { id: ['Invalid pk "999999" - object does not exist.'] },
      { id: [`Invalid pk "${foreign}" - object does not exist.`] },
      {}
    ])
    const unknownCode = await bulk(c, [{ code: 'NOPE-1' }, { code: 'BULK-4' }])
    t.same(unknownCode.json(), [{ code: ['Object with code=NOPE-1 does not exist.'] }, {}])

    const invalid = await bulk(c, [{ id: ids[4] }, { id: 'x' }, { code: 5 }])
    t.equal(invalid.statusCode, 400)
    t.same(invalid.json()[0], {})
    t.ok(invalid.json()[1].id)
    t.ok(invalid.json()[2].code)
    t.same(await links(), before, 'all or nothing: no entry of a rejected list is stored')

    t.equal((await bulk(c, { id: ids[4] })).statusCode, 400, 'the body must be a list')
    const empty = await bulk(c, [])
    t.equal(empty.statusCode, 200)
    const tooMany = await bulk(c, Array.from({ length: 10001 }, () => ({ id: ids[4] })))
    t.equal(tooMany.statusCode, 400)
    t.match(tooMany.json().non_field_errors[0], /10000/)
  })

  t.test('10,000 vouchers in one bulk_attach, then moved', async (t) => {
    await sql`
      insert into vouchers (event_id, code)
      select ${confId}, 'MASS-' || lpad(n::text, 5, '0') from generate_series(1, 10000) as n
    `.execute(h.db)
    const d = await exhibitor('D')
    const e = await exhibitor('E')
    const entries = Array.from({ length: 10000 }, (_, i) => ({ code: `MASS-${String(i + 1).padStart(5, '0')}`, exhibitor_comment: `#${i}` }))
    let started = Date.now()
    const res = await bulk(d, entries)
    t.comment(`bulk_attach of 10,000 by code: ${Date.now() - started} ms`)
    t.equal(res.statusCode, 200)
    const count = async (ex: number) => Number((await h.db.selectFrom('exhibitor_vouchers').select((eb) => eb.fn.countAll().as('n')).where('exhibitor_id', '=', ex).executeTakeFirstOrThrow()).n)
    t.equal(await count(d), 10000)

    const massIds = await h.db.selectFrom('vouchers').select('id').where('code', 'like', 'MASS-%').orderBy('id').execute()
    started = Date.now()
    const moved = await bulk(e, massIds.map((v) => ({ id: v.id })))
    t.comment(`bulk_attach of 10,000 by id (moving them): ${Date.now() - started} ms`)
    t.equal(moved.statusCode, 200)
    t.equal(await count(d), 0)
    t.equal(await count(e), 10000)

    const withOneBad = [...entries.slice(0, 9999), { code: 'MISSING-VOUCHER' }]
    const rejected = await bulk(d, withOneBad)
    t.equal(rejected.statusCode, 400)
    t.equal(rejected.json().length, 10000)
    t.same(rejected.json()[9999], { code: ['Object with code=MISSING-VOUCHER does not exist.'] })
    t.equal(await count(d), 0, 'nothing moved')
  })

  t.test('vouchers list: full resource, pagination by voucher id', async (t) => {
    const f = await exhibitor('F')
    const ids: number[] = []
    for (let i = 0; i < 55; i++) ids.push(await voucher(`LIST-${String(i).padStart(2, '0')}`))
    // Attached in reverse: the list still goes by voucher id.
    await bulk(f, [...ids].reverse().map((id) => ({ id, exhibitor_comment: `c${id}` })))
    const first = (await h.request(h.token, { method: 'GET', url: `${url}${f}/vouchers/` })).json()
    t.equal(first.count, 55)
    t.equal(first.results.length, 50)
    t.match(first.next, /vouchers\/\?page=2$/)
    const second = (await h.request(h.token, { method: 'GET', url: `${url}${f}/vouchers/?page=2` })).json()
    t.equal(second.results.length, 5)
    t.same([...first.results, ...second.results].map((v: any) => v.id), ids)
    t.same(Object.keys(first.results[0]).sort(), [
      'all_addons_included', 'all_bundles_included', 'allow_ignore_quota', 'block_quota', 'code', 'comment', 'exhibitor_comment',
      'id', 'item', 'max_usages', 'min_usages', 'price_mode', 'quota', 'redeemed', 'seat', 'show_hidden_items', 'subevent',
      'tag', 'valid_until', 'value', 'variation'
    ])
    t.equal(first.results[0].exhibitor_comment, `c${ids[0]}`)
    const past = await h.request(h.token, { method: 'GET', url: `${url}${f}/vouchers/?page=3` })
    t.equal(past.statusCode, 404)
  })
})

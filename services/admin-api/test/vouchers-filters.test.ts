import t, { type Test } from 'tap'
import { harness } from './helper.js'

// The voucher list's filters and ordering, as pretix's voucher filter set reads them.
t.test('voucher list filters', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  await h.createEvent('otherconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/vouchers/'
  const itemUrl = (event: string) => `/api/v1/organizers/demo/events/${event}/items/`
  const newItem = async (event: string) => (await h.request(h.token, { method: 'POST', url: itemUrl(event), payload: { name: { en: 'Ticket' } } })).json().id as number
  const itemA = await newItem('sampleconf')
  const itemB = await newItem('sampleconf')
  const foreignItem = await newItem('otherconf')

  const create = async (payload: Record<string, unknown>, redeemed = 0) => {
    const res = await h.request(h.token, { method: 'POST', url, payload })
    t.equal(res.statusCode, 201, `created ${String(payload.code)}`)
    const id = res.json().id as number
    if (redeemed > 0) await h.db.updateTable('vouchers').set({ redeemed }).where('id', '=', id).execute()
    return id
  }
  const v1 = await create({ code: 'ALPHA-0001', max_usages: 3, item: itemA, block_quota: true, price_mode: 'set', value: '12.00', tag: 'press', valid_until: '2099-01-01T00:00:00Z' })
  // Expired.
  const v2 = await create({ code: 'BRAVO-0002', allow_ignore_quota: true, price_mode: 'percent', value: '10', valid_until: '2020-01-01T00:00:00Z' })
  // Used up.
  const v3 = await create({ code: 'CHARLIE-03', max_usages: 2, item: itemB, tag: 'press' }, 2)
  // Used, not up.
  const v4 = await create({ code: 'DELTA-0004', max_usages: 2 }, 1)
  const v5 = await create({ code: 'echo-00005', price_mode: 'subtract', value: 12 })
  const all = [v1, v2, v3, v4, v5]

  const list = async (query: string) => {
    const res = await h.request(h.token, { method: 'GET', url: `${url}?${query}` })
    return { status: res.statusCode, body: res.json(), ids: res.statusCode === 200 ? res.json().results.map((v: { id: number }) => v.id) : undefined }
  }
  const expectIds = async (t: Test, query: string, ids: number[]) => {
    const res = await list(query)
    t.equal(res.status, 200, query)
    t.same(res.ids, ids, query)
    t.equal(res.body.count, ids.length, `${query}: count`)
  }

  t.test('numbers: max_usages, redeemed, value', async (t) => {
    await expectIds(t, 'max_usages=2', [v3, v4])
    await expectIds(t, 'max_usages=2.0', [v3, v4])
    await expectIds(t, 'max_usages=2.5', [])
    await expectIds(t, 'max_usages=%202%20', [v3, v4])
    await expectIds(t, 'redeemed=2', [v3])
    await expectIds(t, 'redeemed=0', [v1, v2, v5])
    await expectIds(t, 'value=12', [v1, v5])
    await expectIds(t, 'value=12.00', [v1, v5])
    await expectIds(t, 'value=1.2e1', [v1, v5])
    await expectIds(t, 'value=10', [v2])
    await expectIds(t, 'value=1e5000', [])
    await expectIds(t, 'max_usages=99999999999999999999', [])
  })

  t.test('booleans: true/false and 1/0 in any case; anything else filters nothing', async (t) => {
    await expectIds(t, 'block_quota=true', [v1])
    await expectIds(t, 'block_quota=True', [v1])
    await expectIds(t, 'block_quota=1', [v1])
    await expectIds(t, 'block_quota=false', [v2, v3, v4, v5])
    await expectIds(t, 'block_quota=0', [v2, v3, v4, v5])
    await expectIds(t, 'block_quota=yes', all)
    await expectIds(t, 'allow_ignore_quota=true', [v2])
    await expectIds(t, 'allow_ignore_quota=FALSE', [v1, v3, v4, v5])
  })

  t.test('active: not expired and not used up', async (t) => {
    await expectIds(t, 'active=true', [v1, v4, v5])
    await expectIds(t, 'active=false', [v2, v3])
    await expectIds(t, 'active=maybe', all)
    // A voucher valid until a moment just past is no longer active.
    await h.db.updateTable('vouchers').set({ valid_until: new Date(Date.now() - 1000) }).where('id', '=', v5).execute()
    await expectIds(t, 'active=true', [v1, v4])
    await expectIds(t, 'active=false', [v2, v3, v5])
    await h.db.updateTable('vouchers').set({ valid_until: null }).where('id', '=', v5).execute()
  })

  t.test('price_mode, item, code, tag', async (t) => {
    await expectIds(t, 'price_mode=set', [v1])
    await expectIds(t, 'price_mode=none', [v3, v4])
    await expectIds(t, `item=${itemA}`, [v1])
    await expectIds(t, `item=${itemB}`, [v3])
    await expectIds(t, `item=${foreignItem}`, [])
    await expectIds(t, 'item=99999999999', [])
    await expectIds(t, 'code=alpha-0001', [v1])
    await expectIds(t, 'code=ECHO-00005', [v5])
    await expectIds(t, 'tag=press', [v1, v3])
    await expectIds(t, 'tag=nope', [])
    await expectIds(t, 'tag=press&active=true', [v1])
    await expectIds(t, `tag=press&item=${itemB}&redeemed=2&active=false`, [v3])
  })

  t.test('an empty value filters nothing', async (t) => {
    await expectIds(t, 'code=&tag=&max_usages=&redeemed=&block_quota=&price_mode=&value=&item=&quota=&active=&ordering=', all)
  })

  t.test('variation, quota and subevent: none exists here, so no voucher has one', async (t) => {
    await expectIds(t, 'quota=1', [])
    await expectIds(t, 'variation=1', [])
    await expectIds(t, 'subevent=1', [])
  })

  t.test('a value of the wrong kind is a 400 field error, all of them at once', async (t) => {
    const res = await list('max_usages=two&redeemed=1x&value=ten&price_mode=half&item=abc&quota=q&variation=-1&subevent=1.5&active=true')
    t.equal(res.status, 400)
    t.same(res.body, {
      max_usages: ['Enter a number.'],
      redeemed: ['Enter a number.'],
      value: ['Enter a number.'],
      price_mode: ['Select a valid choice. half is not one of the available choices.'],
      item: ['Select a valid choice. That choice is not one of the available choices.'],
      quota: ['Select a valid choice. That choice is not one of the available choices.'],
      variation: ['Select a valid choice. That choice is not one of the available choices.'],
      subevent: ['Select a valid choice. That choice is not one of the available choices.']
    })
    const nul = await list('tag=%00')
    t.equal(nul.status, 200)
    t.equal(nul.body.count, 0, 'a NUL byte matches no stored text')
  })

  t.test('ordering', async (t) => {
    await expectIds(t, 'ordering=-max_usages', [v1, v3, v4, v2, v5])
    await expectIds(t, 'ordering=max_usages', [v2, v5, v3, v4, v1])
    await expectIds(t, 'ordering=value', [v2, v1, v5, v3, v4])
    await expectIds(t, 'ordering=-valid_until', [v3, v4, v5, v1, v2])
    await expectIds(t, 'ordering=-id', [v5, v4, v3, v2, v1])
    await expectIds(t, 'ordering=max_usages,-id', [v5, v2, v4, v3, v1])
    await expectIds(t, 'ordering=bogus', all)
    await expectIds(t, 'ordering=bogus,-max_usages', [v1, v3, v4, v2, v5])
    await expectIds(t, 'ordering=-max_usages&active=true', [v1, v4, v5])
  })

  t.test('pages keep the filters', async (t) => {
    const res = await h.request(h.token, { method: 'GET', url: `${url}?active=true&page_size=2`, headers: { host: 'admin.example.org' } })
    t.equal(res.json().count, 3)
    t.same(res.json().results.map((v: { id: number }) => v.id), [v1, v4])
    t.equal(res.json().next, 'http://admin.example.org/api/v1/organizers/demo/events/sampleconf/vouchers/?active=true&page_size=2&page=2')
    const second = await list('active=true&page_size=2&page=2')
    t.same(second.ids, [v5])
    t.equal(second.body.count, 3)
  })
})

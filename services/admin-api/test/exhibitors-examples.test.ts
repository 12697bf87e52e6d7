import t from 'tap'
import { sql } from 'kysely'
import { queries } from '@showfloor/db'
import { harness } from './helper.js'

// Every example request of the REST API part of exhibitors-api.rst, sent as written (organizer
// bigevents, event sampleconf, exhibitor 1), answered with the example response. Generated access
// codes are the only values compared by shape; the lead's `data` label follows the contract
// ("Name"), which wins over the document's "Attendee name".

const CODE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/
const headers = { host: 'pretix.eu', accept: 'application/json, text/javascript' }
const base = '/api/v1/organizers/bigevents/events/sampleconf/exhibitors/'

const exhibitorExample = {
  id: 1,
  name: 'Aperture Science',
  internal_id: null as string | null,
  contact_name: 'Dr Cave Johnson',
  contact_name_parts: {
    _scheme: 'salutation_title_given_family',
    family_name: 'Johnson',
    given_name: 'Cave',
    salutation: '',
    title: 'Dr'
  },
  contact_email: 'johnson@as.example.org',
  contact_cc_email: 'miller@as.example.org,smith@as.example.org',
  booth: 'A2',
  locale: 'de',
  access_code: 'VKHZ2FU84',
  lead_scanning_access_code: 'WVK2B8PZ',
  lead_scanning_scope_by_device: false,
  allow_lead_scanning: true,
  allow_lead_access: true,
  allow_voucher_access: true,
  comment: '',
  exhibitor_tags: [] as string[]
}

function withCodesOf (expected: typeof exhibitorExample, actual: Record<string, unknown>) {
  return { ...expected, access_code: actual.access_code, lead_scanning_access_code: actual.lead_scanning_access_code }
}

t.test('the document\'s examples', async (t) => {
  const h = await harness(t)
  const organizer = await queries.organizers.createOrganizer(h.db, 'bigevents', 'Big Events')
  const token = await h.tokenFor({ organizerId: organizer.id })
  const event = await h.request(token, {
    method: 'POST',
    url: '/api/v1/organizers/bigevents/events/',
    payload: { name: { en: 'Sample conference', de: 'Beispielkonferenz' }, slug: 'sampleconf', date_from: '2017-12-27T10:00:00Z' }
  })
  t.equal(event.statusCode, 201)
  const eventId = (await h.db.selectFrom('events').select('id').where('slug', '=', 'sampleconf').executeTakeFirstOrThrow()).id
  await h.db.insertInto('exhibitor_tags').values({ event_id: eventId, name: 'Gold Sponsor' }).execute()
  const send = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    await h.request(token, { method, url, headers, ...(payload !== undefined && { payload: payload as object }) })

  let created: Record<string, any> = {}

  t.test('POST exhibitors/', async (t) => {
    const res = await send('POST', base, {
      name: 'Aperture Science',
      internal_id: null,
      contact_name_parts: {
        _scheme: 'salutation_title_given_family',
        family_name: 'Johnson',
        given_name: 'Cave',
        salutation: '',
        title: 'Dr'
      },
      contact_email: 'johnson@as.example.org',
      contact_cc_email: 'miller@as.example.org,smith@as.example.org',
      booth: 'A2',
      locale: 'de',
      allow_lead_scanning: true,
      allow_lead_access: true,
      allow_voucher_access: true,
      comment: '',
      exhibitor_tags: [
        'Gold Sponsor'
      ]
    })
    t.equal(res.statusCode, 201)
    t.match(res.headers['content-type'], /^application\/json/)
    created = res.json()
    t.same(created, withCodesOf({ ...exhibitorExample, exhibitor_tags: ['Gold Sponsor'] }, created))
    t.match(created.access_code, CODE)
    t.match(created.lead_scanning_access_code, CODE)
    t.not(created.access_code, created.lead_scanning_access_code)
  })

  t.test('GET exhibitors/ and exhibitors/1/', async (t) => {
    // The list and detail examples show the exhibitor without tags.
    await h.request(token, { method: 'PATCH', url: `${base}1/`, payload: { exhibitor_tags: [] } })
    const list = await send('GET', base)
    t.equal(list.statusCode, 200)
    t.same(list.json(), { count: 1, next: null, previous: null, results: [withCodesOf(exhibitorExample, created)] })
    const detail = await send('GET', `${base}1/`)
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), withCodesOf(exhibitorExample, created))
  })

  t.test('PATCH exhibitors/1/', async (t) => {
    await h.request(token, { method: 'PATCH', url: `${base}1/`, payload: { exhibitor_tags: ['Gold Sponsor'] } })
    const res = await send('PATCH', `${base}1/`, { internal_id: 'ABC' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), withCodesOf({ ...exhibitorExample, internal_id: 'ABC', exhibitor_tags: ['Gold Sponsor'] }, created))
  })

  t.test('vouchers: attach by code, list, attach by id, bulk_attach', async (t) => {
    const item = await h.db.insertInto('items').values({ event_id: eventId, name: JSON.stringify({ en: 'Ticket' }), default_price: '23.00' }).returning('id').executeTakeFirstOrThrow()
    t.equal(item.id, 1)
    const voucher = await h.db.insertInto('vouchers').values({
      event_id: eventId, code: '43K6LKM37FBVR2YG', price_mode: 'set', value: '12.00', item_id: item.id, tag: 'testvoucher'
    }).returning('id').executeTakeFirstOrThrow()
    t.equal(voucher.id, 1)
    await h.db.insertInto('vouchers').values({ id: 15, event_id: eventId, code: 'FREETICKET15' }).execute()
    await sql`select setval('vouchers_id_seq', (select max(id) from vouchers))`.execute(h.db)

    const byCode = await send('POST', `${base}1/vouchers/attach/`, { code: '43K6LKM37FBVR2YG', exhibitor_comment: 'Free ticket' })
    t.equal(byCode.statusCode, 200)
    t.same(byCode.json(), {})

    const list = await send('GET', `${base}1/vouchers/`)
    t.equal(list.statusCode, 200)
    const body = list.json()
    t.equal(body.count, 1)
    t.equal(body.next, null)
    t.equal(body.previous, null)
    t.same(body.results[0], {
      id: 1,
      code: '43K6LKM37FBVR2YG',
      max_usages: 1,
      redeemed: 0,
      valid_until: null,
      block_quota: false,
      allow_ignore_quota: false,
      price_mode: 'set',
      value: '12.00',
      item: 1,
      variation: null,
      quota: null,
      tag: 'testvoucher',
      comment: '',
      seat: null,
      subevent: null,
      // The full voucher resource has these too, and the exhibitor's comment is added.
      min_usages: 1,
      show_hidden_items: true,
      all_addons_included: false,
      all_bundles_included: false,
      exhibitor_comment: 'Free ticket'
    })

    const byId = await send('POST', `${base}1/vouchers/attach/`, { id: 15, exhibitor_comment: 'Free ticket' })
    t.equal(byId.statusCode, 200)
    t.same(byId.json(), {})
    const bulk = await send('POST', `${base}1/vouchers/bulk_attach/`, [{ id: 15, exhibitor_comment: 'Free ticket' }])
    t.equal(bulk.statusCode, 200)
    t.same(bulk.json(), {})
    const links = await h.db.selectFrom('exhibitor_vouchers').select(['voucher_id', 'exhibitor_id', 'exhibitor_comment']).orderBy('voucher_id').execute()
    t.same(links, [
      { voucher_id: 1, exhibitor_id: 1, exhibitor_comment: 'Free ticket' },
      { voucher_id: 15, exhibitor_id: 1, exhibitor_comment: 'Free ticket' }
    ])
  })

  t.test('GET exhibitors/1/leads/', async (t) => {
    const order = await h.db.insertInto('orders').values({ event_id: eventId, code: 'T0E7E', total: '23.00' }).returning('id').executeTakeFirstOrThrow()
    const position = await h.db.insertInto('order_positions').values({
      order_id: order.id,
      event_id: eventId,
      positionid: 1,
      item_id: 1,
      price: '23.00',
      attendee_name_parts: JSON.stringify({ _scheme: 'salutation_title_given_family', given_name: 'Peter', family_name: 'Miller' }),
      attendee_name: 'Peter Miller',
      secret: 'examplesecret',
      pseudonymization_id: 'EXAMPLEPSE'
    }).returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('leads').values({
      exhibitor_id: 1,
      position_id: position.id,
      rating: 1,
      notes: '',
      tags: '[]',
      scanned: '2021-07-06T11:03:00+01:00',
      first_upload: '2021-07-06T11:03:31.414491+01:00'
    }).execute()

    const res = await send('GET', `${base}1/leads/`)
    t.equal(res.statusCode, 200)
    const body = res.json()
    const firstUpload = body.results[0]?.first_upload
    t.equal(new Date(firstUpload).getTime(), new Date('2021-07-06T11:03:31.414491+01:00').getTime())
    t.same(body, {
      count: 1,
      next: null,
      previous: null,
      results: [
        {
          attendee_order: 'T0E7E',
          attendee_positionid: 1,
          rating: 1,
          notes: '',
          tags: [],
          first_upload: firstUpload,
          data: [
            {
              id: 'attendee_name',
              label: 'Name',
              value: 'Peter Miller',
              details: [
                { label: 'Given name', value: 'Peter' },
                { label: 'Family name', value: 'Miller' }
              ]
            }
          ],
          device_name: null,
          device_uuid: null
        }
      ]
    })
  })

  t.test('DELETE exhibitors/1/', async (t) => {
    const res = await send('DELETE', `${base}1/`)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await send('GET', `${base}1/`)).statusCode, 404)
  })
})

import t from 'tap'
import { sql } from 'kysely'
import { harness, type Harness } from './helper.js'

const ALL_FIELDS = [
  'attendee_name', 'attendee_email', 'company', 'street', 'zipcode', 'city', 'country', 'order_code', 'item',
  'question:diet', 'question:unanswered'
]

async function setup (h: Harness, slug: string, locale: string) {
  await h.createEvent(slug, { locale })
  const eventId = (await h.db.selectFrom('events').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  await h.db.updateTable('exhibitor_settings').set({ lead_fields: JSON.stringify(ALL_FIELDS) }).where('event_id', '=', eventId).execute()
  const item = await h.db.insertInto('items').values({ event_id: eventId, name: JSON.stringify({ en: 'Day ticket', de: 'Tagesticket' }), default_price: '50.00' })
    .returning('id').executeTakeFirstOrThrow()
  const order = await h.db.insertInto('orders').values({ event_id: eventId, code: `ORD${slug.slice(0, 2).toUpperCase()}`, email: 'order@example.org', total: '100.00' })
    .returning(['id', 'code']).executeTakeFirstOrThrow()
  const cave = await h.db.insertInto('order_positions').values({
    order_id: order.id,
    event_id: eventId,
    positionid: 1,
    item_id: item.id,
    price: '50.00',
    attendee_name_parts: JSON.stringify({ _scheme: 'salutation_title_given_family', salutation: 'Mr', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' }),
    attendee_name: 'Dr Cave Johnson',
    attendee_email: null,
    company: 'Aperture Science',
    street: '1 Enrichment Way',
    zipcode: '49000',
    city: 'Upper Michigan',
    country: 'US',
    answers: JSON.stringify([{ question_identifier: 'diet', question: 'Diet?', answer: 'Vegan' }, { question_identifier: 'unanswered', question: 'Blank?', answer: '' }]),
    secret: `${slug}-secret-1`,
    pseudonymization_id: `${slug.slice(0, 4).toUpperCase()}PSEUD1`
  }).returning('id').executeTakeFirstOrThrow()
  const chell = await h.db.insertInto('order_positions').values({
    order_id: order.id,
    event_id: eventId,
    positionid: 2,
    item_id: item.id,
    price: '50.00',
    attendee_email: 'chell@example.org',
    company: '',
    secret: `${slug}-secret-2`,
    pseudonymization_id: `${slug.slice(0, 4).toUpperCase()}PSEUD2`
  }).returning('id').executeTakeFirstOrThrow()
  const created = await h.request(h.token, { method: 'POST', url: `/api/v1/organizers/demo/events/${slug}/exhibitors/`, payload: { name: 'Booth' } })
  return { eventId, itemId: item.id, orderId: order.id, orderCode: order.code, cave: cave.id, chell: chell.id, exhibitorId: created.json().id as number }
}

t.test('exhibitor leads', async (t) => {
  const h = await harness(t)
  const de = await setup(h, 'messe', 'de')
  const en = await setup(h, 'conf', 'en')

  const leadsUrl = (slug: string, id: number) => `/api/v1/organizers/demo/events/${slug}/exhibitors/${id}/leads/`
  const uuid = 'd8c2ec53-d602-4a08-882d-db4cf54344a2'

  for (const ctx of [de, en]) {
    // Uploaded out of order; two share a first upload, so the id decides between them.
    await h.db.insertInto('leads').values([
      { exhibitor_id: ctx.exhibitorId, position_id: ctx.cave, rating: 4, tags: JSON.stringify(['hot']), notes: 'Wants a demo', device_name: 'DEV1', device_uuid: uuid, scanned: '2026-12-01T10:00:00Z', first_upload: '2026-12-01T10:05:00Z' },
      { exhibitor_id: ctx.exhibitorId, position_id: ctx.chell, rating: null, scanned: '2026-12-01T09:00:00Z', first_upload: '2026-12-01T09:00:00Z' },
      {
        exhibitor_id: ctx.exhibitorId,
        position_id: ctx.cave,
        scope_key: 'other-device',
        scanned: '2026-12-01T09:00:00Z',
        first_upload: '2026-12-01T09:00:00Z',
        data: JSON.stringify([{ id: 'attendee_name', label: 'Snapshot', value: 'Stored by the job', details: [] }])
      }
    ]).execute()
  }

  t.test('order, shape and data in the event\'s locale (de)', async (t) => {
    const res = await h.request(h.token, { method: 'GET', url: leadsUrl('messe', de.exhibitorId) })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.count, 3)
    t.same(body.results.map((l: any) => [l.attendee_positionid, l.first_upload]), [
      [2, '2026-12-01T09:00:00.000+00:00'],
      [1, '2026-12-01T09:00:00.000+00:00'],
      [1, '2026-12-01T10:05:00.000+00:00']
    ], 'by first upload, then id')
    t.same(body.results[0], {
      attendee_order: de.orderCode,
      attendee_positionid: 2,
      rating: null,
      notes: '',
      tags: [],
      first_upload: '2026-12-01T09:00:00.000+00:00',
      data: [
        { id: 'attendee_email', label: 'E-Mail', value: 'chell@example.org', details: [] },
        { id: 'order_code', label: 'Bestellnummer', value: de.orderCode, details: [] },
        { id: 'item', label: 'Produkt', value: 'Tagesticket', details: [] }
      ],
      device_name: null,
      device_uuid: null
    }, 'empty fields are left out')
    t.same(body.results[1].data, [{ id: 'attendee_name', label: 'Snapshot', value: 'Stored by the job', details: [] }], 'the stored snapshot is used as is')
    t.same(body.results[2], {
      attendee_order: de.orderCode,
      attendee_positionid: 1,
      rating: 4,
      notes: 'Wants a demo',
      tags: ['hot'],
      first_upload: '2026-12-01T10:05:00.000+00:00',
      data: [
        {
          id: 'attendee_name',
          label: 'Name',
          value: 'Dr Cave Johnson',
          details: [
            { label: 'Anrede', value: 'Mr' },
            { label: 'Titel', value: 'Dr' },
            { label: 'Vorname', value: 'Cave' },
            { label: 'Nachname', value: 'Johnson' }
          ]
        },
        { id: 'attendee_email', label: 'E-Mail', value: 'order@example.org', details: [] },
        { id: 'company', label: 'Firma', value: 'Aperture Science', details: [] },
        { id: 'street', label: 'Adresse', value: '1 Enrichment Way', details: [] },
        { id: 'zipcode', label: 'PLZ', value: '49000', details: [] },
        { id: 'city', label: 'Ort', value: 'Upper Michigan', details: [] },
        { id: 'country', label: 'Land', value: 'US', details: [] },
        { id: 'order_code', label: 'Bestellnummer', value: de.orderCode, details: [] },
        { id: 'item', label: 'Produkt', value: 'Tagesticket', details: [] },
        { id: 'question:diet', label: 'Diet?', value: 'Vegan', details: [] }
      ],
      device_name: 'DEV1',
      device_uuid: uuid
    })
  })

  t.test('data in English', async (t) => {
    const res = await h.request(h.token, { method: 'GET', url: leadsUrl('conf', en.exhibitorId) })
    const lead = res.json().results[2]
    t.same(lead.data.map((f: any) => [f.id, f.label, f.value]), [
      ['attendee_name', 'Name', 'Dr Cave Johnson'],
      ['attendee_email', 'Email', 'order@example.org'],
      ['company', 'Company', 'Aperture Science'],
      ['street', 'Address', '1 Enrichment Way'],
      ['zipcode', 'ZIP code', '49000'],
      ['city', 'City', 'Upper Michigan'],
      ['country', 'Country', 'US'],
      ['order_code', 'Order code', en.orderCode],
      ['item', 'Product', 'Day ticket'],
      ['question:diet', 'Diet?', 'Vegan']
    ])
    t.same(lead.data[0].details.map((d: any) => d.label), ['Salutation', 'Title', 'Given name', 'Family name'])
  })

  t.test('the event\'s lead_fields decide which fields and in which order', async (t) => {
    await h.db.updateTable('exhibitor_settings').set({ lead_fields: JSON.stringify(['company', 'attendee_name']) }).where('event_id', '=', en.eventId).execute()
    const res = await h.request(h.token, { method: 'GET', url: leadsUrl('conf', en.exhibitorId) })
    t.same(res.json().results[2].data.map((f: any) => f.id), ['company', 'attendee_name'])
  })

  t.test('pagination and an empty list', async (t) => {
    const empty = await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/messe/exhibitors/', payload: { name: 'Quiet booth' } })
    const none = await h.request(h.token, { method: 'GET', url: leadsUrl('messe', empty.json().id) })
    t.same(none.json(), { count: 0, next: null, previous: null, results: [] })

    const busy = (await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/messe/exhibitors/', payload: { name: 'Busy booth' } })).json().id
    await sql`
      insert into order_positions (order_id, event_id, positionid, item_id, price, secret, pseudonymization_id, attendee_name_parts)
      select ${de.orderId}, ${de.eventId}, 100 + n, ${de.itemId}, 0, 'bulk-secret-' || n, 'BULKPSE' || lpad(n::text, 3, '0'),
             jsonb_build_object('given_name', 'Guest', 'family_name', n::text)
      from generate_series(1, 120) as n
    `.execute(h.db)
    await sql`
      insert into leads (exhibitor_id, position_id, scanned, first_upload)
      select ${busy}, p.id, now(), timestamptz '2026-12-01 08:00:00+00' + (p.positionid % 7) * interval '1 minute'
      from order_positions p where p.order_id = ${de.orderId} and p.positionid > 100
    `.execute(h.db)
    const pages = []
    for (const page of [1, 2, 3]) {
      const res = await h.request(h.token, { method: 'GET', url: `${leadsUrl('messe', busy)}?page=${page}` })
      t.equal(res.statusCode, 200)
      pages.push(res.json())
    }
    t.same(pages.map((p) => p.results.length), [50, 50, 20])
    t.equal(pages[0].count, 120)
    t.match(pages[0].next, /leads\/\?page=2$/)
    t.equal(pages[2].next, null)
    const uploads = pages.flatMap((p) => p.results.map((l: any) => l.first_upload))
    t.same(uploads, [...uploads].sort(), 'ordered by first upload across pages')
    t.equal(new Set(pages.flatMap((p) => p.results.map((l: any) => l.attendee_positionid))).size, 120, 'no lead twice, none missing')
    const past = await h.request(h.token, { method: 'GET', url: `${leadsUrl('messe', busy)}?page=4` })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
  })

  t.test('permission and unknown exhibitor', async (t) => {
    const settingsOnly = await h.tokenFor({ permissions: ['can_change_event_settings'] })
    t.equal((await h.request(settingsOnly, { method: 'GET', url: leadsUrl('messe', de.exhibitorId) })).statusCode, 403)
    const orders = await h.tokenFor({ permissions: ['can_view_orders'] })
    t.equal((await h.request(orders, { method: 'GET', url: leadsUrl('messe', de.exhibitorId) })).statusCode, 200)
    t.equal((await h.request(orders, { method: 'GET', url: leadsUrl('messe', 999999) })).statusCode, 404)
    t.equal((await h.request(orders, { method: 'GET', url: leadsUrl('conf', de.exhibitorId) })).statusCode, 404, 'an exhibitor of another event')
    t.equal((await h.request(null, { method: 'GET', url: leadsUrl('messe', de.exhibitorId) })).statusCode, 401)
  })
})

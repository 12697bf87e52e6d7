import t from 'tap'
import { show, upload } from './helper.js'

const url = '/exhibitors/api/v1/leads/'

t.test('lead upload', async (t) => {
  const s = await show(t)
  const [jon, second, third] = s.attendees
  const post = (code: string, body: unknown) => s.request(code, { method: 'POST', url, payload: body as object })

  t.test('the seed example: 201 first, 200 after', async (t) => {
    const res = await post(s.exhibitor.accessCode, upload(jon.scanCode))
    t.equal(res.statusCode, 201)
    t.same(res.json(), {
      attendee: {
        fields: [
          { id: 'attendee_name', label: 'Name', value: 'Jon Doe', details: [{ label: 'Given name', value: 'Jon' }, { label: 'Family name', value: 'Doe' }] },
          { id: 'attendee_email', label: 'Email', value: 'test@example.com', details: [] },
          { id: 'company', label: 'Company', value: 'Black Mesa', details: [] }
        ]
      },
      rating: 4,
      tags: ['foo'],
      notes: 'Great customer, wants our newsletter',
      device_name: 'DEV1',
      device_uuid: 'd8c2ec53-d602-4a08-882d-db4cf54344a2'
    })
    const again = await post(s.exhibitor.accessCode, upload(jon.scanCode))
    t.equal(again.statusCode, 200)
    t.same(again.json(), res.json())
    const rows = await s.db.selectFrom('leads').selectAll().where('exhibitor_id', '=', s.exhibitor.id).execute()
    t.equal(rows.length, 1)
    const outbox = await s.db.selectFrom('outbox').selectAll().execute()
    t.equal(outbox.length, 2, 'each upload leaves work for the enrichment job')
    t.same(outbox[0].payload, { lead_id: rows[0].id })
    t.equal(outbox[0].topic, 'lead.enrich')
  })

  t.test('the merge rule, field by field', async (t) => {
    const code = second.scanCode
    const first = await post(s.exhibitor.accessCode, upload(code, { scanned: '2020-10-18T12:00:00Z', rating: 3, tags: ['a'], notes: 'first', device_name: 'D1' }))
    t.equal(first.statusCode, 201)
    const stored = await s.db.selectFrom('leads').selectAll().where('position_id', '=', second.positionId).executeTakeFirstOrThrow()

    const keep = await post(s.exhibitor.accessCode, upload(code, { scanned: '2020-10-18T13:00:00Z', rating: null, tags: null, notes: '', device_name: null, device_uuid: null }))
    t.equal(keep.statusCode, 200)
    t.match(keep.json(), { rating: 3, tags: ['a'], notes: 'first', device_name: 'D1', device_uuid: 'd8c2ec53-d602-4a08-882d-db4cf54344a2' }, 'null, null and "" keep what is stored')

    const replace = await post(s.exhibitor.accessCode, upload(code, { scanned: '2020-10-18T11:00:00Z', rating: 0, tags: [], notes: 'second', device_name: 'D2' }))
    t.match(replace.json(), { rating: 0, tags: [], notes: 'second', device_name: 'D2' }, 'any other value replaces')

    const after = await s.db.selectFrom('leads').selectAll().where('position_id', '=', second.positionId).executeTakeFirstOrThrow()
    t.equal(after.first_upload.getTime(), stored.first_upload.getTime(), 'first_upload never changes')
    t.equal(after.scanned.toISOString(), '2020-10-18T11:00:00.000Z', 'scanned keeps the earliest scan')

    const fresh = await post(s.exhibitor.accessCode, upload(third.scanCode, { rating: null, tags: null, notes: '' }))
    t.equal(fresh.statusCode, 201)
    t.match(fresh.json(), { rating: null, tags: [], notes: '' }, 'a first upload with nulls stores null and []')
  })

  t.test('device scope', async (t) => {
    const scoped = await s.addExhibitor({ name: 'Scoped', lead_scanning_scope_by_device: true })
    const plain = await s.addExhibitor({ name: 'Plain' })
    const devA = 'aaaaaaaa-d602-4a08-882d-db4cf54344a2'
    const devB = 'bbbbbbbb-d602-4a08-882d-db4cf54344a2'
    t.equal((await post(scoped.scanCode, upload(jon.scanCode, { device_uuid: devA }))).statusCode, 201)
    t.equal((await post(scoped.scanCode, upload(jon.scanCode, { device_uuid: devB }))).statusCode, 201, 'another device: another lead')
    t.equal((await post(scoped.scanCode, upload(jon.scanCode, { device_uuid: devA }))).statusCode, 200)
    t.equal((await post(plain.scanCode, upload(jon.scanCode, { device_uuid: devA }))).statusCode, 201)
    t.equal((await post(plain.scanCode, upload(jon.scanCode, { device_uuid: devB }))).statusCode, 200, 'unscoped: one lead per attendee')
    const count = async (id: number) => (await s.db.selectFrom('leads').select('id').where('exhibitor_id', '=', id).execute()).length
    t.equal(await count(scoped.id), 2)
    t.equal(await count(plain.id), 1)
  })

  t.test('20 simultaneous uploads of one new lead: one 201, one stored lead', async (t) => {
    const attendee = await s.addAttendee()
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      post(s.exhibitor.accessCode, upload(attendee.scanCode, { notes: `note ${i}` }))))
    const statuses = results.map((r) => r.statusCode).sort()
    t.equal(statuses.filter((c) => c === 201).length, 1)
    t.equal(statuses.filter((c) => c === 200).length, 19)
    const rows = await s.db.selectFrom('leads').select('id').where('position_id', '=', attendee.positionId).execute()
    t.equal(rows.length, 1)
  })

  t.test('ticket secrets count only when the event allows them', async (t) => {
    const attendee = await s.addAttendee()
    const bySecret = await post(s.exhibitor.accessCode, upload(attendee.secret))
    t.equal(bySecret.statusCode, 400)
    t.ok(bySecret.json().code)
    await s.db.updateTable('exhibitor_settings').set({ scan_secret: true }).where('event_id', '=', s.eventId).execute()
    t.equal((await post(s.exhibitor.accessCode, upload(attendee.secret))).statusCode, 201)
    t.equal((await post(s.exhibitor.accessCode, upload(attendee.scanCode))).statusCode, 200, 'the same lead by either code')
    await s.db.updateTable('exhibitor_settings').set({ scan_secret: false }).where('event_id', '=', s.eventId).execute()
  })

  t.test('positions of canceled orders are matched too', async (t) => {
    const attendee = await s.addAttendee({}, { status: 'c' })
    t.equal((await post(s.exhibitor.accessCode, upload(attendee.scanCode))).statusCode, 201)
  })

  t.test('lead fields follow the event and the exhibitor\'s locale', async (t) => {
    await s.db.updateTable('exhibitor_settings').set({ lead_fields: JSON.stringify(['order_code', 'attendee_name', 'item', 'city']) }).where('event_id', '=', s.eventId).execute()
    const german = await s.addExhibitor({ name: 'Deutsch', locale: 'de' })
    const res = await post(german.accessCode, upload(jon.scanCode))
    t.same(res.json().attendee.fields, [
      { id: 'order_code', label: 'Bestellnummer', value: jon.orderCode, details: [] },
      { id: 'attendee_name', label: 'Name', value: 'Jon Doe', details: [{ label: 'Vorname', value: 'Jon' }, { label: 'Nachname', value: 'Doe' }] },
      { id: 'item', label: 'Produkt', value: 'Eintrittskarte', details: [] }
    ], 'in that order, empty city left out')
    await s.db.updateTable('exhibitor_settings').set({ lead_fields: JSON.stringify(['attendee_name', 'attendee_email', 'company']) }).where('event_id', '=', s.eventId).execute()
  })

  t.test('bad input: 400/403/413, never 500, nothing stored', async (t) => {
    const before = (await s.db.selectFrom('leads').select('id').execute()).length
    const unknown = await post(s.exhibitor.accessCode, upload('NOSUCHCODE'))
    t.equal(unknown.statusCode, 400)
    t.same(Object.keys(unknown.json()), ['code'])
    const cases: Array<[string, unknown, string]> = [
      ['empty code', upload(''), 'code'],
      ['long code', upload('x'.repeat(256)), 'code'],
      ['rating 6', upload(jon.scanCode, { rating: 6 }), 'rating'],
      ['rating text', upload(jon.scanCode, { rating: 'good' }), 'rating'],
      ['tags not a list', upload(jon.scanCode, { tags: 'foo' }), 'tags'],
      ['bad uuid', upload(jon.scanCode, { device_uuid: 'not-a-uuid' }), 'device_uuid'],
      ['bad date', upload(jon.scanCode, { scanned: 'yesterday' }), 'scanned'],
      ['scan type', upload(jon.scanCode, { scan_type: 'exit' }), 'scan_type'],
      ['long notes', upload(jon.scanCode, { notes: 'n'.repeat(10001) }), 'notes'],
      ['long device name', upload(jon.scanCode, { device_name: 'd'.repeat(191) }), 'device_name'],
      ['NUL in code', upload('\u0000abc'), 'code']
    ]
    for (const [name, body, field] of cases) {
      const res = await post(s.exhibitor.accessCode, body)
      t.equal(res.statusCode, 400, name)
      if (field !== 'code' || name !== 'NUL in code') t.ok(res.json()[field], `${name}: error on ${field}`)
    }
    const missing = await post(s.exhibitor.accessCode, {})
    t.equal(missing.statusCode, 400)
    t.ok(missing.json().code && missing.json().scanned)
    const malformed = await s.request(s.exhibitor.accessCode, { method: 'POST', url, payload: '{"code":', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    const huge = await post(s.exhibitor.accessCode, upload(jon.scanCode, { notes: 'x'.repeat(1024 * 1024) }))
    t.equal(huge.statusCode, 413)
    t.equal((await s.db.selectFrom('leads').select('id').execute()).length, before)

    const noCode = await post('ZZZZZZZZ', upload(jon.scanCode))
    t.equal(noCode.statusCode, 401, 'an unknown access code is 401 on upload too')
    t.same(Object.keys(noCode.json()), ['detail'])
    t.equal((await s.request(null, { method: 'POST', url, payload: upload(jon.scanCode) })).statusCode, 401)
    const off = await s.addExhibitor({ name: 'No scanning', allow_lead_scanning: false })
    const denied = await post(off.accessCode, upload(jon.scanCode))
    t.equal(denied.statusCode, 403)
  })
})

t.test('lead list', async (t) => {
  const s = await show(t)
  for (const [i, a] of s.attendees.entries()) {
    await s.request(s.exhibitor.scanCode, { method: 'POST', url, payload: upload(a.scanCode, { notes: `n${i}` }) })
  }
  const res = await s.request(s.exhibitor.accessCode, { method: 'GET', url })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.count, 3)
  t.same(body.results.map((r: { notes: string }) => r.notes), ['n0', 'n1', 'n2'], 'in upload order')
  t.same(Object.keys(body.results[0]).sort(), ['attendee', 'device_name', 'device_uuid', 'notes', 'rating', 'tags'])
  const page = (await s.request(s.exhibitor.accessCode, { method: 'GET', url: url + '?page_size=2&page=2' })).json()
  t.equal(page.results.length, 1)
  t.match(page.previous, /page_size=2/)

  const scanOnly = await s.request(s.exhibitor.scanCode, { method: 'GET', url })
  t.equal(scanOnly.statusCode, 403)
  t.same(scanOnly.json(), { detail: 'Not permitted to access bulk data' })
  const noAccess = await s.addExhibitor({ name: 'No access', allow_lead_access: false })
  t.equal((await s.request(noAccess.accessCode, { method: 'GET', url })).statusCode, 403)
  t.equal((await s.request(null, { method: 'GET', url })).statusCode, 401)
})

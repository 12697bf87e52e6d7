import t from 'tap'
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import { show, type Client, type Show } from './helper.js'

async function download (c: Client, form: Record<string, string>) {
  const res = await c.post('/leads/export', form)
  return res
}

function csvRows (body: Buffer): string[][] {
  return parse(body, { bom: true, relax_column_count: false }) as string[][]
}

async function xlsxRows (body: Buffer): Promise<{ sheet: ExcelJS.Worksheet, rows: unknown[][] }> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(body as unknown as ArrayBuffer)
  const sheet = workbook.getWorksheet('Leads')!
  const rows: unknown[][] = []
  sheet.eachRow((row) => { rows.push((row.values as unknown[]).slice(1)) })
  return { sheet, rows }
}

async function seed (s: Show) {
  const ada = await s.addAttendee({ attendee_name: 'Ada Lovelace', attendee_name_parts: JSON.stringify({ given_name: 'Ada', family_name: 'Lovelace' }), company: '=HYPERLINK("x")', attendee_email: 'ada@example.com' })
  const bob = await s.addAttendee({ attendee_name: 'Bob, "the builder"', attendee_name_parts: JSON.stringify({ given_name: 'Bob, "the builder"' }), company: 'Büro Müller', attendee_email: null })
  const adaLead = await s.addLead(s.exhibitor.id, ada, { rating: 5, tags: JSON.stringify(['hot', 'vip']), notes: 'line one\nline two', scanned: '2026-12-01T09:30:00Z', first_upload: '2026-11-29T09:31:00Z', last_upload: '2026-11-29T12:00:00Z' })
  const bobLead = await s.addLead(s.exhibitor.id, bob, { rating: null, tags: JSON.stringify([]), notes: '-1 or +1', device_name: null, scanned: '2026-12-01T10:00:00Z', first_upload: '2026-11-29T10:01:00Z', last_upload: '2026-11-29T10:01:00Z' })
  return { adaLead, bobLead }
}

t.test('CSV: headers, bytes, columns, quoting, formula guard, local times', async (t) => {
  const s = await show(t)
  await seed(s)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/')
  const res = await download(c, { format: 'csv' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date())
  t.equal(res.headers['content-disposition'], `attachment; filename="sampleconf-aperture-science-leads-${today}.csv"`)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.rawPayload
  t.same([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM')
  t.match(body.toString('utf8'), /\r\n/, 'CRLF line ends')
  t.same(csvRows(body), [
    ['Name', 'Email', 'Company', 'Rating', 'Tags', 'Notes', 'Device', 'First scanned', 'Last changed'],
    ['"Bob, ""the builder"""'.slice(1, -1).replace(/""/g, '"'), 'orders@example.com', 'Büro Müller', '', '', "'-1 or +1", '', '2026-12-01 11:00', '2026-11-29 11:01'],
    ['Ada Lovelace', 'ada@example.com', '\'=HYPERLINK("x")', '5', 'hot, vip', 'line one\nline two', 'Tablet 1', '2026-12-01 10:30', '2026-11-29 13:00']
  ], 'newest first; the order email when the attendee has none; formulas guarded')
})

t.test('XLSX: one sheet "Leads", bold frozen header, autofilter, string cells as they are, date cells', async (t) => {
  const s = await show(t)
  await seed(s)
  const german = await s.addExhibitor({ name: 'Müller & Söhne GmbH', locale: 'de' })
  await s.addLead(german.id, await s.addAttendee(), { scanned: '2026-12-01T09:30:00Z' })
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/')
  const res = await download(c, { format: 'xlsx' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  t.match(res.headers['content-disposition'], /^attachment; filename="sampleconf-aperture-science-leads-\d{4}-\d{2}-\d{2}\.xlsx"$/)
  const { sheet, rows } = await xlsxRows(res.rawPayload)
  t.same(rows[0], ['Name', 'Email', 'Company', 'Rating', 'Tags', 'Notes', 'Device', 'First scanned', 'Last changed'])
  t.equal(sheet.getRow(1).font?.bold, true)
  t.match(sheet.views[0], { state: 'frozen', ySplit: 1 }, 'frozen header')
  t.ok(sheet.autoFilter, 'autofilter')
  t.equal(rows.length, 3)
  t.equal(rows[2][2], '=HYPERLINK("x")', 'text as it is, no quote')
  t.equal(sheet.getCell('C3').type, ExcelJS.ValueType.String, 'a string cell, never a formula')
  t.equal(rows[1][5], '-1 or +1')
  t.equal(rows[2][3], 5)
  const scanned = rows[2][7] as Date
  t.ok(scanned instanceof Date, 'a date cell')
  t.equal(scanned.toISOString(), '2026-12-01T10:30:00.000Z', 'holding the event\'s wall-clock time')

  const d = s.client()
  await d.logIn(german.accessCode)
  await d.get('/leads/')
  const de = await download(d, { format: 'xlsx' })
  t.match(de.headers['content-disposition'], /filename="sampleconf-muller-sohne-gmbh-leads-/)
  t.same((await xlsxRows(de.rawPayload)).rows[0], ['Name', 'E-Mail', 'Firma', 'Bewertung', 'Tags', 'Notizen', 'Gerät', 'Erster Scan', 'Zuletzt geändert'], 'labels in the exhibitor\'s language')
})

t.test('the export holds what the list shows (search and filters)', async (t) => {
  const s = await show(t)
  await seed(s)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/?tag=vip')
  const rows = csvRows((await download(c, { format: 'csv', tag: 'vip' })).rawPayload)
  t.same(rows.slice(1).map((r) => r[0]), ['Ada Lovelace'])
  const none = csvRows((await download(c, { format: 'csv', rating: 'none', q: 'bob' })).rawPayload)
  t.same(none.slice(1).map((r) => r[1]), ['orders@example.com'])
  const empty = csvRows((await download(c, { format: 'csv', q: 'nobody at all' })).rawPayload)
  t.equal(empty.length, 1, 'only the header')
})

t.test('"Only leads new since my last export": every export moves the mark', async (t) => {
  const s = await show(t)
  const { adaLead } = await seed(s)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const page = await c.get('/leads/')
  t.match(page.body, /<label for="since">Only leads new since my last export<\/label>/)
  t.match(page.body, /<button type="submit" name="format" value="csv">Download CSV<\/button>/)
  t.match(page.body, /<button type="submit" name="format" value="xlsx">Download Excel<\/button>/)
  t.match(page.body, /No export yet\./)

  const first = csvRows((await download(c, { format: 'csv', since: '1' })).rawPayload)
  t.equal(first.length, 3, 'never exported: every lead')
  const mark = (await s.db.selectFrom('exhibitors').select('last_export_at').where('id', '=', s.exhibitor.id).executeTakeFirstOrThrow()).last_export_at
  t.ok(mark !== null && mark.getTime() > Date.now() - 60_000, 'the mark moved')
  const again = csvRows((await download(c, { format: 'csv', since: '1' })).rawPayload)
  t.equal(again.length, 1, 'nothing new since')

  // A new upload and a web edit both count as new.
  const cy = await s.addAttendee()
  const appApi = await s.appApi()
  const up = await appApi.inject({
    method: 'POST',
    url: '/exhibitors/api/v1/leads/',
    headers: { authorization: `Exhibitor ${s.exhibitor.scanCode}` },
    payload: { code: cy.scanCode, scanned: '2026-12-01T15:00:00Z', scan_type: 'lead', rating: 1, tags: null, notes: '', device_name: 'Phone', device_uuid: null }
  })
  t.equal(up.statusCode, 201)
  await c.get(`/leads/${adaLead}/`)
  t.equal((await c.post(`/leads/${adaLead}/`, { rating: '4', notes: 'edited' })).statusCode, 303)
  await c.get('/leads/')
  const xlsx = await xlsxRows((await download(c, { format: 'xlsx', since: '1' })).rawPayload)
  t.same(xlsx.rows.slice(1).map((r) => r[0]).sort(), ['Ada Lovelace', 'Jon Doe 3'], 'the uploaded and the edited lead; the Excel export counts too')
  t.equal(csvRows((await download(c, { format: 'csv', since: '1' })).rawPayload).length, 1, 'the Excel export moved the mark')
  t.equal(csvRows((await download(c, { format: 'csv' })).rawPayload).length, 4, 'without the box: all leads')
  t.match((await c.get('/leads/')).body, /Last export: \d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
})

t.test('export: bad input and CSRF', async (t) => {
  const s = await show(t)
  await seed(s)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/')
  t.equal((await download(c, { format: 'pdf' })).statusCode, 400)
  t.equal((await download(c, {})).statusCode, 400, 'no format')
  t.equal((await download(c, { format: 'csv', q: 'x'.repeat(201) })).statusCode, 400)
  t.equal((await download(c, { format: 'csv', rating: '7' })).statusCode, 400)
  t.equal((await download(c, { format: 'csv', since: 'yes' })).statusCode, 400)
  t.equal((await c.post('/leads/export', { format: 'csv' }, { csrf: false })).statusCode, 403)
  t.equal((await s.db.selectFrom('exhibitors').select('last_export_at').where('id', '=', s.exhibitor.id).executeTakeFirstOrThrow()).last_export_at, null, 'no refused export moved the mark')
})

t.test('a large export streams in keyset pages', async (t) => {
  const s = await show(t)
  const attendee = await s.addAttendee()
  // 2,500 leads of one attendee, one per device scope, with ties in first_upload across page ends.
  await s.db.updateTable('exhibitors').set({ lead_scanning_scope_by_device: true }).where('id', '=', s.exhibitor.id).execute()
  await sql`insert into leads (exhibitor_id, position_id, scope_key, scanned, first_upload, last_upload, device_name)
    select ${s.exhibitor.id}, ${attendee.positionId}, g::text, '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', g::text
    from generate_series(1, 2500) as g`.execute(s.db)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/')
  const rows = csvRows((await download(c, { format: 'csv' })).rawPayload)
  t.equal(rows.length, 2501)
  const devices = rows.slice(1).map((r) => Number(r[6]))
  t.equal(new Set(devices).size, 2500, 'every lead once, none twice, across pages with equal first_upload')
})

t.test('product and question fields in the export', async (t) => {
  const s = await show(t)
  await s.db.updateTable('exhibitor_settings').set({ lead_fields: JSON.stringify(['attendee_name', 'item', 'question:diet']) }).where('event_id', '=', s.eventId).execute()
  const attendee = await s.addAttendee({ answers: JSON.stringify([{ question_identifier: 'diet', question: 'Dietary needs', answer: 'vegan' }]) })
  await s.addLead(s.exhibitor.id, attendee)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get('/leads/')
  const rows = csvRows((await download(c, { format: 'csv' })).rawPayload)
  t.same(rows[0].slice(0, 3), ['Name', 'Product', 'diet'])
  t.same(rows[1].slice(0, 3), ['Jon Doe 1', 'Ticket', 'vegan'])
  const page = await c.get('/leads/')
  t.match(page.body, /<th scope="col">Name<\/th><th scope="col">Product<\/th><th scope="col">Dietary needs<\/th>/, 'the page names a question by its text')
})

import t, { type Test } from 'tap'
import { sql } from 'kysely'
import type { LightMyRequestResponse } from 'fastify'
import { queries } from '@showfloor/db'
import { removePrefix, startService, testPrefix, waitFor, type SourceProcess } from '@showfloor/db/testing'
import { harness, type Harness } from './helper.js'
import { expectedLeadRow, readCsv, readXlsx, seedBulkLeads, storedLeads, wallMinute, type Value } from './support/exportFiles.js'

// The data exporters (contract section 12) end to end: the admin API in process, the worker as its
// own process on the test's database and queue prefix, files read back and compared with the rows.

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const TZ = 'Europe/Berlin'
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

t.setTimeout(300_000)

async function startWorker (t: Test, env: Record<string, string>): Promise<SourceProcess> {
  const worker = await startService('services/worker/src/main.ts', {
    WORKER_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // An export whose worker died is queued again 3 s after its last heartbeat.
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_AFTER_MS: '3000',
    ...env
  }, 60_000)
  t.teardown(worker.kill)
  return worker
}

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

interface Show {
  token: string
  eventId: number
  itemId: number
  exhibitors: number[]
}

/** Organizer `bigevents` with event `sampleconf`, as in pretix's examples. */
async function setUpShow (h: Harness): Promise<Show> {
  const organizer = await queries.organizers.createOrganizer(h.db, 'bigevents', 'Big Events')
  const token = await h.tokenFor({ organizerId: organizer.id, team: 'admins' })
  const api = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
    const res = await h.request(token, { method, url: `/api/v1/organizers/bigevents/${url}`, payload })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  await api('POST', 'events/', { name: { en: 'Sample conference' }, slug: 'sampleconf', date_from: '2026-12-01T09:00:00Z', timezone: TZ, locale: 'en' })
  const event = (await queries.events.findEvent(h.db, organizer.id, 'sampleconf'))!
  await api('PATCH', 'events/sampleconf/exhibitor_settings/', { lead_fields: ['attendee_name', 'attendee_email', 'company', 'order_code'] })
  await api('POST', 'events/sampleconf/exhibitor_tags/', { name: 'Gold' })
  await api('POST', 'events/sampleconf/exhibitor_tags/', { name: 'Startup' })
  const exhibitors = [
    await api('POST', 'events/sampleconf/exhibitors/', { name: 'Aperture Science', booth: 'A1', internal_id: 'AP-1', contact_name: 'Cave Johnson', contact_email: 'cave@aperture.example', exhibitor_tags: ['Gold', 'Startup'] }),
    await api('POST', 'events/sampleconf/exhibitors/', { name: '=HYPERLINK("http://evil.example")', allow_lead_scanning: false, locale: 'de' }),
    await api('POST', 'events/sampleconf/exhibitors/', { name: 'Müller & Söhne, "GmbH"', booth: 'B 2', internal_id: '-7', contact_cc_email: 'a@example.org,b@example.org' })
  ].map((e: { id: number }) => e.id)
  const item = await queries.items.createItem(h.db, { event_id: event.id, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' })
  await seedBulkLeads(h.db, event.id, item.id, exhibitors, 30, 'S')
  // Text that must survive as it is: line breaks, quotes, commas, and what a spreadsheet would run.
  const leads = await h.db.selectFrom('leads').select('id').where('exhibitor_id', 'in', exhibitors).orderBy('id').execute()
  await h.db.updateTable('leads').set({ notes: 'Line one\r\nLine two, "quoted"' }).where('id', '=', leads[0].id).execute()
  await h.db.updateTable('leads').set({ notes: '+49 30 1234', device_name: '@scanner', tags: JSON.stringify(['=1+1']) }).where('id', '=', leads[1].id).execute()
  await h.db.updateTable('leads').set({ notes: 'Grüße – ✓' }).where('id', '=', leads[2].id).execute()
  return { token, eventId: event.id, itemId: item.id, exhibitors }
}

t.test('data exporters', async (t) => {
  const prefix = testPrefix('exporters')
  t.teardown(async () => { await removePrefix(redisUrl, prefix) })
  const h = await harness(t, { QUEUE_PREFIX: prefix })
  const show = await setUpShow(h)
  const base = '/api/v1/organizers/bigevents/events/sampleconf/exporters'
  const get = async (url: string, token = show.token) => await h.request(token, { method: 'GET', url, headers: { accept: 'application/json, text/javascript' } })
  const run = async (identifier: string, payload: unknown, token = show.token) => await h.request(token, {
    method: 'POST', url: `${base}/${identifier}/run/`, payload: payload as object, headers: { host: 'pretix.eu', accept: 'application/json, text/javascript' }
  })
  /** Starts an export and returns the path of its download URL. */
  const start = async (identifier: string, payload: unknown): Promise<string> => {
    const res = await run(identifier, payload)
    if (res.statusCode !== 202) throw new Error(`run: ${res.statusCode} ${res.body}`)
    return new URL(res.json().download).pathname
  }
  /** Fetches the download URL until it is no longer 409. */
  const result = async (path: string): Promise<LightMyRequestResponse> => await waitFor(`export ${path}`, async () => {
    const res = await get(path)
    return res.statusCode === 409 ? undefined : res
  }, 120_000, 100)
  const exportCount = async () => Number((await h.db.selectFrom('exports').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  t.test('GET exporters/ (pretix\'s example request)', async (t) => {
    const res = await get(`${base}/`)
    t.equal(res.statusCode, 200)
    t.same(res.json(), {
      count: 2,
      next: null,
      previous: null,
      results: [
        {
          identifier: 'exhibitor_leads',
          verbose_name: 'Exhibitor leads',
          input_parameters: [
            { name: '_format', required: true, choices: ['xlsx', 'csv'] },
            { name: 'exhibitors', required: false },
            { name: 'since', required: false }
          ]
        },
        { identifier: 'exhibitor_list', verbose_name: 'Exhibitors', input_parameters: [{ name: '_format', required: true, choices: ['xlsx', 'csv'] }] }
      ]
    })
    const second = await get(`${base}/?page=2&page_size=1`)
    t.equal(second.statusCode, 200)
    t.same(second.json().results.map((e: { identifier: string }) => e.identifier), ['exhibitor_list'])
    t.equal(second.json().previous, `http://localhost${base}/?page_size=1`)
    t.same((await get(`${base}/?page=3`)).json(), { detail: 'Invalid page.' })
  })

  let waitingPath = ''
  t.test('POST run/ (pretix\'s example request) before any worker runs: 202, the export row with its outbox row, 409 waiting', async (t) => {
    const res = await run('exhibitor_leads', { _format: 'xlsx' })
    t.equal(res.statusCode, 202, res.body)
    const { download } = res.json()
    t.same(Object.keys(res.json()), ['download'])
    t.match(download, new RegExp(`^http://pretix\\.eu/api/v1/organizers/bigevents/events/sampleconf/exporters/exhibitor_leads/download/${UUID}/${UUID}/$`))
    waitingPath = new URL(download).pathname
    const [, id, key] = new RegExp(`download/(${UUID})/(${UUID})/`).exec(download)!
    const row = await h.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.match(row, { key, event_id: show.eventId, identifier: 'exhibitor_leads', params: { _format: 'xlsx' }, status: 'waiting', run: 0 })
    const outbox = await h.db.selectFrom('outbox').select(['topic', 'payload']).where('topic', '=', 'export.run').execute()
    t.same(outbox, [{ topic: 'export.run', payload: { export_id: id } }], 'its job is on its way through the outbox')

    const pending = await get(waitingPath)
    t.equal(pending.statusCode, 409)
    t.same(pending.json(), { status: 'waiting', percentage: null })
    t.equal(pending.headers['retry-after'], '1')
  })

  t.test('PUBLIC_ADMIN_URL makes the download URL', async (t) => {
    const other = await harness(t, { QUEUE_PREFIX: prefix, DATABASE_URL: h.app.config.DATABASE_URL, PUBLIC_ADMIN_URL: 'https://admin.example.org/showfloor/' })
    // The second harness made its own `demo` organizer in its own database; this one shares the first's.
    const res = await other.request(show.token, { method: 'POST', url: `${base}/exhibitor_list/run/`, payload: { _format: 'csv' } })
    t.equal(res.statusCode, 202, res.body)
    t.match(res.json().download, new RegExp(`^https://admin\\.example\\.org/showfloor/api/v1/organizers/bigevents/events/sampleconf/exporters/exhibitor_list/download/${UUID}/${UUID}/$`))
  })

  await startWorker(t, { DATABASE_URL: h.app.config.DATABASE_URL, QUEUE_PREFIX: prefix })

  t.test('the waiting export is done: 200 with the XLSX file, every lead as stored', async (t) => {
    const res = await result(waitingPath)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], XLSX)
    t.match(res.headers['content-disposition'], /^attachment; filename="sampleconf-exhibitor-leads-\d{4}-\d{2}-\d{2}\.xlsx"$/)
    t.equal(Number(res.headers['content-length']), res.rawPayload.length)
    const rows = await readXlsx(res.rawPayload, 'Leads')
    t.same(rows[0], ['Exhibitor', 'Booth', 'Exhibitor ID', 'Name', 'Email', 'Company', 'Order code', 'Rating', 'Tags', 'Notes', 'Device', 'First scanned', 'Last changed'])
    const leads = await storedLeads(h.db, show.eventId)
    t.equal(leads.length, 30)
    t.same(rows.slice(1), leads.map((lead) => expectedLeadRow(lead, 'xlsx', TZ)))
    t.equal(rows[1][0], 'Aperture Science')
    t.ok(rows.some((row) => row[0] === '=HYPERLINK("http://evil.example")'), 'a formula-like text is a plain string cell')
    const stored = await h.db.selectFrom('exports').selectAll().where('status', '=', 'done').executeTakeFirstOrThrow()
    t.equal(stored.percentage, 100)
    t.equal(stored.expires_at!.getTime() - stored.done_at!.getTime(), 24 * 3600 * 1000, 'expires 24 hours after it was done')
  })

  t.test('CSV: the same leads, RFC 4180 with BOM and CRLF, formula guard, times on the event\'s wall clock', async (t) => {
    const res = await result(await start('exhibitor_leads', { _format: 'csv' }))
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    t.match(res.headers['content-disposition'], /^attachment; filename="sampleconf-exhibitor-leads-\d{4}-\d{2}-\d{2}\.csv"$/)
    t.ok(res.rawPayload.includes(Buffer.from('\r\n')), 'CRLF')
    const rows = readCsv(res.rawPayload)
    const leads = await storedLeads(h.db, show.eventId)
    t.same(rows, [
      ['Exhibitor', 'Booth', 'Exhibitor ID', 'Name', 'Email', 'Company', 'Order code', 'Rating', 'Tags', 'Notes', 'Device', 'First scanned', 'Last changed'],
      ...leads.map((lead) => expectedLeadRow(lead, 'csv', TZ))
    ])
    t.ok(rows.some((row) => row[9] === 'Line one\r\nLine two, "quoted"'), 'line breaks and quotes survive')
    t.ok(rows.some((row) => row[9] === "'+49 30 1234" && row[10] === "'@scanner" && row[8] === "'=1+1"), 'formula guard')
    t.ok(rows.some((row) => row[2] === "'-7"), 'formula guard on the exhibitor id')
    t.equal(rows[1][11], wallMinute(leads[0].scanned, TZ))
    t.match(rows[1][11], /^2026-12-01 1\d:\d\d$/, 'Berlin is an hour ahead of UTC in December')
  })

  t.test('filters: exhibitors and since', async (t) => {
    const chosen = [show.exhibitors[2], show.exhibitors[0]]
    let rows = readCsv((await result(await start('exhibitor_leads', { _format: 'csv', exhibitors: chosen }))).rawPayload)
    let expected = await storedLeads(h.db, show.eventId, { exhibitors: chosen })
    t.equal(expected.length, 20)
    t.same(rows.slice(1), expected.map((lead) => expectedLeadRow(lead, 'csv', TZ)), 'only the chosen exhibitors, in id order')

    // Leads changed at or after the moment given; a lead changed at exactly that moment is in.
    const since = new Date('2026-12-01T09:00:25Z')
    rows = readCsv((await result(await start('exhibitor_leads', { _format: 'csv', since: '2026-12-01T10:00:25+01:00' }))).rawPayload)
    expected = await storedLeads(h.db, show.eventId, { since })
    t.equal(expected.length, 11, 'leads 20 to 30 changed at or after it')
    t.same(rows.slice(1), expected.map((lead) => expectedLeadRow(lead, 'csv', TZ)))

    // A portal edit moves last_upload: the lead is in again.
    const old = await h.db.selectFrom('leads').select('id').where('exhibitor_id', '=', show.exhibitors[0]).orderBy('id').limit(1).executeTakeFirstOrThrow()
    await h.db.updateTable('leads').set({ last_upload: '2026-12-02T08:00:00Z', rating: 5 }).where('id', '=', old.id).execute()
    rows = readCsv((await result(await start('exhibitor_leads', { _format: 'csv', since: '2026-12-01T09:00:25Z', exhibitors: [show.exhibitors[0]] }))).rawPayload)
    expected = await storedLeads(h.db, show.eventId, { since, exhibitors: [show.exhibitors[0]] })
    t.same(rows.slice(1), expected.map((lead) => expectedLeadRow(lead, 'csv', TZ)))
    t.ok(rows.some((row) => row[7] === '5' && row[12] === '2026-12-02 09:00'), 'the edited lead, changed on the 2nd')

    const none = readCsv((await result(await start('exhibitor_leads', { _format: 'csv', since: '2030-01-01T00:00:00Z' }))).rawPayload)
    t.equal(none.length, 1, 'nothing changed since: the header alone')
  })

  t.test('exhibitor_list in both formats', async (t) => {
    const header = ['ID', 'Name', 'Internal ID', 'Booth', 'Contact name', 'Contact email', 'CC email', 'Locale', 'Tags', 'Leads', 'Vouchers', 'Lead scanning']
    const [a, b, c] = show.exhibitors
    const xlsx = await result(await start('exhibitor_list', { _format: 'xlsx' }))
    t.equal(xlsx.statusCode, 200)
    t.match(xlsx.headers['content-disposition'], /^attachment; filename="sampleconf-exhibitors-\d{4}-\d{2}-\d{2}\.xlsx"$/)
    t.same(await readXlsx(xlsx.rawPayload, 'Exhibitors'), [
      header,
      [a, 'Aperture Science', 'AP-1', 'A1', 'Cave Johnson', 'cave@aperture.example', null, 'en', 'Gold, Startup', 10, 0, 'yes'],
      [b, '=HYPERLINK("http://evil.example")', null, null, null, null, null, 'de', null, 10, 0, 'no'],
      [c, 'Müller & Söhne, "GmbH"', '-7', 'B 2', null, null, 'a@example.org,b@example.org', 'en', null, 10, 0, 'yes']
    ])
    const csv = await result(await start('exhibitor_list', { _format: 'csv' }))
    t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
    t.same(readCsv(csv.rawPayload), [
      header,
      [String(a), 'Aperture Science', 'AP-1', 'A1', 'Cave Johnson', 'cave@aperture.example', '', 'en', 'Gold, Startup', '10', '0', 'yes'],
      [String(b), '\'=HYPERLINK("http://evil.example")', '', '', '', '', '', 'de', '', '10', '0', 'no'],
      [String(c), 'Müller & Söhne, "GmbH"', "'-7", 'B 2', '', '', 'a@example.org,b@example.org', 'en', '', '10', '0', 'yes']
    ])
  })

  t.test('labels in the event\'s locale (German)', async (t) => {
    const res = await h.request(show.token, { method: 'POST', url: '/api/v1/organizers/bigevents/events/', payload: { name: { de: 'Messe' }, slug: 'messe', date_from: '2026-12-01T09:00:00Z', locale: 'de', timezone: TZ } })
    t.equal(res.statusCode, 201, res.body)
    const exhibitor = await h.request(show.token, { method: 'POST', url: '/api/v1/organizers/bigevents/events/messe/exhibitors/', payload: { name: 'Stand 1' } })
    const messe = await h.db.selectFrom('events').select('id').where('slug', '=', 'messe').executeTakeFirstOrThrow()
    await seedBulkLeads(h.db, messe.id, show.itemId, [exhibitor.json().id], 2, 'M')
    const post = async (identifier: string, format: string) => {
      const started = await h.request(show.token, { method: 'POST', url: `/api/v1/organizers/bigevents/events/messe/exporters/${identifier}/run/`, payload: { _format: format } })
      return await result(new URL(started.json().download).pathname)
    }
    const leads = readCsv((await post('exhibitor_leads', 'csv')).rawPayload)
    t.same(leads[0], ['Aussteller', 'Stand', 'Aussteller-ID', 'Name', 'E-Mail', 'Firma', 'Bewertung', 'Tags', 'Notizen', 'Gerät', 'Erster Scan', 'Zuletzt geändert'])
    t.equal(leads.length, 3)
    const list = await readXlsx((await post('exhibitor_list', 'xlsx')).rawPayload, 'Exhibitors')
    t.same(list[0], ['ID', 'Name', 'Interne ID', 'Stand', 'Kontaktperson', 'Kontakt-E-Mail', 'CC-E-Mail', 'Sprache', 'Tags', 'Leads', 'Gutscheine', 'Lead-Scanning'])
  })

  t.test('bad parameters: 400 field errors in pretix\'s shape, nothing stored; unknown exporter 404', async (t) => {
    const before = await exportCount()
    const cases: Array<[string, unknown, unknown]> = [
      ['exhibitor_leads', {}, { _format: ['This field is required.'] }],
      ['exhibitor_leads', { _format: 'pdf' }, { _format: ['"pdf" is not a valid choice.'] }],
      ['exhibitor_list', { _format: null }, { _format: ['This field may not be null.'] }],
      ['exhibitor_leads', { _format: 'csv', exhibitors: 'all' }, { exhibitors: ['Expected a list of items but got type "str".'] }],
      ['exhibitor_leads', { _format: 'csv', exhibitors: ['x'] }, { exhibitors: [['A valid integer is required.']] }],
      ['exhibitor_leads', { _format: 'csv', exhibitors: [show.exhibitors[0], 999999] }, { exhibitors: ['Select a valid choice. 999999 is not one of the available choices.'] }],
      ['exhibitor_leads', { _format: 'csv', since: 'yesterday' }, { since: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'] }],
      ['exhibitor_leads', [], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }]
    ]
    for (const [identifier, payload, errors] of cases) {
      const res = await run(identifier, payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.same(res.json(), errors, JSON.stringify(payload))
    }
    // Another event's exhibitor is not one of this event's.
    const messeExhibitor = await h.db.selectFrom('exhibitors').innerJoin('events', 'events.id', 'exhibitors.event_id').select('exhibitors.id').where('events.slug', '=', 'messe').executeTakeFirstOrThrow()
    const foreign = await run('exhibitor_leads', { _format: 'csv', exhibitors: [messeExhibitor.id] })
    t.same(foreign.json(), { exhibitors: [`Select a valid choice. ${messeExhibitor.id} is not one of the available choices.`] })

    const malformed = await h.request(show.token, { method: 'POST', url: `${base}/exhibitor_leads/run/`, body: '{"_format": ', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.ok(malformed.json().detail)

    for (const payload of [{ _format: 'csv' }, { _format: 'pdf' }, []]) {
      const unknown = await run('orderlist', payload)
      t.equal(unknown.statusCode, 404)
      t.same(unknown.json(), { detail: 'Not found.' })
    }
    t.equal(await exportCount(), before, 'no export stored')
  })

  t.test('download URLs: unknown, malformed, of another event or organizer, expired: 404', async (t) => {
    const path = await start('exhibitor_leads', { _format: 'csv' })
    t.equal((await result(path)).statusCode, 200)
    const [, id, key] = new RegExp(`download/(${UUID})/(${UUID})/`).exec(path)!
    const notFound = { detail: 'Not found.' }
    for (const url of [
      `${base}/exhibitor_leads/download/${id}/${crypto.randomUUID()}/`,
      `${base}/exhibitor_leads/download/${crypto.randomUUID()}/${key}/`,
      `${base}/exhibitor_leads/download/${key}/${id}/`,
      `${base}/exhibitor_list/download/${id}/${key}/`,
      `${base}/orderlist/download/${id}/${key}/`,
      `${base}/exhibitor_leads/download/not-a-uuid/${key}/`,
      `/api/v1/organizers/bigevents/events/messe/exporters/exhibitor_leads/download/${id}/${key}/`
    ]) {
      const res = await get(url)
      t.equal(res.statusCode, 404, url)
      t.same(res.json(), notFound, url)
    }
    t.equal((await get(path)).statusCode, 200, 'the right URL still works')

    // Another organizer with an event of the same slug: its token sees nothing of bigevents'.
    const rival = await h.createEvent('sampleconf')
    t.equal(rival, 'sampleconf')
    const rivalUrl = `/api/v1/organizers/demo/events/sampleconf/exporters/exhibitor_leads/download/${id}/${key}/`
    const res = await get(rivalUrl, h.token)
    t.equal(res.statusCode, 404, 'another organizer\'s download URL under its own event')
    t.same(res.json(), notFound)

    // 24 hours later (moved, not waited for): expired, 404 even before the prune job deletes it.
    await h.db.updateTable('exports').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', id).execute()
    const expired = await get(path)
    t.equal(expired.statusCode, 404)
    t.same(expired.json(), notFound)
  })

  t.test('permissions: can_view_orders; another organizer\'s token 403', async (t) => {
    const path = await start('exhibitor_list', { _format: 'csv' })
    await result(path)
    const forbidden = { detail: 'You do not have permission to perform this action.' }
    const organizerId = (await h.db.selectFrom('organizers').select('id').where('slug', '=', 'bigevents').executeTakeFirstOrThrow()).id
    const withoutOrders = await h.tokenFor({ organizerId, team: 'no-orders', permissions: ['can_change_event_settings', 'can_view_vouchers', 'can_change_orders'] })
    const ordersOnly = await h.tokenFor({ organizerId, team: 'orders', permissions: ['can_view_orders'] })
    const otherOrganizer = h.token // every permission, of organizer demo
    for (const token of [withoutOrders, otherOrganizer]) {
      for (const res of [await get(`${base}/`, token), await run('exhibitor_leads', { _format: 'csv' }, token), await get(path, token)]) {
        t.equal(res.statusCode, 403)
        t.same(res.json(), forbidden)
      }
    }
    t.equal((await get(`${base}/`, ordersOnly)).statusCode, 200)
    t.equal((await run('exhibitor_leads', { _format: 'csv' }, ordersOnly)).statusCode, 202)
    t.equal((await get(path, ordersOnly)).statusCode, 200)
    const anonymous = await h.request(null, { method: 'GET', url: path })
    t.equal(anonymous.statusCode, 401)
  })

  t.test('an export that cannot succeed: 410 with a message', async (t) => {
    // Parameters no exporter reads (as a newer or broken writer could have stored them).
    const id = crypto.randomUUID()
    const key = crypto.randomUUID()
    await h.db.transaction().execute(async (trx) => {
      await queries.exports.createExport(trx, { id, key, eventId: show.eventId, identifier: 'exhibitor_leads', params: { _format: 'pdf' } as never })
    })
    const res = await result(`${base}/exhibitor_leads/download/${id}/${key}/`)
    t.equal(res.statusCode, 410)
    t.same(res.json(), { status: 'failed', message: 'The export parameters are not valid.' })
    const row = await h.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(row.status, 'failed')
    t.ok(row.expires_at, 'failed exports expire too')
  })

  t.test('X-Idempotency-Key: a repeated run answers the same download URL and starts one export', async (t) => {
    const before = await exportCount()
    const send = async () => await h.request(show.token, { method: 'POST', url: `${base}/exhibitor_list/run/`, payload: { _format: 'csv' }, headers: { 'x-idempotency-key': 'export-once' } })
    const first = await send()
    const second = await send()
    t.equal(first.statusCode, 202)
    t.equal(second.statusCode, 202)
    t.same(second.json(), first.json())
    t.equal(await exportCount(), before + 1)
  })
})

t.test('a worker killed while exporting: a new worker finishes it, and the file is whole', async (t) => {
  const prefix = testPrefix('exporters-kill')
  t.teardown(async () => { await removePrefix(redisUrl, prefix) })
  const h = await harness(t, { QUEUE_PREFIX: prefix })
  await h.createEvent('bigshow', { timezone: 'UTC' })
  await h.request(h.token, { method: 'PATCH', url: '/api/v1/organizers/demo/events/bigshow/exhibitor_settings/', payload: { lead_fields: ['attendee_name', 'attendee_email', 'company', 'order_code'] } })
  const event = (await queries.events.findEvent(h.db, h.organizerId, 'bigshow'))!
  const exhibitors = await Promise.all([1, 2, 3].map(async (n) => {
    const res = await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/bigshow/exhibitors/', payload: { name: `Exhibitor ${n}` } })
    return res.json().id as number
  }))
  const item = await queries.items.createItem(h.db, { event_id: event.id, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' })
  const LEADS = 60_000
  await seedBulkLeads(h.db, event.id, item.id, exhibitors, LEADS, 'K')

  const env = { DATABASE_URL: h.app.config.DATABASE_URL, QUEUE_PREFIX: prefix }
  const first = await startWorker(t, env)
  const started = await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/bigshow/exporters/exhibitor_leads/run/', payload: { _format: 'csv' } })
  t.equal(started.statusCode, 202)
  const path = new URL(started.json().download).pathname
  const id = new RegExp(`download/(${UUID})/`).exec(path)![1]

  // Killed once part of the file is stored and the rest is not (and progress has been reported:
  // a first chunk can be stored before the first progress update).
  const seen = await waitFor('the export running with part of its file stored', async () => {
    const res = await h.request(h.token, { method: 'GET', url: path })
    if (res.statusCode !== 409) throw new Error(`finished before it could be interrupted: ${res.statusCode}`)
    const body = res.json()
    const chunks = await h.db.selectFrom('export_chunks').select('seq').where('export_id', '=', id).execute()
    return body.status === 'running' && body.percentage > 0 && chunks.length > 0 ? { body, chunks: chunks.length } : undefined
  }, 60_000, 20)
  t.equal(seen.body.status, 'running')
  t.ok(seen.body.percentage > 0 && seen.body.percentage < 100, `409 running at ${seen.body.percentage} %`)
  await first.stop('SIGKILL')
  const interrupted = await h.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.equal(interrupted.status, 'running', 'left running by the dead worker')
  const pending = await h.request(h.token, { method: 'GET', url: path })
  t.equal(pending.statusCode, 409, 'no half file is served')

  await sleep(500)
  await startWorker(t, env)
  const res = await waitFor('the export done by the second worker', async () => {
    const r = await h.request(h.token, { method: 'GET', url: path })
    return r.statusCode === 409 ? undefined : r
  }, 120_000, 200)
  t.equal(res.statusCode, 200)
  const rows = readCsv(res.rawPayload)
  t.equal(rows.length, LEADS + 1, 'every lead, once')
  const stored = await storedLeads(h.db, event.id)
  const sample = (index: number): Value[] => expectedLeadRow(stored[index], 'csv', 'UTC')
  for (const index of [0, 1, 12_345, LEADS - 1]) t.same(rows[index + 1], sample(index), `row ${index + 1}`)
  t.same(new Set(rows.slice(1).map((row) => row[6])).size, LEADS, 'no lead twice')
  const done = await h.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.ok(done.run >= 2, `a later run finished it (run ${done.run})`)
  const runs = await h.db.selectFrom('export_chunks').select('run').distinct().where('export_id', '=', id).execute()
  t.same(runs, [{ run: done.run }], 'the dead run\'s chunks are gone')
})

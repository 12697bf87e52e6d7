import t from 'tap'
import { loadConfig } from '@showfloor/http'
import { PortalEnv } from '@showfloor/schemas'
import { buildApp } from '../src/app.js'
import { alertOf, show } from './helper.js'

t.test('dashboard: exhibitor, event, totals, leads per hour (chart and table), by rating and tag', async (t) => {
  const s = await show(t)
  const other = await s.addExhibitor({ name: 'Other' })
  const today = new Date()
  const scans = ['2026-12-01T09:10:00Z', '2026-12-01T09:50:00Z', '2026-12-02T15:00:00Z', today]
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { scanned: scans[0], rating: 5, tags: JSON.stringify(['hot', 'vip']) })
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { scanned: scans[1], rating: null, tags: JSON.stringify(['hot']), device_name: 'Phone', device_uuid: null })
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { scanned: scans[2], rating: 5, tags: JSON.stringify([]) })
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { scanned: today, rating: 1, tags: JSON.stringify([]) })
  // "Today" is the event's date (Europe/Berlin) now: on the event's own days the fixed scans count too.
  const berlinDay = (at: Date | string) => new Date(at).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' })
  const scannedToday = scans.filter((at) => berlinDay(at) === berlinDay(today)).length
  // Leads per hour of the event's days, on its wall clock: today's scan is among them while the
  // event runs (its own days are today's date then).
  const berlinHour = (at: Date | string) => new Date(at).toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }).slice(0, 13) + ':00'
  const perHour = new Map<string, number>()
  for (const at of scans) {
    const hour = berlinHour(at)
    if (['2026-12-01', '2026-12-02'].includes(berlinDay(at))) perHour.set(hour, (perHour.get(hour) ?? 0) + 1)
  }
  const hourRows = [...perHour].sort(([a], [b]) => a.localeCompare(b))
    .map(([hour, n]) => `<tr><th scope="row">${hour}</th><td class="num">${n}</td></tr>`).join('\\s*')
  await s.addLead(other.id, await s.addAttendee(), { scanned: '2026-12-01T09:10:00Z' })
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const res = await c.get('/dashboard')
  t.equal(res.statusCode, 200)
  const body = res.body
  t.match(body, /<dt>Event<\/dt><dd>Sample conference<\/dd>/)
  t.match(body, /<dt>Dates<\/dt><dd>2026-12-01 – 2026-12-02<\/dd>/)
  t.match(body, /<dt>Booth<\/dt><dd>A2<\/dd>/)
  t.match(body, /<span class="figure">4<\/span> Total leads/)
  t.match(body, new RegExp(`<span class="figure">${scannedToday}</span> Leads today`))
  t.match(body, /<span class="figure">2<\/span> Devices seen/)
  t.match(body, /<svg class="chart"[^>]*role="img" aria-labelledby="chart-title chart-desc"/)
  t.match(body, /<title id="chart-title">Leads per hour<\/title>/)
  t.equal((body.match(/<rect /g) ?? []).length, 48, 'one bar per hour of the two event days')
  t.match(body, new RegExp(`<title>2026-12-01 10:00: ${perHour.get('2026-12-01 10:00')}</title>`), 'hours on the event\'s wall clock (Europe/Berlin)')
  t.match(body, new RegExp(hourRows), 'the same numbers in a table')
  t.match(body, /<tr><th scope="row">1<\/th><td class="num">1<\/td><\/tr><tr><th scope="row">5<\/th><td class="num">2<\/td><\/tr><tr><th scope="row">None<\/th><td class="num">1<\/td><\/tr>/, 'by rating')
  t.match(body, /<tr><th scope="row">hot<\/th><td class="num">2<\/td><\/tr><tr><th scope="row">vip<\/th><td class="num">1<\/td><\/tr>/, 'by tag')
})

t.test('vouchers: only with allow_voucher_access; code, product, redemptions, valid until, comment', async (t) => {
  const s = await show(t)
  const item = await s.db.selectFrom('items').select('id').executeTakeFirstOrThrow()
  const [v1, v2] = await s.db.insertInto('vouchers').values([
    { event_id: s.eventId, code: 'BOOTHPASS0001', max_usages: 5, redeemed: 2, valid_until: '2026-12-02T16:00:00Z', item_id: item.id, price_mode: 'none' },
    { event_id: s.eventId, code: 'BOOTHPASS0002', max_usages: 1, redeemed: 0, valid_until: null, item_id: null, price_mode: 'none' }
  ]).returning('id').execute()
  await s.db.insertInto('exhibitor_vouchers').values([
    { voucher_id: v1.id, exhibitor_id: s.exhibitor.id, exhibitor_comment: 'For <our> customers' },
    { voucher_id: v2.id, exhibitor_id: s.exhibitor.id }
  ]).execute()
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const res = await c.get('/vouchers/')
  t.equal(res.statusCode, 200)
  t.match(res.body, /<th scope="row"><code>BOOTHPASS0001<\/code><\/th>\s*<td>Ticket<\/td>\s*<td>2 of 5<\/td>\s*<td class="time">2026-12-02 17:00<\/td>\s*<td>For &lt;our&gt; customers<\/td>/)
  t.match(res.body, /<th scope="row"><code>BOOTHPASS0002<\/code><\/th>\s*<td>All<\/td>\s*<td>0 of 1<\/td>\s*<td class="time"><\/td>\s*<td><\/td>/)
  t.equal((await c.get('/vouchers/?page=2')).statusCode, 404)
  t.equal((await c.get('/vouchers/?page=x')).statusCode, 400)

  const x = await s.addExhibitor({ name: 'No vouchers', allow_voucher_access: false })
  const d = s.client()
  await d.logIn(x.accessCode)
  const denied = await d.get('/vouchers/')
  t.equal(denied.statusCode, 403)
  t.equal(alertOf(denied.body), 'Your exhibitor account has no access to vouchers.')
  t.notMatch((await d.get('/dashboard')).body, /href="\/vouchers\/"/)
})

t.test('devices and "New staff code": the old code stops working at once, in the App API too', async (t) => {
  const s = await show(t)
  const attendee = await s.addAttendee()
  await s.addLead(s.exhibitor.id, attendee, { device_name: 'Tablet <1>', last_upload: '2026-11-29T10:00:00Z' })
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { device_name: 'Tablet <1>', last_upload: '2026-11-29T11:00:00Z' })
  await s.addLead(s.exhibitor.id, await s.addAttendee(), { device_name: null, device_uuid: null, last_upload: '2026-11-28T11:00:00Z' })
  const appApi = await s.appApi()
  const profile = (code: string) => appApi.inject({ method: 'GET', url: '/exhibitors/api/v1/profile', headers: { authorization: `Exhibitor ${code}` } })
  t.equal((await profile(s.exhibitor.scanCode)).statusCode, 200, 'the staff code works in the app')

  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const page = await c.get('/devices/')
  t.equal(page.statusCode, 200)
  t.match(page.body, /<th scope="row">Tablet &lt;1&gt;<\/th>\s*<td><code>d8c2ec53-d602-4a08-882d-db4cf54344a2<\/code><\/td>\s*<td class="num">2<\/td>\s*<td class="time">2026-11-29 12:00<\/td>/)
  t.match(page.body, /<th scope="row">\(no name\)<\/th>\s*<td><code><\/code><\/td>\s*<td class="num">1<\/td>/)
  t.match(page.body, new RegExp(`<code class="code" id="current-staff-code">${s.exhibitor.scanCode}</code>`))
  t.match(page.body, /<button type="submit" aria-describedby="new-code-help">New staff code<\/button>/)

  t.equal((await c.post('/devices/staff-code', {}, { csrf: false })).statusCode, 403, 'no token: refused')
  t.equal((await profile(s.exhibitor.scanCode)).statusCode, 200, 'and nothing changed')

  const res = await c.post('/devices/staff-code')
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/devices/?replaced=1')
  const stored = await s.db.selectFrom('exhibitors').select(['lead_scanning_access_code', 'access_code']).where('id', '=', s.exhibitor.id).executeTakeFirstOrThrow()
  const newCode = stored.lead_scanning_access_code
  t.not(newCode, s.exhibitor.scanCode)
  t.match(newCode, /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/, 'from the admin API\'s generator and alphabet')
  t.equal(stored.access_code, s.exhibitor.accessCode, 'the full access code stays')
  const codes = await s.db.selectFrom('exhibitor_access_codes').select(['code', 'full_access']).where('exhibitor_id', '=', s.exhibitor.id).orderBy('full_access').execute()
  t.same(codes, [{ code: newCode, full_access: false }, { code: s.exhibitor.accessCode, full_access: true }])
  const shown = await c.get(res.headers.location as string)
  t.match(shown.body, new RegExp(`<p role="status" class="saved">The staff code was replaced. The new code is ${newCode}.</p>`))
  t.equal((await profile(s.exhibitor.scanCode)).statusCode, 401, 'the old code stopped working in the App API')
  t.equal((await profile(newCode)).statusCode, 200, 'the new one works')
  t.equal((await profile(s.exhibitor.accessCode)).statusCode, 200)
  t.equal((await c.get('/dashboard')).statusCode, 200, 'the exhibitor stays logged in')
  t.equal((await s.client().logIn(newCode)).statusCode, 403, 'the new staff code cannot log in to the portal')
})

t.test('probes and metrics', async (t) => {
  const s = await show(t)
  t.equal((await s.app.inject({ url: '/healthz' })).statusCode, 200)
  t.equal((await s.app.inject({ url: '/readyz' })).statusCode, 200)
  const metrics = await s.app.inject({ url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /service="portal"/)
})

t.test('PORTAL_SECRET: required in production', async (t) => {
  const base = { ...process.env, LOG_LEVEL: 'silent' }
  await t.rejects(buildApp(loadConfig(PortalEnv, { ...base, NODE_ENV: 'production', PORTAL_SECRET: '' })), /PORTAL_SECRET must be set/)
  const short = await buildApp(loadConfig(PortalEnv, { ...base, NODE_ENV: 'production', PORTAL_SECRET: 'short' }))
  t.teardown(() => short.close())
  t.equal((await short.inject({ url: '/healthz' })).statusCode, 200, 'a short one is used (with a warning)')
  const dev = await buildApp(loadConfig(PortalEnv, { ...base, NODE_ENV: 'development', PORTAL_SECRET: '' }))
  t.teardown(() => dev.close())
  t.equal((await dev.inject({ url: '/healthz' })).statusCode, 200, 'outside production a random secret is used')
})

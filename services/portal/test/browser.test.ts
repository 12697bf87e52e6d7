import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { chromium, type Browser, type Page } from 'playwright-core'
import { show } from './helper.js'

// One browser for the file: Debian's Chromium, headless.
let browser: Browser
t.before(async () => {
  browser = await chromium.launch({
    headless: true,
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
})
t.teardown(async () => { await browser?.close() })

async function setUp (t: Test) {
  const s = await show(t)
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`
  const ada = await s.addAttendee({ attendee_name: 'Ada Lovelace', attendee_name_parts: JSON.stringify({ given_name: 'Ada', family_name: 'Lovelace' }), company: 'Analytical Engines' })
  const bob = await s.addAttendee({ attendee_name: 'Bob Builder', attendee_name_parts: JSON.stringify({ given_name: 'Bob', family_name: 'Builder' }), company: 'Construction Ltd' })
  const adaLead = await s.addLead(s.exhibitor.id, ada, { rating: 5, tags: JSON.stringify(['hot']), notes: 'Wants a demo', first_upload: '2026-11-29T09:00:00Z', last_upload: '2026-11-29T09:00:00Z' })
  await s.addLead(s.exhibitor.id, bob, { rating: 2, tags: JSON.stringify([]), notes: '', device_name: 'Phone 2', first_upload: '2026-11-29T10:00:00Z', last_upload: '2026-11-29T10:00:00Z' })
  const context = await browser.newContext({ baseURL: base, locale: 'en-US' })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  return { s, base, page, adaLead }
}

async function logIn (page: Page, code: string) {
  await page.goto('/')
  await page.getByLabel('Access code').fill(code)
  await page.getByRole('button', { name: 'Log in' }).click()
}

t.test('log in, see the dashboard, search and filter, edit a lead and see it in the App API, log out', async (t) => {
  const { s, page, adaLead } = await setUp(t)
  await logIn(page, 'WRONGCODE')
  t.equal(await page.getByRole('alert').textContent(), 'Invalid access code.')
  await logIn(page, s.exhibitor.scanCode)
  t.equal(await page.getByRole('alert').textContent(), 'This code is for scanning devices. Log in with the access code from your email.')

  await logIn(page, s.exhibitor.accessCode.toLowerCase())
  await page.waitForURL('**/dashboard')
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dashboard')
  t.ok(await page.getByText('Aperture Science').first().isVisible())
  t.ok(await page.getByRole('img', { name: 'Leads per hour' }).isVisible(), 'the chart, named by its title')
  t.equal(await page.getByRole('table', { name: 'Leads by rating' }).getByRole('row').count(), 3, 'header, 2 and 5')

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' }).click()
  t.equal(await page.getByRole('table').getByRole('row').count(), 3, 'header and two leads')
  await page.getByLabel('Search').fill('analytical')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  t.equal(await page.getByRole('table').getByRole('row').count(), 2)
  t.ok(await page.getByRole('link', { name: 'Ada Lovelace' }).isVisible())
  await page.getByRole('link', { name: 'Reset filters' }).click()
  await page.getByLabel('Rating').selectOption('2')
  await page.getByLabel('Device').selectOption('Phone 2')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  t.equal(await page.getByRole('table').getByRole('row').count(), 2)
  t.ok(await page.getByRole('link', { name: 'Bob Builder' }).isVisible())
  await page.getByRole('link', { name: 'Reset filters' }).click()

  await page.getByRole('link', { name: 'Ada Lovelace' }).click()
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Ada Lovelace')
  await page.getByLabel('Rating').selectOption('1')
  await page.getByLabel('hot', { exact: true }).uncheck()
  await page.getByLabel('cold', { exact: true }).check()
  await page.getByLabel('Notes').fill('Follow up in January')
  await page.getByRole('button', { name: 'Save' }).click()
  t.equal(await page.getByRole('status').textContent(), 'Saved.')
  t.equal(await page.getByLabel('Notes').inputValue(), 'Follow up in January')
  await page.reload()
  t.equal(await page.getByLabel('Rating').inputValue(), '1', 'a reload posts nothing again and shows the stored value')

  const appApi = await s.appApi()
  const leads = await appApi.inject({ method: 'GET', url: '/exhibitors/api/v1/leads/', headers: { authorization: `Exhibitor ${s.exhibitor.accessCode}` } })
  const seen = leads.json().results.find((lead: { id?: number, attendee: { fields: Array<{ value: string }> } }) => lead.attendee.fields.some((f) => f.value === 'Ada Lovelace'))
  t.same({ rating: seen.rating, tags: seen.tags, notes: seen.notes }, { rating: 1, tags: ['cold'], notes: 'Follow up in January' }, 'the App API sees the change')
  t.ok(adaLead > 0)

  await page.getByRole('button', { name: 'Log out' }).click()
  t.ok(await page.getByLabel('Access code').isVisible())
  await page.goto('/dashboard')
  t.ok(await page.getByLabel('Access code').isVisible(), 'logged out')
})

t.test('download both exports and read them back; "only new since my last export"', async (t) => {
  const { s, page } = await setUp(t)
  await logIn(page, s.exhibitor.accessCode)
  await page.goto('/leads/')

  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
  t.match(csvDownload.suggestedFilename(), /^sampleconf-aperture-science-leads-\d{4}-\d{2}-\d{2}\.csv$/)
  const csv = parse(await readFile((await csvDownload.path())!), { bom: true }) as string[][]
  t.same(csv.map((row) => row[0]), ['Name', 'Bob Builder', 'Ada Lovelace'])

  const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Excel' }).click()])
  t.match(xlsxDownload.suggestedFilename(), /\.xlsx$/)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile((await xlsxDownload.path())!)
  const sheet = workbook.getWorksheet('Leads')!
  t.same([sheet.getCell('A1').value, sheet.getCell('A2').value, sheet.getCell('A3').value], ['Name', 'Bob Builder', 'Ada Lovelace'])

  await page.reload()
  await page.getByLabel('Only leads new since my last export').check()
  const [onlyNew] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
  const none = parse(await readFile((await onlyNew.path())!), { bom: true }) as string[][]
  t.equal(none.length, 1, 'nothing new since the last export: the header only')

  await page.getByLabel('Search').fill('bob')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  const [filtered] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
  const rows = parse(await readFile((await filtered.path())!), { bom: true }) as string[][]
  t.same(rows.slice(1).map((row) => row[0]), ['Bob Builder'], 'what the list shows')
})

t.test('switch language; a phone-sized screen', async (t) => {
  const { s, page } = await setUp(t)
  await page.setViewportSize({ width: 375, height: 740 })
  await page.goto('/')
  await page.getByRole('button', { name: 'Deutsch' }).click()
  t.ok(await page.getByLabel('Zugangscode').isVisible())
  await page.getByLabel('Zugangscode').fill(s.exhibitor.accessCode)
  await page.getByRole('button', { name: 'Anmelden' }).click()
  await page.waitForURL('**/dashboard')
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Übersicht')
  t.ok(await page.getByRole('button', { name: 'Abmelden' }).isVisible())
  await page.getByRole('link', { name: 'Leads' }).click()
  t.ok(await page.getByLabel('Suchen').isVisible())
  t.ok(await page.getByLabel('Bewertung').isVisible())
  t.ok(await page.getByLabel('Gerät').isVisible())
  t.ok(await page.getByRole('button', { name: 'CSV herunterladen' }).isVisible())
  t.ok(await page.getByLabel('Nur neue Leads seit meinem letzten Export').isVisible())
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  t.ok(width <= 375, `no sideways scrolling of the page on a phone (${width}px)`)
  await page.getByRole('button', { name: 'English' }).click()
  t.ok(await page.getByLabel('Search').isVisible(), 'back to English, on the same page')
  await page.getByRole('link', { name: 'Devices' }).click()
  await page.getByRole('button', { name: 'New staff code' }).click()
  const status = await page.getByRole('status').textContent()
  const code = /The new code is ([A-Z0-9]+)\./.exec(status ?? '')?.[1]
  t.ok(code !== undefined && code !== s.exhibitor.scanCode, `a new staff code is shown (${code})`)
})

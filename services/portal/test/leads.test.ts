import t from 'tap'
import { alertOf, show, type Show } from './helper.js'

/** `n` leads for the exhibitor, scanned a minute apart (the last is the newest). */
async function manyLeads (s: Show, n: number): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < n; i++) {
    const attendee = await s.addAttendee()
    ids.push(await s.addLead(s.exhibitor.id, attendee, { first_upload: new Date(Date.UTC(2026, 11, 1, 9, i)), scanned: new Date(Date.UTC(2026, 11, 1, 9, i)) }))
  }
  return ids
}

/** The lead ids linked from a leads page, in order. */
const linkedIds = (body: string) => [...body.matchAll(/<a href="\/leads\/(\d+)\/">/g)].map((m) => Number(m[1]))

t.test('the list: newest first, 50 a page, page links, past the end 404', async (t) => {
  const s = await show(t)
  const ids = await manyLeads(s, 53)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const first = await c.get('/leads/')
  t.equal(first.statusCode, 200)
  t.same(linkedIds(first.body), ids.slice(3).reverse())
  t.match(first.body, /53 leads/)
  t.match(first.body, /Page 1 of 2/)
  t.match(first.body, /<a rel="next" href="\/leads\/\?page=2">Next page<\/a>/)
  t.match(first.body, /<th scope="col">Name<\/th><th scope="col">Email<\/th><th scope="col">Company<\/th>/)
  t.match(first.body, /<th scope="col">Rating<\/th><th scope="col">Tags<\/th><th scope="col">Notes<\/th>\s*<th scope="col">Device<\/th><th scope="col">First scanned<\/th>/)
  t.match(first.body, /<td class="time">2026-12-01 10:52<\/td>/, 'times in the event\'s timezone (Europe/Berlin)')
  const second = await c.get('/leads/?page=2')
  t.same(linkedIds(second.body), ids.slice(0, 3).reverse())
  t.match(second.body, /<a rel="prev" href="\/leads\/">Previous page<\/a>/)
  t.equal((await c.get('/leads/?page=3')).statusCode, 404)
  t.equal((await c.get('/leads/?page=abc')).statusCode, 400)
  t.equal((await c.get('/leads/?page=0')).statusCode, 400)
  t.equal((await c.get('/leads')).statusCode, 200, 'without the trailing slash too')
})

t.test('search and filters', async (t) => {
  const s = await show(t)
  const ada = await s.addAttendee({ attendee_name: 'Ada Lovelace', attendee_name_parts: JSON.stringify({ given_name: 'Ada', family_name: 'Lovelace' }), company: 'Analytical Engines', attendee_email: 'ada@engines.example' })
  const bob = await s.addAttendee({ attendee_name: 'Bob 100%_Sure', attendee_name_parts: JSON.stringify({ given_name: 'Bob', family_name: '100%_Sure' }) })
  const cy = await s.addAttendee()
  const adaLead = await s.addLead(s.exhibitor.id, ada, { rating: 5, tags: JSON.stringify(['hot', 'vip']), device_name: 'Tablet 1' })
  const bobLead = await s.addLead(s.exhibitor.id, bob, { rating: null, tags: JSON.stringify([]), notes: 'call back about pricing', device_name: 'Phone 2' })
  const cyLead = await s.addLead(s.exhibitor.id, cy, { rating: 0, tags: JSON.stringify(['cold']), device_name: null, device_uuid: null })
  const otherExhibitor = await s.addExhibitor({ name: 'Other' })
  await s.addLead(otherExhibitor.id, ada, { notes: 'pricing' })
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const ids = async (query: string) => {
    const res = await c.get(`/leads/?${query}`)
    t.equal(res.statusCode, 200, query)
    return linkedIds(res.body).sort((a, b) => a - b)
  }
  t.same(await ids('q=lovelace'), [adaLead], 'by name')
  t.same(await ids('q=ANALYTICAL'), [adaLead], 'by company')
  t.same(await ids('q=engines.example'), [adaLead], 'by email')
  t.same(await ids('q=pricing'), [bobLead], 'by notes, only this exhibitor\'s')
  t.same(await ids('q=100%25_'), [bobLead], '% and _ match themselves')
  t.same(await ids('q=%25'), [bobLead])
  t.same(await ids('tag=hot'), [adaLead])
  t.same(await ids('tag=cold'), [cyLead])
  t.same(await ids('rating=none'), [bobLead])
  t.same(await ids('rating=0'), [cyLead])
  t.same(await ids('rating=5&tag=vip'), [adaLead])
  t.same(await ids('device=Phone+2'), [bobLead])
  t.same(await ids('q=nobody'), [])
  const page = await c.get('/leads/?tag=hot')
  t.match(page.body, /<option value="hot" selected>hot<\/option>/, 'the filter shows its choice')
  t.match(page.body, /<label for="q">Search<\/label>/)
  t.match(page.body, /<label for="tag">Tag<\/label>/)
  t.match(page.body, /<label for="rating">Rating<\/label>/)
  t.match(page.body, /<label for="device">Device<\/label>/)
  t.match(page.body, /<option value="none">None<\/option>/)
  t.match(page.body, /<option value="Phone 2">Phone 2<\/option>/)
})

t.test('filters at and over their limits', async (t) => {
  const s = await show(t)
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  t.equal((await c.get(`/leads/?q=${'x'.repeat(200)}`)).statusCode, 200)
  const q = await c.get(`/leads/?q=${'x'.repeat(201)}`)
  t.equal(q.statusCode, 400)
  t.equal(alertOf(q.body), 'Search: at most 200 characters.')
  t.equal((await c.get(`/leads/?tag=${'x'.repeat(255)}`)).statusCode, 200)
  t.equal((await c.get(`/leads/?tag=${'x'.repeat(256)}`)).statusCode, 400)
  t.equal((await c.get(`/leads/?device=${'x'.repeat(190)}`)).statusCode, 200)
  t.equal((await c.get(`/leads/?device=${'x'.repeat(191)}`)).statusCode, 400)
  const rating = await c.get('/leads/?rating=6')
  t.equal(rating.statusCode, 400)
  t.equal(alertOf(rating.body), 'Rating: this value is not valid.')
  t.equal((await c.get('/leads/?q=a%00b')).statusCode, 400, 'a NUL character')
  t.equal((await c.get('/leads/?page=99999999999')).statusCode, 400)
})

t.test('lead detail and edit: saved, outbox row, change time; the App API sees it', async (t) => {
  const s = await show(t)
  const attendee = await s.addAttendee()
  const leadId = await s.addLead(s.exhibitor.id, attendee, { tags: JSON.stringify(['legacy']), last_upload: '2026-12-01T10:15:00Z' })
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  const page = await c.get(`/leads/${leadId}/`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<h1>Jon Doe 1<\/h1>/)
  t.match(page.body, /<dt>Email<\/dt><dd>jon1@example.com<\/dd>/)
  t.match(page.body, /<li>Given name: Jon<\/li><li>Family name: Doe 1<\/li>/)
  t.match(page.body, /<label for="lead-rating">Rating<\/label>/)
  t.match(page.body, /<legend>Tags<\/legend>/)
  t.match(page.body, /value="hot"> <label for="tag-0">hot<\/label>/, 'the event\'s tags')
  t.match(page.body, /value="legacy" checked> <label for="tag-2">legacy<\/label>/, 'and the lead\'s own')
  t.match(page.body, /<button type="submit">Save<\/button>/)
  t.equal(alertOf(page.body), null)

  const saved = await c.post(`/leads/${leadId}/`, { rating: '5', tags: ['cold', 'legacy'], notes: 'Met at <booth> & "lunch"' })
  t.equal(saved.statusCode, 303)
  t.equal(saved.headers.location, `/leads/${leadId}/?saved=1`)
  const after = await c.get(saved.headers.location as string)
  t.match(after.body, /<p role="status" class="saved">Saved.<\/p>/)
  t.match(after.body, /Met at &lt;booth&gt; &amp; &quot;lunch&quot;/, 'escaped')
  const row = await s.db.selectFrom('leads').select(['rating', 'tags', 'notes', 'last_upload', 'first_upload']).where('id', '=', leadId).executeTakeFirstOrThrow()
  t.same({ rating: row.rating, tags: row.tags, notes: row.notes }, { rating: 5, tags: ['cold', 'legacy'], notes: 'Met at <booth> & "lunch"' })
  t.ok(row.last_upload.getTime() > Date.now() - 60_000, 'last_upload is now')
  const outbox = await s.db.selectFrom('outbox').select(['topic', 'payload']).execute()
  t.same(outbox, [{ topic: 'lead.enrich', payload: { lead_id: leadId } }], 'the outbox row an upload writes')

  const none = await c.post(`/leads/${leadId}/`, { rating: '', notes: '' })
  t.equal(none.statusCode, 303)
  const cleared = await s.db.selectFrom('leads').select(['rating', 'tags', 'notes']).where('id', '=', leadId).executeTakeFirstOrThrow()
  t.same(cleared, { rating: null, tags: [], notes: '' }, 'saving replaces all three values')

  await c.post(`/leads/${leadId}/`, { rating: '2', tags: ['hot'], notes: 'Seen in the app' })
  const appApi = await s.appApi()
  const list = await appApi.inject({ method: 'GET', url: '/exhibitors/api/v1/leads/', headers: { authorization: `Exhibitor ${s.exhibitor.accessCode}` } })
  t.equal(list.statusCode, 200)
  const lead = list.json().results[0]
  t.same({ rating: lead.rating, tags: lead.tags, notes: lead.notes }, { rating: 2, tags: ['hot'], notes: 'Seen in the app' })
})

t.test('edit: every field at and over its limit; nothing stored on refusal', async (t) => {
  const s = await show(t)
  const leadId = await s.addLead(s.exhibitor.id, await s.addAttendee())
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get(`/leads/${leadId}/`)
  const stored = async () => await s.db.selectFrom('leads').select(['rating', 'tags', 'notes']).where('id', '=', leadId).executeTakeFirstOrThrow()
  const before = await stored()

  const long = await c.post(`/leads/${leadId}/`, { rating: '4', notes: 'n'.repeat(10_001) })
  t.equal(long.statusCode, 400)
  t.equal(alertOf(long.body), 'Notes: at most 10000 characters.')
  t.match(long.body, /<option value="4" selected>4<\/option>/, 'the form keeps what was sent')
  for (const [rating, why] of [['6', 'over 5'], ['-1', 'negative'], ['x', 'not a number'], ['2.5', 'not whole']]) {
    const res = await c.post(`/leads/${leadId}/`, { rating, notes: 'x' })
    t.equal(res.statusCode, 400, why)
    t.equal(alertOf(res.body), 'Rating: this value is not valid.')
  }
  const badTag = await c.post(`/leads/${leadId}/`, { tags: ['made-up'] })
  t.equal(badTag.statusCode, 400)
  t.equal(alertOf(badTag.body), 'Tags: choose from the list.')
  t.equal((await c.post(`/leads/${leadId}/`, { notes: 'a\u0000b' })).statusCode, 400, 'a NUL character')
  t.same(await stored(), before, 'nothing changed')
  t.equal((await s.db.selectFrom('outbox').select('id').execute()).length, 0, 'no outbox row')

  const atLimit = await c.post(`/leads/${leadId}/`, { rating: '0', notes: 'n'.repeat(10_000) })
  t.equal(atLimit.statusCode, 303, '10,000 characters are accepted')
  t.equal((await stored()).notes.length, 10_000)
})

t.test('unknown, foreign and malformed lead ids: 404', async (t) => {
  const s = await show(t)
  const other = await s.addExhibitor({ name: 'Other' })
  const foreign = await s.addLead(other.id, await s.addAttendee())
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  for (const url of [`/leads/${foreign}/`, '/leads/999999/', '/leads/abc/', '/leads/-1/', '/leads/1.5/', '/leads/99999999999999999999/', '/leads/0/']) {
    const res = await c.get(url)
    t.equal(res.statusCode, 404, url)
    t.equal(alertOf(res.body), 'This page does not exist.')
  }
  const post = await c.post(`/leads/${foreign}/`, { rating: '1', notes: 'mine now' })
  t.equal(post.statusCode, 404, 'another exhibitor\'s lead cannot be edited')
  const row = await s.db.selectFrom('leads').select(['rating', 'notes']).where('id', '=', foreign).executeTakeFirstOrThrow()
  t.same(row, { rating: 3, notes: 'Wants a demo' })
  t.equal((await c.post('/leads/abc/', { notes: 'x' })).statusCode, 404)
})

t.test('CSRF: an edit without a valid token is refused and changes nothing', async (t) => {
  const s = await show(t)
  const leadId = await s.addLead(s.exhibitor.id, await s.addAttendee())
  const c = s.client()
  await c.logIn(s.exhibitor.accessCode)
  await c.get(`/leads/${leadId}/`)
  t.equal((await c.post(`/leads/${leadId}/`, { rating: '1', notes: 'forged' }, { csrf: false })).statusCode, 403)
  t.equal((await c.post(`/leads/${leadId}/`, { rating: '1', notes: 'forged' }, { csrf: 'nope' })).statusCode, 403)
  const row = await s.db.selectFrom('leads').select(['rating', 'notes']).where('id', '=', leadId).executeTakeFirstOrThrow()
  t.same(row, { rating: 3, notes: 'Wants a demo' })
})

t.test('without allow_lead_access: no leads pages, no link', async (t) => {
  const s = await show(t)
  const x = await s.addExhibitor({ name: 'No leads', allow_lead_access: false })
  const leadId = await s.addLead(x.id, await s.addAttendee())
  const c = s.client()
  await c.logIn(x.accessCode)
  const dash = await c.get('/dashboard')
  t.equal(dash.statusCode, 200)
  t.notMatch(dash.body, /href="\/leads\/"/)
  for (const url of ['/leads/', `/leads/${leadId}/`]) {
    const res = await c.get(url)
    t.equal(res.statusCode, 403, url)
    t.equal(alertOf(res.body), 'Your exhibitor account has no access to leads.')
  }
  t.equal((await c.post(`/leads/${leadId}/`, { notes: 'x' })).statusCode, 403)
  t.equal((await c.post('/leads/export', { format: 'csv' })).statusCode, 403)
  t.equal((await s.db.selectFrom('leads').select('notes').where('id', '=', leadId).executeTakeFirstOrThrow()).notes, 'Wants a demo')
})

t.test('not logged in: every page sends to the login', async (t) => {
  const s = await show(t)
  const c = s.client()
  for (const url of ['/dashboard', '/leads/', '/leads/1/', '/vouchers/', '/devices/']) {
    const res = await c.get(url)
    t.equal(res.statusCode, 303, url)
    t.equal(res.headers.location, '/')
  }
  await c.get('/')
  t.equal((await c.post('/devices/staff-code')).statusCode, 303)
})

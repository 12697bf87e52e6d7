import t from 'tap'
import { queries } from '@showfloor/db'
import { harness } from './helper.js'

const CODE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/

const parts = {
  _scheme: 'salutation_title_given_family',
  family_name: 'Johnson',
  given_name: 'Cave',
  salutation: '',
  title: 'Dr'
}

/** The exhibitor of the document's examples, without its id and access codes. */
const aperture = {
  name: 'Aperture Science',
  internal_id: null,
  contact_name: 'Dr Cave Johnson',
  contact_name_parts: parts,
  contact_email: 'johnson@as.example.org',
  contact_cc_email: 'miller@as.example.org,smith@as.example.org',
  booth: 'A2',
  locale: 'de',
  lead_scanning_scope_by_device: false,
  allow_lead_scanning: true,
  allow_lead_access: true,
  allow_voucher_access: true,
  comment: '',
  exhibitor_tags: ['Gold Sponsor']
}

/** What a client sends: the resource without its derived contact_name (sending both is a 400). */
const { contact_name: _derived, ...apertureWrite } = aperture

function generated (body: Record<string, unknown>): Record<string, unknown> {
  const { id, access_code: a, lead_scanning_access_code: b, ...rest } = body
  return rest
}

t.test('exhibitors', async (t) => {
  const h = await harness(t)
  const slug = await h.createEvent('conf', { locale: 'fr' })
  const eventId = (await h.db.selectFrom('events').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  await h.createEvent('other')
  const otherEventId = (await h.db.selectFrom('events').select('id').where('slug', '=', 'other').executeTakeFirstOrThrow()).id
  await h.db.insertInto('exhibitor_tags').values([
    { event_id: eventId, name: 'Gold Sponsor' },
    { event_id: eventId, name: 'Startup' },
    { event_id: otherEventId, name: 'Elsewhere' }
  ]).execute()

  const url = `/api/v1/organizers/demo/events/${slug}/exhibitors/`
  const post = async (payload: unknown, token = h.token, headers: Record<string, string> = {}) =>
    await h.request(token, { method: 'POST', url, payload: payload as Record<string, unknown>, headers })
  const create = async (payload: Record<string, unknown>) => {
    const res = await post(payload)
    if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const stored = async (id: number) => await h.db.selectFrom('exhibitors').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  t.test('create: defaults, codes, access code rows', async (t) => {
    const res = await post({ name: 'Black Mesa' })
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    t.same(generated(body), {
      name: 'Black Mesa',
      internal_id: null,
      contact_name: null,
      contact_name_parts: {},
      contact_email: null,
      contact_cc_email: null,
      booth: null,
      locale: 'fr',
      lead_scanning_scope_by_device: false,
      allow_lead_scanning: true,
      allow_lead_access: true,
      allow_voucher_access: true,
      comment: '',
      exhibitor_tags: []
    }, 'locale defaults to the event locale, everything else to the contract defaults')
    t.match(body.access_code, CODE)
    t.match(body.lead_scanning_access_code, CODE)
    t.not(body.access_code, body.lead_scanning_access_code)
    const codes = await h.db.selectFrom('exhibitor_access_codes').selectAll().where('exhibitor_id', '=', body.id).orderBy('full_access', 'desc').execute()
    t.same(codes, [
      { code: body.access_code, exhibitor_id: body.id, full_access: true },
      { code: body.lead_scanning_access_code, exhibitor_id: body.id, full_access: false }
    ])
    const row = await stored(body.id)
    t.equal(row.access_code, body.access_code)
    t.equal(row.lead_scanning_access_code, body.lead_scanning_access_code)
  })

  t.test('read-only fields in a body are ignored', async (t) => {
    const res = await post({ name: 'Readonly', id: 999999, access_code: 'AAAAAAAA', lead_scanning_access_code: 'BBBBBBBB' })
    t.equal(res.statusCode, 201)
    t.not(res.json().id, 999999)
    t.not(res.json().access_code, 'AAAAAAAA')
    t.not(res.json().lead_scanning_access_code, 'BBBBBBBB')
    const patched = await h.request(h.token, { method: 'PATCH', url: `${url}${res.json().id}/`, payload: { access_code: 'AAAAAAAA', lead_scanning_access_code: 'BBBBBBBB' } })
    t.equal(patched.statusCode, 200)
    t.equal(patched.json().access_code, res.json().access_code)
    t.equal(patched.json().lead_scanning_access_code, res.json().lead_scanning_access_code)
  })

  t.test('contact name variants', async (t) => {
    const fromParts = await create({ name: 'P', contact_name_parts: parts })
    t.equal(fromParts.contact_name, 'Dr Cave Johnson')
    t.same(fromParts.contact_name_parts, parts, 'parts stored as sent, with _scheme')

    const spaced = await create({ name: 'S', contact_name_parts: { _scheme: 'salutation_title_given_family', salutation: 'Mr', title: '', given_name: ' Gordon ', family_name: 'Freeman' } })
    t.equal(spaced.contact_name, 'Gordon Freeman', 'salutation and empty parts left out, single spaces')

    const legacy = await create({ name: 'L', contact_name: 'Cave Johnson' })
    t.equal(legacy.contact_name, 'Cave Johnson')
    t.same(legacy.contact_name_parts, { _legacy: 'Cave Johnson' })

    const emptyParts = await create({ name: 'E', contact_name: 'Chell', contact_name_parts: {} })
    t.equal(emptyParts.contact_name, 'Chell', 'empty parts next to a name is not "both"')

    const nameless = await create({ name: 'N', contact_name: null })
    t.equal(nameless.contact_name, null)
    t.same(nameless.contact_name_parts, {})

    const both = await post({ name: 'B', contact_name: 'Cave Johnson', contact_name_parts: parts })
    t.equal(both.statusCode, 400)
    t.same(Object.keys(both.json()), ['contact_name'])

    const read = (await h.request(h.token, { method: 'GET', url: `${url}${fromParts.id}/` })).json()
    const roundTrip = await h.request(h.token, { method: 'PUT', url: `${url}${fromParts.id}/`, payload: read })
    t.equal(roundTrip.statusCode, 200, 'a body read by GET can be sent back by PUT: its name agrees with its parts')
    t.same(roundTrip.json(), read)

    const badParts = await post({ name: 'B', contact_name_parts: { given_name: 5 } })
    t.equal(badParts.statusCode, 400)
    t.ok(badParts.json().contact_name_parts)

    const patchedToLegacy = await h.request(h.token, { method: 'PATCH', url: `${url}${fromParts.id}/`, payload: { contact_name: 'Caroline' } })
    t.equal(patchedToLegacy.json().contact_name, 'Caroline')
    t.same(patchedToLegacy.json().contact_name_parts, { _legacy: 'Caroline' })
    const patchedBoth = await h.request(h.token, { method: 'PATCH', url: `${url}${fromParts.id}/`, payload: { contact_name: 'X', contact_name_parts: parts } })
    t.equal(patchedBoth.statusCode, 400)
    const cleared = await h.request(h.token, { method: 'PATCH', url: `${url}${fromParts.id}/`, payload: { contact_name: null } })
    t.equal(cleared.json().contact_name, null)
    t.same(cleared.json().contact_name_parts, {})
  })

  t.test('field validation', async (t) => {
    const missing = await post({})
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { name: ['This field is required.'] })
    const blank = await post({ name: '  ' })
    t.equal(blank.statusCode, 400)
    t.same(blank.json(), { name: ['This field may not be blank.'] })

    const res = await post({
      name: 'x'.repeat(191),
      internal_id: 'i'.repeat(256),
      booth: 'b'.repeat(101),
      contact_email: 'not an email',
      lead_scanning_scope_by_device: 'yes',
      allow_lead_scanning: null,
      exhibitor_tags: 'Gold Sponsor',
      locale: 'english please'
    })
    t.equal(res.statusCode, 400)
    const body = res.json()
    t.same(body.name, ['Ensure this field has no more than 190 characters.'])
    t.same(body.internal_id, ['Ensure this field has no more than 255 characters.'])
    t.same(body.booth, ['Ensure this field has no more than 100 characters.'])
    t.same(body.lead_scanning_scope_by_device, ['Must be a valid boolean.'])
    t.same(body.allow_lead_scanning, ['This field may not be null.'])
    t.ok(body.exhibitor_tags)
    t.ok(body.locale)

    const email = await post({ name: 'x', contact_email: 'not an email', contact_cc_email: 'a@example.org, nope' })
    t.equal(email.statusCode, 400)
    t.same(email.json().contact_email, ['Enter a valid email address.'])
    t.same(email.json().contact_cc_email, ['"nope" is not a valid email address.'])

    const ok = await create({ name: 'Mail', contact_email: 'a@example.org', contact_cc_email: ' b@example.org ,  c@example.org' })
    t.equal(ok.contact_cc_email, 'b@example.org,c@example.org', 'whitespace around commas tolerated')
    const nulls = await create({ name: 'Nulls', contact_email: null, contact_cc_email: null, internal_id: null, booth: null })
    t.equal(nulls.contact_email, null)
    t.equal(nulls.contact_cc_email, null)
    const edge = await create({ name: 'y'.repeat(190), internal_id: 'i'.repeat(255), booth: 'b'.repeat(100) })
    t.equal(edge.booth.length, 100)

    const malformed = await h.request(h.token, { method: 'POST', url, payload: '{"name": ', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)
    const list = await h.request(h.token, { method: 'POST', url, payload: '[]', headers: { 'content-type': 'application/json' } })
    t.equal(list.statusCode, 400)
  })

  t.test('exhibitor tags', async (t) => {
    const tagged = await create({ name: 'Tagged', exhibitor_tags: ['Startup', 'Gold Sponsor', 'Startup'] })
    t.same(tagged.exhibitor_tags, ['Gold Sponsor', 'Startup'])
    const unknown = await post({ name: 'Bad tags', exhibitor_tags: ['Gold Sponsor', 'Platinum', 'Elsewhere'] })
    t.equal(unknown.statusCode, 400)
    t.same(Object.keys(unknown.json()), ['exhibitor_tags'])
    t.match(unknown.json().exhibitor_tags[0], /Platinum/)
    t.match(unknown.json().exhibitor_tags[1], /Elsewhere/, 'a tag of another event is unknown here')
    const before = await h.db.selectFrom('exhibitors').select('id').where('name', '=', 'Bad tags').execute()
    t.equal(before.length, 0, 'nothing stored')

    const patched = await h.request(h.token, { method: 'PATCH', url: `${url}${tagged.id}/`, payload: { exhibitor_tags: ['Startup'] } })
    t.same(patched.json().exhibitor_tags, ['Startup'])
    const badPatch = await h.request(h.token, { method: 'PATCH', url: `${url}${tagged.id}/`, payload: { exhibitor_tags: ['Nope'], comment: 'changed' } })
    t.equal(badPatch.statusCode, 400)
    t.equal((await stored(tagged.id)).comment, '', 'a rejected PATCH changes nothing')
    const untouched = await h.request(h.token, { method: 'PATCH', url: `${url}${tagged.id}/`, payload: { comment: 'kept tags' } })
    t.same(untouched.json().exhibitor_tags, ['Startup'])
  })

  t.test('PUT resets what is not sent, PATCH changes only what is sent', async (t) => {
    const full = await create({ ...apertureWrite, internal_id: 'X1', comment: 'vip', allow_lead_scanning: false, lead_scanning_scope_by_device: true })
    const patch = await h.request(h.token, { method: 'PATCH', url: `${url}${full.id}/`, payload: { booth: 'B7' } })
    t.equal(patch.statusCode, 200)
    t.same(generated(patch.json()), { ...aperture, internal_id: 'X1', comment: 'vip', allow_lead_scanning: false, lead_scanning_scope_by_device: true, booth: 'B7' })

    const noName = await h.request(h.token, { method: 'PUT', url: `${url}${full.id}/`, payload: { booth: 'C1' } })
    t.equal(noName.statusCode, 400)
    t.same(noName.json(), { name: ['This field is required.'] })

    const put = await h.request(h.token, { method: 'PUT', url: `${url}${full.id}/`, payload: { name: 'Renamed', booth: 'C1' } })
    t.equal(put.statusCode, 200)
    t.same(generated(put.json()), {
      name: 'Renamed',
      internal_id: null,
      contact_name: null,
      contact_name_parts: {},
      contact_email: null,
      contact_cc_email: null,
      booth: 'C1',
      locale: 'fr',
      lead_scanning_scope_by_device: false,
      allow_lead_scanning: true,
      allow_lead_access: true,
      allow_voucher_access: true,
      comment: '',
      exhibitor_tags: []
    })
    t.equal(put.json().access_code, full.access_code, 'codes survive a PUT')
    t.equal(put.json().lead_scanning_access_code, full.lead_scanning_access_code)
    const row = await stored(full.id)
    t.equal(row.booth, 'C1')
    t.same(row.contact_name_parts, {})
    const links = await h.db.selectFrom('exhibitor_tag_links').selectAll().where('exhibitor_id', '=', full.id).execute()
    t.equal(links.length, 0)

    const putAll = await h.request(h.token, { method: 'PUT', url: `${url}${full.id}/`, payload: apertureWrite })
    t.same(generated(putAll.json()), aperture)

    const emptyPatch = await h.request(h.token, { method: 'PATCH', url: `${url}${full.id}/`, payload: {} })
    t.equal(emptyPatch.statusCode, 200)
    t.same(generated(emptyPatch.json()), aperture)
  })

  t.test('404 for unknown ids, also through another event', async (t) => {
    const ex = await create({ name: 'Elsewhere check' })
    const otherUrl = '/api/v1/organizers/demo/events/other/exhibitors/'
    for (const [method, suffix, payload] of [
      ['GET', '', undefined], ['PUT', '', { name: 'x' }], ['PATCH', '', {}], ['DELETE', '', undefined],
      ['GET', 'leads/', undefined], ['GET', 'vouchers/', undefined],
      ['POST', 'vouchers/attach/', { id: 1 }], ['POST', 'vouchers/bulk_attach/', []]
    ] as const) {
      for (const target of [`${url}999999/${suffix}`, `${url}abc/${suffix}`, `${otherUrl}${ex.id}/${suffix}`]) {
        const res = await h.request(h.token, { method, url: target, ...(payload !== undefined && { payload }) })
        t.equal(res.statusCode, 404, `${method} ${target}`)
        t.same(res.json(), { detail: 'Not found.' })
      }
    }
  })

  t.test('delete cascades leads, voucher links and access codes, keeps vouchers', async (t) => {
    const ex = await create({ name: 'Doomed' })
    const item = await h.db.insertInto('items').values({ event_id: eventId, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' }).returning('id').executeTakeFirstOrThrow()
    const order = await h.db.insertInto('orders').values({ event_id: eventId, code: 'DOOM1', email: 'x@example.org', total: '10.00' }).returning('id').executeTakeFirstOrThrow()
    const position = await h.db.insertInto('order_positions').values({
      order_id: order.id, event_id: eventId, positionid: 1, item_id: item.id, price: '10.00', secret: 'doomsecret', pseudonymization_id: 'DOOMPSEUDO'
    }).returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('leads').values({ exhibitor_id: ex.id, position_id: position.id, scanned: new Date() }).execute()
    const voucher = await h.db.insertInto('vouchers').values({ event_id: eventId, code: 'DOOMVOUCHER1' }).returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('exhibitor_vouchers').values({ voucher_id: voucher.id, exhibitor_id: ex.id }).execute()

    const res = await h.request(h.token, { method: 'DELETE', url: `${url}${ex.id}/` })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${ex.id}/` })).statusCode, 404)
    t.equal((await h.db.selectFrom('leads').selectAll().where('exhibitor_id', '=', ex.id).execute()).length, 0, 'leads gone')
    t.equal((await h.db.selectFrom('exhibitor_vouchers').selectAll().where('exhibitor_id', '=', ex.id).execute()).length, 0, 'voucher links gone')
    t.ok(await h.db.selectFrom('vouchers').select('id').where('id', '=', voucher.id).executeTakeFirst(), 'the voucher stays')
    t.equal((await h.db.selectFrom('exhibitor_access_codes').selectAll().where('code', 'in', [ex.access_code, ex.lead_scanning_access_code]).execute()).length, 0, 'access codes gone')
    t.ok(await h.db.selectFrom('order_positions').select('id').where('id', '=', position.id).executeTakeFirst(), 'the attendee stays')
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${ex.id}/` })).statusCode, 404)
  })

  t.test('idempotent replay of a create', async (t) => {
    const headers = { 'x-idempotency-key': 'exhibitor-create-1' }
    const first = await post({ name: 'Once only' }, h.token, headers)
    const again = await post({ name: 'Once only' }, h.token, headers)
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json(), 'same id and codes')
    const rows = await h.db.selectFrom('exhibitors').select('id').where('name', '=', 'Once only').execute()
    t.equal(rows.length, 1, 'created once')
  })

  t.test('access code collisions are retried', async (t) => {
    const taken = await create({ name: 'Holder' })
    // The first attempt reuses a code of another exhibitor (of the other kind); the second draws the
    // same code twice, so its sibling is drawn again.
    const sequence = [taken.lead_scanning_access_code, 'ZZZZZZZ2', 'ZZZZZZZ3', 'ZZZZZZZ3', 'ZZZZZZZ4']
    let calls = 0
    const generate = () => sequence[calls++] ?? 'ZZZZZZZ9'
    const ex = await queries.exhibitors.createExhibitor(h.db, { event_id: eventId, name: 'Retried' }, [], generate)
    t.equal(ex.access_code, 'ZZZZZZZ3', 'a code equal to its sibling is never used')
    t.equal(ex.lead_scanning_access_code, 'ZZZZZZZ4')
    t.notOk(await h.db.selectFrom('exhibitor_access_codes').select('code').where('code', '=', 'ZZZZZZZ2').executeTakeFirst(), 'the failed attempt left nothing')
    const again = await queries.exhibitors.createExhibitor(h.db, { event_id: otherEventId, name: 'Other event' }, [], (() => {
      const seq = ['ZZZZZZZ4', 'ZZZZZZZ5', 'ZZZZZZZ6', 'ZZZZZZZ7']
      let i = 0
      return () => seq[i++]
    })())
    t.same([again.access_code, again.lead_scanning_access_code], ['ZZZZZZZ6', 'ZZZZZZZ7'], 'unique across events too')
  })

  t.test('pagination over 55 exhibitors, codes unique', async (t) => {
    const event = await h.createEvent('paged')
    const pagedUrl = `/api/v1/organizers/demo/events/${event}/exhibitors/`
    for (let i = 0; i < 55; i++) {
      const res = await h.request(h.token, { method: 'POST', url: pagedUrl, payload: { name: `Exhibitor ${i}` } })
      t.equal(res.statusCode, 201)
    }
    const first = await h.request(h.token, { method: 'GET', url: pagedUrl + '?page_size=100', headers: { host: 'admin.example.org' } })
    const body = first.json()
    t.equal(body.count, 55)
    t.equal(body.results.length, 50)
    t.equal(body.previous, null)
    t.equal(body.next, `http://admin.example.org${pagedUrl}?page_size=100&page=2`)
    const second = (await h.request(h.token, { method: 'GET', url: pagedUrl + '?page=2' })).json()
    t.equal(second.results.length, 5)
    t.equal(second.next, null)
    t.match(second.previous, /\/exhibitors\/$/)
    const all = [...body.results, ...second.results]
    t.same(all.map((e: any) => e.name), Array.from({ length: 55 }, (_, i) => `Exhibitor ${i}`), 'ordered by id')
    const ids = all.map((e: any) => e.id)
    t.same(ids, [...ids].sort((a, b) => a - b))
    const codes = all.flatMap((e: any) => [e.access_code, e.lead_scanning_access_code])
    t.ok(codes.every((c: string) => CODE.test(c)))
    t.equal(new Set(codes).size, 110, 'every code differs from every other')
    const past = await h.request(h.token, { method: 'GET', url: pagedUrl + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    const noSlash = await h.request(h.token, { method: 'GET', url: pagedUrl.slice(0, -1) })
    t.equal(noSlash.statusCode, 200, 'answers without the trailing slash')
  })
})

t.test('permissions', async (t) => {
  const h = await harness(t)
  const slug = await h.createEvent('conf')
  const eventId = (await h.db.selectFrom('events').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  await h.createEvent('elsewhere')
  const url = `/api/v1/organizers/demo/events/${slug}/exhibitors/`
  const created = await h.request(h.token, { method: 'POST', url, payload: { name: 'Target' } })
  const id = created.json().id
  await h.db.insertInto('vouchers').values({ event_id: eventId, code: 'PERMVOUCHER1' }).execute()

  type Call = [string, 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, unknown?]
  const calls: Call[] = [
    ['list', 'GET', url],
    ['detail', 'GET', `${url}${id}/`],
    ['create', 'POST', url, { name: 'New' }],
    ['put', 'PUT', `${url}${id}/`, { name: 'Target' }],
    ['patch', 'PATCH', `${url}${id}/`, { comment: 'x' }],
    ['leads', 'GET', `${url}${id}/leads/`],
    ['vouchers', 'GET', `${url}${id}/vouchers/`],
    ['attach', 'POST', `${url}${id}/vouchers/attach/`, { code: 'PERMVOUCHER1' }],
    ['bulk_attach', 'POST', `${url}${id}/vouchers/bulk_attach/`, [{ code: 'PERMVOUCHER1' }]]
  ]
  const matrix: Array<[string, readonly queries.tokens.TeamPermission[], string[]]> = [
    ['no flags', [], []],
    ['can_view_orders', ['can_view_orders'], ['list', 'detail', 'leads']],
    ['can_change_event_settings', ['can_change_event_settings'], ['list', 'detail', 'create', 'put', 'patch']],
    ['can_view_vouchers', ['can_view_vouchers'], ['vouchers']],
    ['can_change_vouchers', ['can_change_vouchers'], ['attach', 'bulk_attach']],
    ['can_change_orders + can_change_items + can_create_events', ['can_change_orders', 'can_change_items', 'can_create_events'], []]
  ]
  for (const [label, permissions, allowed] of matrix) {
    t.test(label, async (t) => {
      const token = await h.tokenFor({ permissions })
      // What a missing flag answers, route by route: permissions.test.ts. Here: what a flag allows works.
      for (const [name, method, target, payload] of calls.filter(([name]) => allowed.includes(name))) {
        const res = await h.request(token, { method, url: target, ...(payload !== undefined && { payload: payload as object }) })
        t.ok([200, 201].includes(res.statusCode), `${name} allowed (${res.statusCode} ${res.body})`)
      }
      // A missing flag answers 403 even for an exhibitor that does not exist: nothing is revealed.
      const missing = await h.request(token, { method: 'GET', url: `${url}999999/` })
      t.equal(missing.statusCode, allowed.includes('detail') ? 404 : 403)
    })
  }

  t.test('delete needs can_change_event_settings', async (t) => {
    const viewer = await h.tokenFor({ permissions: ['can_view_orders', 'can_view_vouchers', 'can_change_vouchers', 'can_change_orders'] })
    t.equal((await h.request(viewer, { method: 'DELETE', url: `${url}${id}/` })).statusCode, 403)
    const editor = await h.tokenFor({ permissions: ['can_change_event_settings'] })
    t.equal((await h.request(editor, { method: 'DELETE', url: `${url}${id}/` })).statusCode, 204)
  })

  t.test('401 and unreachable events', async (t) => {
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    const bad = await h.request('not-a-token', { method: 'POST', url, payload: { name: 'x' } })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Invalid token.' })

    const elsewhereId = (await h.db.selectFrom('events').select('id').where('slug', '=', 'elsewhere').executeTakeFirstOrThrow()).id
    const limited = await h.tokenFor({ allEvents: false, eventIds: [elsewhereId] })
    const other = await h.request(limited, { method: 'GET', url })
    t.equal(other.statusCode, 403, 'an event the team cannot reach')
    const missingEvent = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/nope/exhibitors/' })
    t.equal(missingEvent.statusCode, 403)
    t.same(other.json(), missingEvent.json())
    const missingOrganizer = await h.request(h.token, { method: 'GET', url: `/api/v1/organizers/nope/events/${slug}/exhibitors/` })
    t.equal(missingOrganizer.statusCode, 403)
    t.equal((await h.request(limited, { method: 'GET', url: '/api/v1/organizers/demo/events/elsewhere/exhibitors/' })).statusCode, 200)
  })
})

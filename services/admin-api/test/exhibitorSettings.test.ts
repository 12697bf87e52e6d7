import t from 'tap'
import { harness } from './helper.js'

const defaults = {
  lead_fields: ['attendee_name', 'attendee_email', 'company'],
  lead_tags: [],
  allow_notes: true,
  scan_secret: false,
  imprint_url: null,
  privacy_url: null,
  help_url: null,
  terms_url: null,
  logo_url: null
}

t.test('exhibitor settings', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/exhibitor_settings/'

  t.test('a new event has the defaults', async (t) => {
    const res = await h.request(h.token, { method: 'GET', url })
    t.equal(res.statusCode, 200)
    t.same(res.json(), defaults)
    t.equal((await h.request(h.token, { method: 'GET', url: url.slice(0, -1) })).statusCode, 200, 'answers without the trailing slash too')
  })

  t.test('PATCH changes only what is sent', async (t) => {
    const res = await h.request(h.token, {
      method: 'PATCH',
      url,
      payload: { lead_fields: ['company', 'question:role', 'order_code', 'item', 'attendee_name'], lead_tags: ['hot', 'cold'], imprint_url: 'https://example.com/imprint' }
    })
    t.equal(res.statusCode, 200)
    const changed = {
      ...defaults,
      lead_fields: ['company', 'question:role', 'order_code', 'item', 'attendee_name'],
      lead_tags: ['hot', 'cold'],
      imprint_url: 'https://example.com/imprint'
    }
    t.same(res.json(), changed)

    const next = await h.request(h.token, { method: 'PATCH', url, payload: { allow_notes: false, scan_secret: true, logo_url: 'http://cdn.example.com/logo.png' } })
    t.equal(next.statusCode, 200)
    t.same(next.json(), { ...changed, allow_notes: false, scan_secret: true, logo_url: 'http://cdn.example.com/logo.png' })

    const cleared = await h.request(h.token, { method: 'PATCH', url, payload: { imprint_url: null, lead_tags: [] } })
    t.same(cleared.json(), { ...changed, allow_notes: false, scan_secret: true, logo_url: 'http://cdn.example.com/logo.png', imprint_url: null, lead_tags: [] })

    const empty = await h.request(h.token, { method: 'PATCH', url, payload: { unknown_field: 1 } })
    t.equal(empty.statusCode, 200, 'unknown and read-only fields are ignored')
    t.same(empty.json(), cleared.json())

    const stored = await h.db.selectFrom('exhibitor_settings').selectAll().executeTakeFirstOrThrow()
    t.same(stored.lead_fields, ['company', 'question:role', 'order_code', 'item', 'attendee_name'])
    t.same(stored.lead_tags, [])
    t.equal(stored.scan_secret, true)
    t.same((await h.request(h.token, { method: 'GET', url })).json(), cleared.json(), 'GET answers what was stored')
  })

  t.test('every known lead field id is accepted', async (t) => {
    const all = ['attendee_name', 'attendee_email', 'company', 'street', 'zipcode', 'city', 'country', 'order_code', 'item', 'question:shirt-size']
    const res = await h.request(h.token, { method: 'PATCH', url, payload: { lead_fields: all } })
    t.equal(res.statusCode, 200)
    t.same(res.json().lead_fields, all)
  })

  t.test('validation errors', async (t) => {
    const before = (await h.request(h.token, { method: 'GET', url })).json()

    const unknown = await h.request(h.token, { method: 'PATCH', url, payload: { lead_fields: ['attendee_name', 'shoe_size', 'question:'] } })
    t.equal(unknown.statusCode, 400)
    t.same(Object.keys(unknown.json()), ['lead_fields'])
    t.same(unknown.json().lead_fields, ['"shoe_size" is not a valid choice.', '"question:" is not a valid choice.'])

    const twice = await h.request(h.token, { method: 'PATCH', url, payload: { lead_fields: ['company', 'company'] } })
    t.equal(twice.statusCode, 400)
    t.ok(twice.json().lead_fields)

    const types = await h.request(h.token, {
      method: 'PATCH',
      url,
      payload: { lead_fields: 'attendee_name', lead_tags: [1], allow_notes: 'yes', scan_secret: null }
    })
    t.equal(types.statusCode, 400)
    const body = types.json()
    t.same(body.lead_fields, ['Expected a list of items but got type "str".'])
    t.ok(body.lead_tags)
    t.same(body.allow_notes, ['Must be a valid boolean.'])
    t.same(body.scan_secret, ['This field may not be null.'])

    const urls = await h.request(h.token, {
      method: 'PATCH',
      url,
      payload: { imprint_url: 'ftp://example.com/x', privacy_url: 'not a url', help_url: 'https://', terms_url: 'https://exa mple.com/', logo_url: 'javascript:alert(1)' }
    })
    t.equal(urls.statusCode, 400)
    t.same(urls.json(), {
      imprint_url: ['Enter a valid URL.'],
      privacy_url: ['Enter a valid URL.'],
      help_url: ['Enter a valid URL.'],
      terms_url: ['Enter a valid URL.'],
      logo_url: ['Enter a valid URL.']
    })
    const urlType = await h.request(h.token, { method: 'PATCH', url, payload: { terms_url: 42 } })
    t.equal(urlType.statusCode, 400)
    t.same(urlType.json(), { terms_url: ['Not a valid string.'] })

    const nul = await h.request(h.token, { method: 'PATCH', url, payload: { lead_tags: ['a\u0000b'], help_url: 'https://example.com/\u0000' } })
    t.equal(nul.statusCode, 400)
    t.same(nul.json(), { lead_tags: ['Null characters are not allowed.'], help_url: ['Null characters are not allowed.'] })

    const tags = await h.request(h.token, { method: 'PATCH', url, payload: { lead_tags: ['a', 'a', ' '] } })
    t.equal(tags.statusCode, 400)
    t.ok(tags.json().lead_tags)

    const malformed = await h.request(h.token, { method: 'PATCH', url, payload: '{"lead_tags": [', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)

    const mixed = await h.request(h.token, { method: 'PATCH', url, payload: { allow_notes: false, lead_fields: ['nope'] } })
    t.equal(mixed.statusCode, 400)
    t.same((await h.request(h.token, { method: 'GET', url })).json(), before, 'a rejected PATCH changes nothing')
  })

  t.test('settings belong to their event', async (t) => {
    await h.createEvent('otherconf')
    const other = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/otherconf/exhibitor_settings/' })
    t.equal(other.statusCode, 200)
    t.same(other.json(), defaults)
  })

  t.test('authentication and permissions', async (t) => {
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    t.equal((await h.request('nope', { method: 'PATCH', url, payload: { allow_notes: true } })).statusCode, 401)

    const denied = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/nope/exhibitor_settings/' })
    t.equal(denied.statusCode, 403)
    t.equal((await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/nope/events/sampleconf/exhibitor_settings/' })).statusCode, 403)

    const member = await h.tokenFor({ permissions: [] })
    t.equal((await h.request(member, { method: 'GET', url })).statusCode, 200, 'any member reads')
    const patch = await h.request(member, { method: 'PATCH', url, payload: { allow_notes: true } })
    t.equal(patch.statusCode, 403)
    t.same(patch.json(), denied.json(), 'the same 403 as a missing event')

    const settings = await h.tokenFor({ permissions: ['can_change_event_settings'] })
    t.equal((await h.request(settings, { method: 'PATCH', url, payload: { allow_notes: true } })).statusCode, 200)

    const limited = await h.tokenFor({ allEvents: false, eventIds: [] })
    t.equal((await h.request(limited, { method: 'GET', url })).statusCode, 403, 'an event the team cannot reach')

    const unknownPath = await h.request(h.token, { method: 'POST', url, payload: {} })
    t.equal(unknownPath.statusCode, 404, 'no POST on settings')
  })
})

import t from 'tap'
import { generateAccessCode } from '@showfloor/db'
import { harness } from './helper.js'

t.test('exhibitor tags', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  await h.createEvent('otherconf')
  const url = '/api/v1/organizers/demo/events/sampleconf/exhibitor_tags/'
  const otherUrl = '/api/v1/organizers/demo/events/otherconf/exhibitor_tags/'

  t.test('create, read, list', async (t) => {
    const empty = await h.request(h.token, { method: 'GET', url })
    t.equal(empty.statusCode, 200)
    t.same(empty.json(), { count: 0, next: null, previous: null, results: [] })

    const res = await h.request(h.token, { method: 'POST', url, payload: { name: 'Sponsor' } })
    t.equal(res.statusCode, 201)
    const tag = res.json()
    t.same(Object.keys(tag).sort(), ['id', 'name'])
    t.equal(tag.name, 'Sponsor')
    t.type(tag.id, 'number')

    const detail = await h.request(h.token, { method: 'GET', url: `${url}${tag.id}/` })
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), tag)
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${tag.id}` })).statusCode, 200, 'answers without the trailing slash too')

    const list = await h.request(h.token, { method: 'GET', url })
    t.same(list.json(), { count: 1, next: null, previous: null, results: [tag] })

    const trimmed = await h.request(h.token, { method: 'POST', url, payload: { name: '  Startup  ', id: 999 } })
    t.equal(trimmed.statusCode, 201)
    t.equal(trimmed.json().name, 'Startup', 'surrounding spaces are dropped')
    t.not(trimmed.json().id, 999, 'id is read-only')
  })

  t.test('names are unique per event', async (t) => {
    const dup = await h.request(h.token, { method: 'POST', url, payload: { name: 'Sponsor' } })
    t.equal(dup.statusCode, 400)
    t.same(Object.keys(dup.json()), ['name'])
    const other = await h.request(h.token, { method: 'POST', url: otherUrl, payload: { name: 'Sponsor' } })
    t.equal(other.statusCode, 201, 'the same name in another event')
    t.equal((await h.request(h.token, { method: 'GET', url: otherUrl })).json().count, 1)
  })

  t.test('validation errors', async (t) => {
    const missing = await h.request(h.token, { method: 'POST', url, payload: {} })
    t.equal(missing.statusCode, 400)
    t.same(missing.json(), { name: ['This field is required.'] })
    const blank = await h.request(h.token, { method: 'POST', url, payload: { name: '' } })
    t.same(blank.json(), { name: ['This field may not be blank.'] })
    const spaces = await h.request(h.token, { method: 'POST', url, payload: { name: '   ' } })
    t.equal(spaces.statusCode, 400)
    t.same(spaces.json(), { name: ['This field may not be blank.'] })
    const long = await h.request(h.token, { method: 'POST', url, payload: { name: 'x'.repeat(256) } })
    t.equal(long.statusCode, 400)
    t.same(long.json(), { name: ['Ensure this field has no more than 255 characters.'] })
    t.equal((await h.request(h.token, { method: 'POST', url, payload: { name: 'x'.repeat(255) } })).statusCode, 201, '255 characters fit')
    const nul = await h.request(h.token, { method: 'POST', url, payload: { name: 'a\u0000b' } })
    t.equal(nul.statusCode, 400)
    t.same(nul.json(), { name: ['Null characters are not allowed.'] })
    const wrongType = await h.request(h.token, { method: 'POST', url, payload: { name: 12 } })
    t.equal(wrongType.statusCode, 400)
    t.same(wrongType.json(), { name: ['Not a valid string.'] })
    const malformed = await h.request(h.token, { method: 'POST', url, payload: '{"name"', headers: { 'content-type': 'application/json' } })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json().detail, /JSON parse error/)
  })

  t.test('404 for unknown ids and tags of other events', async (t) => {
    const foreign = (await h.request(h.token, { method: 'GET', url: otherUrl })).json().results[0]
    for (const id of ['999999', String(foreign.id), 'abc', '0']) {
      const res = await h.request(h.token, { method: 'GET', url: `${url}${id}/` })
      t.equal(res.statusCode, 404, `GET ${id}`)
      t.same(res.json(), { detail: 'Not found.' })
      t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${id}/` })).statusCode, 404, `DELETE ${id}`)
    }
    t.equal((await h.request(h.token, { method: 'GET', url: `${otherUrl}${foreign.id}/` })).statusCode, 200, 'still there')
  })

  t.test('delete removes the links to exhibitors', async (t) => {
    const event = await h.db.selectFrom('events').select('id').where('slug', '=', 'sampleconf').executeTakeFirstOrThrow()
    const tag = (await h.request(h.token, { method: 'POST', url, payload: { name: 'Doomed' } })).json()
    const exhibitor = await h.db.insertInto('exhibitors')
      .values({ event_id: event.id, name: 'Aperture', access_code: generateAccessCode(), lead_scanning_access_code: generateAccessCode() })
      .returning('id').executeTakeFirstOrThrow()
    await h.db.insertInto('exhibitor_tag_links').values({ exhibitor_id: exhibitor.id, tag_id: tag.id }).execute()

    const res = await h.request(h.token, { method: 'DELETE', url: `${url}${tag.id}/` })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await h.request(h.token, { method: 'GET', url: `${url}${tag.id}/` })).statusCode, 404)
    t.equal((await h.db.selectFrom('exhibitor_tag_links').selectAll().where('tag_id', '=', tag.id).execute()).length, 0)
    t.ok(await h.db.selectFrom('exhibitors').select('id').where('id', '=', exhibitor.id).executeTakeFirst(), 'the exhibitor stays')
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${url}${tag.id}/` })).statusCode, 404, 'a second delete')
  })

  t.test('pagination by id', async (t) => {
    const existing = (await h.request(h.token, { method: 'GET', url })).json().count
    for (let i = 0; i < 52 - existing; i++) {
      t.equal((await h.request(h.token, { method: 'POST', url, payload: { name: `tag-${i}` } })).statusCode, 201)
    }
    const first = (await h.request(h.token, { method: 'GET', url: url + '?page_size=500', headers: { host: 'admin.example.org' } })).json()
    t.equal(first.count, 52)
    t.equal(first.results.length, 50)
    t.equal(first.next, 'http://admin.example.org/api/v1/organizers/demo/events/sampleconf/exhibitor_tags/?page_size=500&page=2')
    const ids = first.results.map((r: { id: number }) => r.id)
    t.same(ids, [...ids].sort((a: number, b: number) => a - b), 'ordered by id')
    const second = (await h.request(h.token, { method: 'GET', url: url + '?page=2' })).json()
    t.equal(second.results.length, 2)
    t.equal(second.next, null)
    t.ok(second.previous)
    t.ok(second.results[0].id > ids[49])
    const past = await h.request(h.token, { method: 'GET', url: url + '?page=3' })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
  })

  t.test('authentication and permissions', async (t) => {
    const tag = (await h.request(h.token, { method: 'POST', url, payload: { name: 'Guarded' } })).json()
    const none = await h.request(null, { method: 'GET', url })
    t.equal(none.statusCode, 401)
    t.same(none.json(), { detail: 'Authentication credentials were not provided.' })
    const bad = await h.request('nope', { method: 'POST', url, payload: { name: 'x' } })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Invalid token.' })

    const denied = await h.request(h.token, { method: 'GET', url: '/api/v1/organizers/demo/events/nope/exhibitor_tags/' })
    t.equal(denied.statusCode, 403)
    t.equal((await h.request(h.token, { method: 'GET', url: `/api/v1/organizers/demo/events/nope/exhibitor_tags/${tag.id}/` })).statusCode, 403,
      'a missing event is 403 before the id is looked at')

    const member = await h.tokenFor({ permissions: [] })
    t.equal((await h.request(member, { method: 'GET', url })).statusCode, 200, 'any member lists')
    t.equal((await h.request(member, { method: 'GET', url: `${url}${tag.id}/` })).statusCode, 200, 'any member reads')
    const post = await h.request(member, { method: 'POST', url, payload: { name: 'Nope' } })
    t.equal(post.statusCode, 403)
    t.same(post.json(), denied.json(), 'the same 403 as a missing event')
    t.equal((await h.request(member, { method: 'DELETE', url: `${url}${tag.id}/` })).statusCode, 403)
    t.equal((await h.request(member, { method: 'DELETE', url: `${url}999999/` })).statusCode, 403, 'no 404 without the flag')

    const settings = await h.tokenFor({ permissions: ['can_change_event_settings'] })
    t.equal((await h.request(settings, { method: 'POST', url, payload: { name: 'Allowed' } })).statusCode, 201)
    t.equal((await h.request(settings, { method: 'DELETE', url: `${url}${tag.id}/` })).statusCode, 204)

    const otherEventOnly = await h.tokenFor({ allEvents: false, eventIds: [] })
    t.equal((await h.request(otherEventOnly, { method: 'GET', url })).statusCode, 403, 'an event the team cannot reach')
  })
})

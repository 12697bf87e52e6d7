import t, { type Test } from 'tap'
import { harness } from './helper.js'

// The event list's filters, as pretix's event filter set reads them.
t.test('event list filters', async (t) => {
  const h = await harness(t)
  const url = '/api/v1/organizers/demo/events/'
  // An event ends at date_to, or at date_from when it has none.
  await h.createEvent('past-no-end', { date_from: '2020-01-01T10:00:00Z' })
  await h.createEvent('past-with-end', { date_from: '2020-05-01T09:00:00Z', date_to: '2020-05-03T18:00:00Z' })
  await h.createEvent('running', { date_from: '2020-06-01T09:00:00Z', date_to: '2099-01-01T00:00:00Z' })
  await h.createEvent('future', { date_from: '2099-06-01T09:00:00Z' })
  const all = ['past-no-end', 'past-with-end', 'running', 'future']

  const list = async (query: string, token = h.token) => {
    const res = await h.request(token, { method: 'GET', url: `${url}?${query}` })
    return { status: res.statusCode, body: res.json(), slugs: res.statusCode === 200 ? res.json().results.map((e: { slug: string }) => e.slug) : undefined }
  }
  const expectSlugs = async (t: Test, query: string, slugs: string[]) => {
    const res = await list(query)
    t.equal(res.status, 200, query)
    t.same(res.slugs, slugs, query)
    t.equal(res.body.count, slugs.length, `${query}: count`)
  }

  t.test('has_subevents: no event here has subevents', async (t) => {
    await expectSlugs(t, 'has_subevents=true', [])
    await expectSlugs(t, 'has_subevents=1', [])
    await expectSlugs(t, 'has_subevents=false', all)
    await expectSlugs(t, 'has_subevents=yes', all)
  })

  t.test('is_public and live: every event here counts as both, as GET never says otherwise', async (t) => {
    await expectSlugs(t, 'is_public=true', all)
    await expectSlugs(t, 'is_public=false', [])
    await expectSlugs(t, 'live=true', all)
    await expectSlugs(t, 'live=FALSE', [])
    await expectSlugs(t, 'live=0&is_public=true', [])
    await expectSlugs(t, 'live=nah', all)
  })

  t.test('ends_after: the end is at or after the given moment', async (t) => {
    await expectSlugs(t, 'ends_after=2020-05-02T00:00:00Z', ['past-with-end', 'running', 'future'])
    await expectSlugs(t, 'ends_after=2020-01-01T10:00:00Z', all)
    await expectSlugs(t, 'ends_after=2020-01-01T10:00:00.001Z', ['past-with-end', 'running', 'future'])
    await expectSlugs(t, 'ends_after=2020-01-01T11:00:00%2B01:00', all)
    await expectSlugs(t, 'ends_after=2020-01-01T11:00:00%2B0100', all)
    await expectSlugs(t, 'ends_after=2020-01-01T10:30:00', ['past-with-end', 'running', 'future'])
    await expectSlugs(t, 'ends_after=2020-05-03', ['past-with-end', 'running', 'future'])
    await expectSlugs(t, 'ends_after=2099-01-01T00:00:00Z', ['running', 'future'])
    await expectSlugs(t, 'ends_after=2099-01-01T00:00:00.000001Z', ['future'])
    await expectSlugs(t, 'ends_after=2100-01-01T00:00:00Z', [])
    await expectSlugs(t, 'ends_after=', all)
    for (const bad of ['tomorrow', '2020-02-30T00:00:00Z', '2020-01-01T25:00:00Z', '2020-01-01T10:00:00 01:00', '0000-01-01T00:00:00Z', '2020-01-01T10:00:00+25:00']) {
      const res = await list(`ends_after=${encodeURIComponent(bad)}`)
      t.equal(res.status, 400, bad)
      t.same(res.body, { ends_after: ['Enter a valid date/time.'] }, bad)
    }
  })

  t.test('is_past and is_future', async (t) => {
    await expectSlugs(t, 'is_past=true', ['past-no-end', 'past-with-end'])
    await expectSlugs(t, 'is_past=false', ['running', 'future'])
    await expectSlugs(t, 'is_future=true', ['running', 'future'])
    await expectSlugs(t, 'is_future=false', ['past-no-end', 'past-with-end'])
    await expectSlugs(t, 'is_future=true&ends_after=2099-03-01T00:00:00Z', ['future'])
  })

  t.test('filters apply within the events a team reaches', async (t) => {
    const running = await h.db.selectFrom('events').select('id').where('slug', '=', 'running').executeTakeFirstOrThrow()
    const limited = await h.tokenFor({ allEvents: false, eventIds: [running.id] })
    const res = await list('is_past=false', limited)
    t.same(res.slugs, ['running'])
    t.equal((await list('has_subevents=true', limited)).body.count, 0)
  })

  t.test('pages keep the filters', async (t) => {
    const res = await h.request(h.token, { method: 'GET', url: `${url}?is_past=true&page_size=1`, headers: { host: 'admin.example.org' } })
    t.equal(res.json().count, 2)
    t.same(res.json().results.map((e: { slug: string }) => e.slug), ['past-no-end'])
    t.equal(res.json().next, 'http://admin.example.org/api/v1/organizers/demo/events/?is_past=true&page_size=1&page=2')
  })
})

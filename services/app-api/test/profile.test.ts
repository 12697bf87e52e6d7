import t from 'tap'
import { show } from './helper.js'

t.test('profile', async (t) => {
  const s = await show(t)
  await s.db.updateTable('exhibitor_settings').set({ lead_tags: JSON.stringify(['foo', 'bar']), imprint_url: 'https://example.org/imprint' })
    .where('event_id', '=', s.eventId).execute()

  t.test('the seed example', async (t) => {
    const res = await s.request(s.exhibitor.accessCode, { method: 'GET', url: '/exhibitors/api/v1/profile' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), {
      name: 'Aperture Science',
      booth: 'A2',
      event: {
        name: { en: 'Sample conference', de: 'Beispielkonferenz' },
        end_date: '2017-12-28T10:00:00.000+00:00',
        slug: 'sampleconf',
        imprint_url: 'https://example.org/imprint',
        privacy_url: null,
        help_url: null,
        terms_url: null,
        logo_url: null,
        organizer: 'bigevents'
      },
      notes: true,
      tags: ['foo', 'bar'],
      scan_types: [{ key: 'lead', label: 'Lead Scanning' }]
    })
  })

  t.test('codes: either kind, any case, trimmed; with or without the slash', async (t) => {
    for (const code of [s.exhibitor.accessCode, s.exhibitor.scanCode, s.exhibitor.accessCode.toLowerCase(), ` ${s.exhibitor.scanCode} `]) {
      const res = await s.request(code, { method: 'GET', url: '/exhibitors/api/v1/profile/' })
      t.equal(res.statusCode, 200, `code ${JSON.stringify(code)}`)
    }
  })

  t.test('end_date falls back to date_from', async (t) => {
    await s.db.updateTable('events').set({ date_to: null }).where('id', '=', s.eventId).execute()
    const res = await s.request(s.exhibitor.accessCode, { method: 'GET', url: '/exhibitors/api/v1/profile' })
    t.equal(res.json().event.end_date, '2017-12-27T10:00:00.000+00:00')
  })

  t.test('401 without or with an unknown code', async (t) => {
    const none = await s.request(null, { method: 'GET', url: '/exhibitors/api/v1/profile' })
    t.equal(none.statusCode, 401)
    t.ok(none.json().detail)
    const wrongScheme = await s.request(null, { method: 'GET', url: '/exhibitors/api/v1/profile', headers: { authorization: `Token ${s.exhibitor.accessCode}` } })
    t.equal(wrongScheme.statusCode, 401)
    const unknown = await s.request('ZZZZZZZZ', { method: 'GET', url: '/exhibitors/api/v1/profile' })
    t.equal(unknown.statusCode, 401)
    t.same(Object.keys(unknown.json()), ['detail'])
  })

  t.test('a deleted exhibitor\'s codes stop working at once', async (t) => {
    const other = await s.addExhibitor({ name: 'Black Mesa' })
    t.equal((await s.request(other.accessCode, { method: 'GET', url: '/exhibitors/api/v1/profile' })).statusCode, 200)
    await s.db.deleteFrom('exhibitors').where('id', '=', other.id).execute()
    t.equal((await s.request(other.accessCode, { method: 'GET', url: '/exhibitors/api/v1/profile' })).statusCode, 401)
    t.equal((await s.request(other.scanCode, { method: 'GET', url: '/exhibitors/api/v1/profile' })).statusCode, 401)
  })
})

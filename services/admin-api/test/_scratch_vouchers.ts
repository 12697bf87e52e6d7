import t from 'tap'
import { harness } from './helper.js'
t.test('scratch', async (t) => {
  const h = await harness(t)
  await h.createEvent('sampleconf')
  for (const v of ['0000-01-01T00:00:00Z', '2026-02-29T10:00:00Z', '2028-02-29T10:00:00Z', '2026-12-31T23:59:60Z', '9999-12-31T23:59:59+14:00', '2026-12-01T10:00:00', '2026-12-01t10:00:00z', '2026-12-01 10:00:00Z', '2026-12-01T10:00:00.123456789Z', '2026-12-01T10:00:00+25:00']) {
    const r = await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/sampleconf/vouchers/', payload: { valid_until: v } })
    console.error(v, r.statusCode, r.statusCode === 201 ? r.json().valid_until : r.body)
  }
})

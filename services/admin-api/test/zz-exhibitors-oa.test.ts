import t from 'tap'
import { harness } from './helper.js'
t.test('oa', async (t) => {
  const h = await harness(t)
  const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json()
  for (const [p, v] of Object.entries(doc.paths)) if (p.includes('exhibitors')) console.log(p, Object.keys(v as object))
  console.log(JSON.stringify(doc.paths['/api/v1/organizers/{organizer}/events/{event}/exhibitors/'].post.requestBody).slice(0, 600))
})

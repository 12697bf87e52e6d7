import t from 'tap'
import { show, upload } from './helper.js'

const url = '/exhibitors/api/v1/leads/'

/** The value of one sample line of the Prometheus text, e.g. `name{outcome="created",service="app-api"}`. */
function sample (text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3])
  }
  return undefined
}

t.test('uploads are counted and timed by outcome on /metrics', async (t) => {
  const s = await show(t)
  const [jon, second] = s.attendees
  const post = async (code: string, body: unknown) => await s.request(code, { method: 'POST', url, payload: body as object })

  t.equal((await post(s.exhibitor.accessCode, upload(jon.scanCode))).statusCode, 201)
  t.equal((await post(s.exhibitor.scanCode, upload(second.scanCode))).statusCode, 201)
  t.equal((await post(s.exhibitor.accessCode, upload(jon.scanCode))).statusCode, 200)
  t.equal((await post(s.exhibitor.accessCode, upload('no-such-attendee'))).statusCode, 400)
  t.equal((await post(s.exhibitor.accessCode, { code: jon.scanCode, rating: 'high' })).statusCode, 400)
  t.equal((await post('wrong-code', upload(jon.scanCode))).statusCode, 401)
  // Other routes are not uploads.
  t.equal((await s.request(s.exhibitor.accessCode, { method: 'GET', url })).statusCode, 200)

  const res = await s.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  const text = res.body
  const service = 'app-api'
  t.equal(sample(text, 'showfloor_lead_uploads_total', { outcome: 'created', service }), 2)
  t.equal(sample(text, 'showfloor_lead_uploads_total', { outcome: 'updated', service }), 1)
  t.equal(sample(text, 'showfloor_lead_uploads_total', { outcome: 'invalid', service }), 2)
  t.equal(sample(text, 'showfloor_lead_uploads_total', { outcome: 'denied', service }), 1)
  t.equal(sample(text, 'showfloor_lead_upload_duration_seconds_count', { outcome: 'created', service }), 2)
  t.equal(sample(text, 'showfloor_lead_upload_duration_seconds_bucket', { outcome: 'created', le: '+Inf', service }), 2)
  t.ok((sample(text, 'showfloor_lead_upload_duration_seconds_sum', { outcome: 'created', service }) ?? 0) > 0, 'the time is recorded')
  // The request histogram every service has still sees the uploads (and the list request).
  t.equal(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: url, status_code: '201', service }), 2)
  t.equal(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: url, status_code: '200', service }), 1)
})

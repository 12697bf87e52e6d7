import t from 'tap'
import { JOBS } from '@showfloor/schemas'
import { harness, type Harness } from './helper.js'

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
// A public address literal: accepted without a DNS look-up.
const PUBLIC = 'https://93.184.216.34/hooks/showfloor'

const base = '/api/v1/organizers/demo/webhooks/'

async function notifications (h: Harness): Promise<Array<Record<string, unknown>>> {
  const rows = await h.db.selectFrom('outbox').select('payload').where('topic', '=', JOBS.webhookNotify).orderBy('id').execute()
  return rows.map((r) => r.payload)
}

t.test('the webhook resource', async (t) => {
  const h = await harness(t)
  await h.createEvent('conf')
  await h.createEvent('expo')
  const post = async (payload: Record<string, unknown>) => await h.request(h.token, { method: 'POST', url: base, payload })

  let id = 0
  t.test('create: 201 with the secret, shown only then', async (t) => {
    const res = await post({ target_url: PUBLIC, action_types: ['pretix.event.order.placed', 'showfloor.lead.created'], all_events: false, limit_events: ['conf'] })
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    id = body.id
    t.match(body.secret, SECRET, 'whsec_ and the base64 of 32 bytes')
    t.equal(Buffer.from(body.secret.slice(6), 'base64').length, 32)
    t.same(body, {
      id,
      enabled: true,
      target_url: PUBLIC,
      all_events: false,
      limit_events: ['conf'],
      action_types: ['pretix.event.order.placed', 'showfloor.lead.created'],
      comment: null,
      secret: body.secret
    })
    const stored = await h.db.selectFrom('webhooks').select('secret').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(stored.secret, body.secret)

    const detail = await h.request(h.token, { method: 'GET', url: `${base}${id}/` })
    t.equal(detail.statusCode, 200)
    const { secret: _secret, ...shown } = body
    t.same(detail.json(), shown, 'the detail has no secret')
    const list = await h.request(h.token, { method: 'GET', url: base })
    t.same(list.json(), { count: 1, next: null, previous: null, results: [shown] })
  })

  t.test('PATCH changes only what is sent', async (t) => {
    const res = await h.request(h.token, { method: 'PATCH', url: `${base}${id}/`, payload: { limit_events: ['expo', 'conf'], comment: 'CRM' } })
    t.equal(res.statusCode, 200, res.body)
    t.same(res.json(), {
      id,
      enabled: true,
      target_url: PUBLIC,
      all_events: false,
      limit_events: ['conf', 'expo'],
      action_types: ['pretix.event.order.placed', 'showfloor.lead.created'],
      comment: 'CRM'
    })
    const off = await h.request(h.token, { method: 'PATCH', url: `${base}${id}/`, payload: { enabled: false, action_types: ['showfloor.exhibitor.deleted'] } })
    t.match(off.json(), { enabled: false, action_types: ['showfloor.exhibitor.deleted'], limit_events: ['conf', 'expo'], comment: 'CRM' })
  })

  t.test('rotate_secret: a new secret, stored at once', async (t) => {
    const before = await h.db.selectFrom('webhooks').select('secret').where('id', '=', id).executeTakeFirstOrThrow()
    const res = await h.request(h.token, { method: 'POST', url: `${base}${id}/rotate_secret/` })
    t.equal(res.statusCode, 200)
    const { secret } = res.json()
    t.match(secret, SECRET)
    t.not(secret, before.secret)
    t.same(res.json(), { secret })
    const after = await h.db.selectFrom('webhooks').select('secret').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(after.secret, secret)
    t.equal((await h.request(h.token, { method: 'POST', url: `${base}999999/rotate_secret/` })).statusCode, 404)
  })

  t.test('validation: 400 in pretix shape, nothing stored', async (t) => {
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{ target_url: PUBLIC, action_types: ['pretix.event.order.paid', 'nope'] }, { action_types: ['"pretix.event.order.paid" is not a valid choice.', '"nope" is not a valid choice.'] }],
      [{ target_url: 'ftp://93.184.216.34/x', action_types: [] }, { target_url: ['Only http and https URLs are allowed.'] }],
      [{ target_url: 'file:///etc/passwd', action_types: [] }, { target_url: ['Only http and https URLs are allowed.'] }],
      [{ target_url: 'not a url', action_types: [] }, { target_url: ['Enter a valid URL.'] }],
      [{ target_url: PUBLIC, action_types: [], limit_events: ['conf', 'nowhere'] }, { limit_events: ['Object with slug=nowhere does not exist.'] }],
      [{ action_types: [] }, { target_url: ['This field is required.'] }]
    ]
    for (const [payload, expected] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.same(res.json(), expected, JSON.stringify(payload))
    }
    const patch = await h.request(h.token, { method: 'PATCH', url: `${base}${id}/`, payload: { action_types: ['x.y'] } })
    t.same([patch.statusCode, patch.json()], [400, { action_types: ['"x.y" is not a valid choice.'] }])
    t.equal((await h.db.selectFrom('webhooks').selectAll().execute()).length, 1, 'nothing more stored')
  })

  t.test('SSRF: loopback, private, link-local and multicast targets are refused', async (t) => {
    const refused = [
      'http://127.0.0.1/', 'http://127.1.2.3:8080/x', 'http://localhost:18600/', 'http://[::1]/', 'http://10.1.2.3/',
      'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/',
      'http://[fd00::1]/', 'http://224.0.0.1/', 'http://[ff02::1]/', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/'
    ]
    for (const target of refused) {
      const res = await post({ target_url: target, action_types: [] })
      t.equal(res.statusCode, 400, target)
      t.match(res.json(), { target_url: [/webhooks may only call public addresses/] }, target)
      const patch = await h.request(h.token, { method: 'PATCH', url: `${base}${id}/`, payload: { target_url: target } })
      t.equal(patch.statusCode, 400, `PATCH ${target}`)
    }
    const stored = await h.db.selectFrom('webhooks').select('target_url').execute()
    t.same(stored, [{ target_url: PUBLIC }], 'nothing refused was stored')
  })

  t.test('calls: the delivery log, newest first, 30 days', async (t) => {
    const call = (n: number, daysAgo: number) => ({
      webhook_id: id,
      datetime: new Date(Date.now() - daysAgo * 86400_000 - n * 1000).toISOString(),
      action_type: 'pretix.event.order.placed',
      notification_id: `00000000-0000-4000-8000-00000000000${n}`,
      is_retry: n > 1,
      execution_time: 0.25,
      return_code: n === 3 ? null : 500,
      success: false,
      payload: JSON.stringify({ notification_id: `00000000-0000-4000-8000-00000000000${n}`, organizer: 'demo', event: 'conf', action: 'pretix.event.order.placed', code: 'ABC12' }),
      response_body: n === 3 ? null : 'oops'
    })
    await h.db.insertInto('webhook_calls').values([call(1, 31), call(2, 1), call(3, 0)]).execute()
    const res = await h.request(h.token, { method: 'GET', url: `${base}${id}/calls/` })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.count, 2, 'older than 30 days is not shown')
    t.same(body.results.map((c: any) => c.notification_id), ['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002'])
    t.same(body.results[1], {
      datetime: body.results[1].datetime,
      action_type: 'pretix.event.order.placed',
      notification_id: '00000000-0000-4000-8000-000000000002',
      is_retry: true,
      execution_time: 0.25,
      return_code: 500,
      success: false,
      payload: { notification_id: '00000000-0000-4000-8000-000000000002', organizer: 'demo', event: 'conf', action: 'pretix.event.order.placed', code: 'ABC12' },
      response_body: 'oops'
    })
    t.match(body.results[1].datetime, /\+00:00$/)
    t.equal(body.results[0].return_code, null)
    t.equal((await h.request(h.token, { method: 'GET', url: `${base}999999/calls/` })).statusCode, 404)
  })

  t.test('DELETE: 204, then 404', async (t) => {
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${base}${id}/` })).statusCode, 204)
    t.equal((await h.request(h.token, { method: 'DELETE', url: `${base}${id}/` })).statusCode, 404)
    t.equal((await h.request(h.token, { method: 'GET', url: `${base}${id}/` })).statusCode, 404)
    t.equal((await h.db.selectFrom('webhook_calls').selectAll().execute()).length, 0, 'its calls went with it')
  })

  t.test('another organizer\'s webhook is not found; a team without the flag gets 403', async (t) => {
    const other = await h.db.insertInto('organizers').values({ slug: 'other', name: 'Other' }).returning('id').executeTakeFirstOrThrow()
    const foreign = await h.db.insertInto('webhooks').values({ organizer_id: other.id, target_url: PUBLIC, secret: 'whsec_x' }).returning('id').executeTakeFirstOrThrow()
    t.equal((await h.request(h.token, { method: 'GET', url: `${base}${foreign.id}/` })).statusCode, 404)
    t.equal((await h.request(h.token, { method: 'GET', url: `/api/v1/organizers/other/webhooks/${foreign.id}/` })).statusCode, 403)
    const noFlag = await h.tokenFor({ permissions: ['can_create_events', 'can_change_event_settings', 'can_view_orders', 'can_change_orders'] })
    const res = await h.request(noFlag, { method: 'GET', url: base })
    t.same([res.statusCode, res.json()], [403, { detail: 'You do not have permission to perform this action.' }])
  })
})

t.test('WEBHOOK_ALLOW_PRIVATE=true accepts private targets', async (t) => {
  const h = await harness(t, { WEBHOOK_ALLOW_PRIVATE: 'true' })
  const res = await h.request(h.token, { method: 'POST', url: base, payload: { target_url: 'http://localhost:18600/hook', action_types: ['showfloor.lead.created'] } })
  t.equal(res.statusCode, 201, res.body)
  const bad = await h.request(h.token, { method: 'POST', url: base, payload: { target_url: 'gopher://localhost/', action_types: [] } })
  t.equal(bad.statusCode, 400, 'the scheme is still checked')
})

t.test('changes write their notification with the change, and only when a webhook listens', async (t) => {
  const h = await harness(t)
  await h.createEvent('conf')
  await h.createEvent('expo')
  const eventUrl = '/api/v1/organizers/demo/events/conf'
  const item = await h.request(h.token, { method: 'POST', url: `${eventUrl}/items/`, payload: { name: { en: 'Ticket' }, default_price: '10.00' } })
  const itemId = item.json().id
  const placeOrder = async (event = 'conf', itemIdOf = itemId) => {
    const res = await h.request(h.token, { method: 'POST', url: `/api/v1/organizers/demo/events/${event}/orders/`, payload: { email: 'a@example.org', positions: [{ item: itemIdOf }] } })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json().code as string
  }
  const exhibitorsUrl = `${eventUrl}/exhibitors/`

  // No webhook: nothing written.
  await placeOrder()
  const quiet = await h.request(h.token, { method: 'POST', url: exhibitorsUrl, payload: { name: 'Quiet' } })
  t.equal(quiet.statusCode, 201)
  t.same(await notifications(h), [], 'no webhook, no notification')

  const all = ['pretix.event.order.placed', 'pretix.event.order.canceled', 'showfloor.exhibitor.created', 'showfloor.exhibitor.changed', 'showfloor.exhibitor.deleted']
  const created = await h.request(h.token, { method: 'POST', url: base, payload: { target_url: PUBLIC, action_types: all, all_events: false, limit_events: ['conf'] } })
  t.equal(created.statusCode, 201)

  const code = await placeOrder()
  const cancel = await h.request(h.token, { method: 'POST', url: `${eventUrl}/orders/${code}/mark_canceled/` })
  t.equal(cancel.statusCode, 200)
  const again = await h.request(h.token, { method: 'POST', url: `${eventUrl}/orders/${code}/mark_canceled/` })
  t.equal(again.statusCode, 400, 'canceling twice changes nothing')

  const ex = (await h.request(h.token, { method: 'POST', url: exhibitorsUrl, payload: { name: 'Aperture', booth: 'A1' } })).json()
  const patch = async (payload: Record<string, unknown>) => await h.request(h.token, { method: 'PATCH', url: `${exhibitorsUrl}${ex.id}/`, payload })
  t.equal((await patch({ booth: 'A1', name: 'Aperture' })).statusCode, 200)
  t.equal((await patch({})).statusCode, 200)
  t.equal((await h.request(h.token, { method: 'PUT', url: `${exhibitorsUrl}${ex.id}/`, payload: { name: 'Aperture', booth: 'A1', locale: 'en' } })).statusCode, 200)
  t.equal((await patch({ booth: 'B2' })).statusCode, 200)
  t.equal((await h.request(h.token, { method: 'DELETE', url: `${exhibitorsUrl}${ex.id}/` })).statusCode, 204)

  // Another event, which the webhook is not limited to.
  const expoItem = (await h.request(h.token, { method: 'POST', url: '/api/v1/organizers/demo/events/expo/items/', payload: { name: { en: 'Ticket' }, default_price: '10.00' } })).json().id
  await placeOrder('expo', expoItem)

  const rows = await notifications(h)
  t.same(rows.map((r) => r.action), [
    'pretix.event.order.placed', 'pretix.event.order.canceled', 'showfloor.exhibitor.created', 'showfloor.exhibitor.changed', 'showfloor.exhibitor.deleted'
  ], 'one per change; requests that change nothing write none')
  for (const row of rows) {
    t.match(row.id, UUID)
    t.ok(!Number.isNaN(Date.parse(String(row.created_at))), 'created_at is a time')
  }
  const strip = ({ id: _id, created_at: _at, ...rest }: Record<string, unknown>) => rest
  t.same(rows.map(strip), [
    { organizer: 'demo', event: 'conf', action: 'pretix.event.order.placed', code },
    { organizer: 'demo', event: 'conf', action: 'pretix.event.order.canceled', code },
    { organizer: 'demo', event: 'conf', action: 'showfloor.exhibitor.created', exhibitor: ex.id },
    { organizer: 'demo', event: 'conf', action: 'showfloor.exhibitor.changed', exhibitor: ex.id },
    { organizer: 'demo', event: 'conf', action: 'showfloor.exhibitor.deleted', exhibitor: ex.id }
  ])

  // A disabled webhook listens for nothing.
  await h.request(h.token, { method: 'PATCH', url: `${base}${created.json().id}/`, payload: { enabled: false } })
  await placeOrder()
  t.equal((await notifications(h)).length, 5, 'a disabled webhook: no notification')
})

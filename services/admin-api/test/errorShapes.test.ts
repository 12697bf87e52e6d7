import t, { type Test } from 'tap'
import { rawHttp as raw } from '@showfloor/db/testing'
import { harness } from './helper.js'

const NUL = 'Null characters are not allowed.'
const NOT_FOUND = { detail: 'Not found.' }

t.test('error shapes at the edge of the admin API', async (t) => {
  const h = await harness(t)
  await h.createEvent('conf')
  const base = '/api/v1/organizers/demo/events/conf'
  const eventId = (await h.db.selectFrom('events').select('id').where('slug', '=', 'conf').executeTakeFirstOrThrow()).id
  const item = (await h.db.insertInto('items').values({ event_id: eventId, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' })
    .returning('id').executeTakeFirstOrThrow()).id
  const exhibitor = (await h.request(h.token, { method: 'POST', url: `${base}/exhibitors/`, payload: { name: 'Aperture' } })).json().id as number
  const voucher = (await h.db.insertInto('vouchers').values({ event_id: eventId, code: 'VOUCHER-ONE' }).returning('id').executeTakeFirstOrThrow()).id
  const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json()
  /** Every status the test sees must be one the operation declares. */
  const declared = (t: Test, method: string, path: string, status: number) =>
    t.ok(doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)], `${method} ${path} declares ${status}`)

  t.test('URLs the router cannot read answer 404 {"detail": "Not found."}', async (t) => {
    for (const url of ['/api/v1/organizers/x/events/%zz/', '/api/v1/organizers/demo/events/a%00b/', `${base}/items/1%00/`, `${base}/items/%zz/`, `/api/v1/organizers/demo/events/${'e'.repeat(101)}/`, `${base}/items/${'1'.repeat(101)}/`]) {
      const res = await h.request(h.token, { method: 'GET', url })
      t.equal(res.statusCode, 404, url)
      t.same(res.json(), NOT_FOUND, url)
    }
    declared(t, 'GET', '/api/v1/organizers/{organizer}/events/{event}/', 404)
  })

  t.test('ids are digits: 5.0, +5, 1e3 name nothing, like an unknown id', async (t) => {
    const ids: Array<[string, number]> = [[`${base}/items/`, item], [`${base}/vouchers/`, voucher], [`${base}/exhibitors/`, exhibitor]]
    for (const [url, id] of ids) {
      t.equal((await h.request(h.token, { method: 'GET', url: `${url}${id}/` })).statusCode, 200, `${url}${id}/`)
      t.equal((await h.request(h.token, { method: 'GET', url: `${url}00${id}/` })).statusCode, 200, 'leading zeros are digits too')
      for (const bad of [`${id}.0`, `+${id}`, `${id}e0`, '1e3', '-1', '0', '2147483648']) {
        const res = await h.request(h.token, { method: 'GET', url: `${url}${bad}/` })
        t.equal(res.statusCode, 404, `${url}${bad}/`)
        t.same(res.json(), NOT_FOUND)
      }
    }
    for (const bad of ['1.0', '+1', '1e3']) {
      t.same((await h.request(h.token, { method: 'DELETE', url: `${base}/exhibitor_tags/${bad}/` })).json(), NOT_FOUND)
      t.same((await h.request(h.token, { method: 'POST', url: `${base}/exhibitors/${exhibitor}.0/send_access_code/` })).json(), NOT_FOUND)
    }
  })

  t.test('a NUL byte in a header is refused by the HTTP parser, answered in pretix\'s shape', async (t) => {
    await h.app.listen({ port: 0, host: '127.0.0.1' })
    const port = (h.app.server.address() as { port: number }).port
    for (const header of ['Authorization: Token a\u0000b', `Authorization: Token ${h.token}\r\nX-Idempotency-Key: key\u0000`]) {
      const res = await raw(port, `POST ${base}/exhibitor_tags/ HTTP/1.1\r\nHost: x\r\n${header}\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"name":"a"}`)
      t.equal(res.status, 400)
      t.same(res.body, { detail: 'Malformed request.' })
    }
    declared(t, 'POST', '/api/v1/organizers/{organizer}/events/{event}/exhibitor_tags/', 400)
    t.equal((await h.db.selectFrom('exhibitor_tags').select('id').execute()).length, 0, 'nothing stored')
  })

  t.test('a repeated query parameter counts with its last value', async (t) => {
    const events = '/api/v1/organizers/demo/events/'
    const last = await h.request(h.token, { method: 'GET', url: `${events}?page=2&page=1` })
    t.equal(last.statusCode, 200)
    t.equal(last.json().count, 1)
    const past = await h.request(h.token, { method: 'GET', url: `${events}?page=1&page=2` })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    declared(t, 'GET', '/api/v1/organizers/{organizer}/events/', 404)
    const filtered = await h.request(h.token, { method: 'GET', url: `${base}/vouchers/?code=nothing&code=voucher-one` })
    t.same(filtered.json().results.map((v: { id: number }) => v.id), [voucher])
  })

  t.test('a NUL character in a text field is a field error, on every resource', async (t) => {
    const texts = { name: 'A\u0000', internal_id: 'i\u0000', contact_name: 'c\u0000', contact_email: 'a\u0000@example.org', contact_cc_email: 'b\u0000@example.org', booth: 'b\u0000', comment: 'x\u0000', exhibitor_tags: ['ok', 'Gold\u0000'] }
    const created = await h.request(h.token, { method: 'POST', url: `${base}/exhibitors/`, payload: texts })
    t.equal(created.statusCode, 400)
    t.same(created.json(), Object.fromEntries(Object.keys(texts).map((k) => [k, [NUL]])))
    const parts = await h.request(h.token, { method: 'PATCH', url: `${base}/exhibitors/${exhibitor}/`, payload: { contact_name_parts: { given_name: 'C\u0000' } } })
    t.same(parts.json(), { contact_name_parts: [NUL] })

    const order = await h.request(h.token, {
      method: 'POST',
      url: `${base}/orders/`,
      payload: { email: 'o@example.org', positions: [{ item }, { item, attendee_name: 'Ann\u0000', company: 'C\u0000' }] }
    })
    t.equal(order.statusCode, 400)
    t.same(order.json(), { positions: [{}, { attendee_name: [NUL], company: [NUL] }] })

    const event = await h.request(h.token, { method: 'PATCH', url: `${base}/`, payload: { name: { en: 'Conf', de: 'K\u0000' } } })
    t.equal(event.statusCode, 400)
    t.same(event.json(), { name: [NUL] })

    const attach = await h.request(h.token, { method: 'POST', url: `${base}/exhibitors/${exhibitor}/vouchers/attach/`, payload: { id: voucher, exhibitor_comment: 'V\u0000' } })
    t.equal(attach.statusCode, 400)
    t.same(attach.json(), { exhibitor_comment: [NUL] })
    const bulk = await h.request(h.token, { method: 'POST', url: `${base}/exhibitors/${exhibitor}/vouchers/bulk_attach/`, payload: [{ id: voucher }, { code: 'V\u0000' }] })
    t.equal(bulk.statusCode, 400)
    t.same(bulk.json(), [{}, { code: [NUL] }])

    t.equal((await h.db.selectFrom('exhibitors').select('id').execute()).length, 1, 'no exhibitor stored')
    t.equal((await h.db.selectFrom('orders').select('id').execute()).length, 0, 'no order stored')
    t.equal((await h.db.selectFrom('exhibitor_vouchers').select('voucher_id').execute()).length, 0, 'no voucher attached')
  })
})

t.test('the OpenAPI document declares every status an operation can answer, each in pretix\'s shape', async (t) => {
  const h = await harness(t)
  const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json()
  let operations = 0
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      operations++
      const statuses = Object.keys(operation.responses)
      const needed = ['400', '401', '403', '408', '431', '500', '503']
      if (path.includes('{')) needed.push('404')
      if (method !== 'get') needed.push('409', '413', '415')
      for (const status of needed) t.ok(statuses.includes(status), `${method.toUpperCase()} ${path} declares ${status}`)
      for (const status of statuses.filter((s) => Number(s) >= 400 && s !== '400')) {
        const schema = operation.responses[status].content?.['application/json']?.schema
        // pretix's exporter download answers its own bodies while a file is not ready (section 12).
        const exporterState = path.endsWith('/download/{export}/{key}/') && { 409: ['status', 'percentage'], 410: ['status', 'message'] }[status]
        t.same(Object.keys(schema?.properties ?? {}), exporterState || ['detail'], `${method.toUpperCase()} ${path} ${status} is ${exporterState ? JSON.stringify(exporterState) : '{"detail": ...}'}`)
      }
    }
  }
  t.ok(operations > 25, `${operations} operations walked`)
})

import t from 'tap'
import { rawHttp as raw } from '@showfloor/db/testing'
import { show, upload } from './helper.js'

const NUL = 'Null characters are not allowed.'
const NOT_FOUND = { detail: 'Not found.' }
const api = '/exhibitors/api/v1'

t.test('error shapes at the edge of the App API', async (t) => {
  const s = await show(t)
  const code = s.exhibitor.accessCode
  const voucher = (await s.db.insertInto('vouchers').values({ event_id: s.eventId, code: 'VOUCHER-ONE' }).returning('id').executeTakeFirstOrThrow()).id
  await s.db.insertInto('exhibitor_vouchers').values({ voucher_id: voucher, exhibitor_id: s.exhibitor.id, exhibitor_comment: '' }).execute()
  const doc = (await s.app.inject({ method: 'GET', url: '/exhibitors/api/openapi.json' })).json()
  const declares = (method: string, path: string, status: number): boolean => doc.paths[path]?.[method]?.responses?.[String(status)] !== undefined

  t.test('voucher ids are digits; URLs the router cannot read name nothing', async (t) => {
    t.equal((await s.request(code, { method: 'GET', url: `${api}/vouchers/${voucher}/` })).statusCode, 200)
    for (const bad of [`${voucher}.0`, `+${voucher}`, `${voucher}e0`, '1e3', '0', '2147483648', '%zz', '1'.repeat(101)]) {
      const res = await s.request(code, { method: 'GET', url: `${api}/vouchers/${bad}/` })
      t.equal(res.statusCode, 404, bad)
      t.same(res.json(), NOT_FOUND, bad)
    }
    t.ok(declares('get', `${api}/vouchers/{id}/`, 404))
  })

  t.test('repeated query parameters count with their last value; a page past the end is declared', async (t) => {
    const last = await s.request(code, { method: 'GET', url: `${api}/vouchers/?page=2&page=1` })
    t.equal(last.statusCode, 200)
    t.equal(last.json().count, 1)
    const past = await s.request(code, { method: 'GET', url: `${api}/leads/?page=1&page=2` })
    t.equal(past.statusCode, 404)
    t.same(past.json(), { detail: 'Invalid page.' })
    t.ok(declares('get', `${api}/leads/`, 404), 'GET leads declares 404 "Invalid page."')
    t.ok(declares('get', `${api}/vouchers/`, 404), 'GET vouchers declares 404 "Invalid page."')
  })

  t.test('a NUL character in any text of a lead upload is a field error', async (t) => {
    const scan = s.attendees[0].scanCode
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [upload(`${scan}\u0000`), { code: [NUL] }],
      [upload(scan, { notes: 'n\u0000' }), { notes: [NUL] }],
      [upload(scan, { tags: ['ok', 't\u0000'] }), { tags: [NUL] }],
      [upload(scan, { device_name: 'd\u0000' }), { device_name: [NUL] }]
    ]
    for (const [body, errors] of cases) {
      const res = await s.request(code, { method: 'POST', url: `${api}/leads/`, payload: body })
      t.equal(res.statusCode, 400)
      t.same(res.json(), errors)
    }
    t.equal((await s.db.selectFrom('leads').select('id').execute()).length, 0, 'no lead stored')
    t.ok(declares('post', `${api}/leads/`, 400))
  })

  t.test('a NUL byte in the Authorization header is answered in pretix\'s shape', async (t) => {
    await s.app.listen({ port: 0, host: '127.0.0.1' })
    const port = (s.app.server.address() as { port: number }).port
    const res = await raw(port, `GET ${api}/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Exhibitor ${code}\u0000\r\n\r\n`)
    t.equal(res.status, 400)
    t.same(res.body, { detail: 'Malformed request.' })
    t.ok(declares('get', `${api}/profile`, 400))
  })
})

t.test('the App API\'s OpenAPI document declares every status an operation can answer', async (t) => {
  const s = await show(t)
  const doc = (await s.app.inject({ method: 'GET', url: '/exhibitors/api/openapi.json' })).json()
  let operations = 0
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      operations++
      const statuses = Object.keys(operation.responses)
      const needed = ['400', '401', '408', '429', '431', '500', '503']
      if (path !== `${api}/profile`) needed.push('403')
      if (path !== `${api}/profile` && method === 'get') needed.push('404')
      if (method !== 'get') needed.push('413', '415')
      for (const status of needed) t.ok(statuses.includes(status), `${method.toUpperCase()} ${path} declares ${status}`)
      for (const status of statuses.filter((s) => Number(s) >= 400 && s !== '400')) {
        const schema = operation.responses[status].content?.['application/json']?.schema
        t.same(Object.keys(schema?.properties ?? {}), ['detail'], `${method.toUpperCase()} ${path} ${status} is {"detail": ...}`)
      }
    }
  }
  t.equal(operations, 5, 'profile, leads (upload, list), vouchers (list, detail)')
})

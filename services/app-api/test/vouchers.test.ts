import t from 'tap'
import { show } from './helper.js'

const url = '/exhibitors/api/v1/vouchers/'

t.test('vouchers in the App format', async (t) => {
  const s = await show(t)
  const voucher = async (values: Record<string, unknown>) => (await s.db.insertInto('vouchers')
    .values({ event_id: s.eventId, code: `CODE${Math.random().toString(36).slice(2, 10).toUpperCase()}`, ...values }).returning('id').executeTakeFirstOrThrow()).id
  const attach = (voucherId: number, exhibitorId: number, comment = '') =>
    s.db.insertInto('exhibitor_vouchers').values({ voucher_id: voucherId, exhibitor_id: exhibitorId, exhibitor_comment: comment }).execute()

  const free = await voucher({ code: '43K6LKM37FBVR2YG', max_usages: 1, redeemed: 1, price_mode: 'set', value: '12.00', tag: 'testvoucher' })
  const forItem = await voucher({ item_id: s.itemId, max_usages: 5 })
  const other = await s.addExhibitor({ name: 'Other' })
  const foreign = await voucher({})
  await attach(free, s.exhibitor.id, 'Free ticket')
  await attach(forItem, s.exhibitor.id)
  await attach(foreign, other.id)
  // An attendee who bought with the first voucher, on the 6th of May (in the event's time zone).
  await s.addAttendee({ voucher_id: free }, { datetime: '2026-05-06T10:00:00Z' })
  await s.addAttendee({ voucher_id: free }, { status: 'c' })

  t.test('list and detail', async (t) => {
    const res = await s.request(s.exhibitor.accessCode, { method: 'GET', url })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.count, 2)
    t.same(body.results[0], {
      id: free,
      code: '43K6LKM37FBVR2YG',
      max_usages: 1,
      redeemed: 1,
      valid_until: null,
      subevent: null,
      tag: 'testvoucher',
      comment: 'Free ticket',
      items: ['All'],
      price_mode: 'set',
      value: '12.00',
      redemptions: [{
        attendee_fields: [
          { id: 'attendee_name', label: 'Name', value: 'Jon Doe', details: [{ label: 'Given name', value: 'Jon' }, { label: 'Family name', value: 'Doe' }] },
          { id: 'attendee_email', label: 'Email', value: 'test@example.com', details: [] },
          { id: 'company', label: 'Company', value: 'Black Mesa', details: [] }
        ],
        redemption_date: '2026-05-06',
        subevent: null
      }]
    }, 'redemptions of canceled orders are not listed')
    t.same(body.results[1].items, ['Ticket'])
    t.equal(body.results[1].value, null)
    const detail = await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}${free}/` })
    t.equal(detail.statusCode, 200)
    t.same(detail.json(), body.results[0])
  })

  t.test('redemption dates are days in the event\'s time zone', async (t) => {
    await s.db.updateTable('events').set({ timezone: 'America/New_York' }).where('id', '=', s.eventId).execute()
    const detail = (await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}${free}/` })).json()
    t.equal(detail.redemptions[0].redemption_date, '2026-05-06')
    await s.db.updateTable('orders').set({ datetime: '2026-05-06T02:00:00Z' }).where('id', 'in', s.db.selectFrom('order_positions').select('order_id').where('voucher_id', '=', free)).execute()
    const early = (await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}${free}/` })).json()
    t.equal(early.redemptions[0].redemption_date, '2026-05-05')
  })

  t.test('404 for a voucher not attached to this exhibitor', async (t) => {
    t.equal((await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}${foreign}/` })).statusCode, 404)
    t.equal((await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}999999/` })).statusCode, 404)
    t.equal((await s.request(s.exhibitor.accessCode, { method: 'GET', url: `${url}abc/` })).statusCode, 404)
  })

  t.test('403 for the scanning code and without voucher access', async (t) => {
    const scan = await s.request(s.exhibitor.scanCode, { method: 'GET', url })
    t.equal(scan.statusCode, 403)
    t.same(scan.json(), { detail: 'Not permitted to access bulk data' })
    t.equal((await s.request(s.exhibitor.scanCode, { method: 'GET', url: `${url}${free}/` })).statusCode, 403)
    const denied = await s.addExhibitor({ name: 'Denied', allow_voucher_access: false })
    t.equal((await s.request(denied.accessCode, { method: 'GET', url })).statusCode, 403)
    t.equal((await s.request(null, { method: 'GET', url })).statusCode, 401)
  })
})

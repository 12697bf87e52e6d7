import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries } from '@showfloor/db'
import { AppVoucherSchema, ErrorDetail, IdParam, PageQuery, Paginated, attendeeFields, isoDateTime, localized, type AppVoucher } from '@showfloor/schemas'
import { notFound, paginate } from '@showfloor/http'
import { bulkDataDenied } from '../plugins/exhibitorAuth.js'

const tags = ['Vouchers']
const errors = { 401: ErrorDetail, 403: ErrorDetail, 404: ErrorDetail, 429: ErrorDetail }

/** A date as the calendar day it is in the event's time zone. */
function dayIn (date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)
}

export const vouchers: FastifyPluginAsyncTypebox = async (app) => {
  async function render (exhibitor: queries.accessCodes.ExhibitorSession, rows: queries.exhibitorApp.AppVoucherRow[]): Promise<AppVoucher[]> {
    const [event, used] = await Promise.all([
      queries.exhibitorApp.eventProfile(app.db, exhibitor.eventId),
      queries.exhibitorApp.redemptions(app.db, rows.map((r) => r.id))
    ])
    return rows.map((voucher) => ({
      id: voucher.id,
      code: voucher.code,
      max_usages: voucher.max_usages,
      redeemed: voucher.redeemed,
      valid_until: isoDateTime(voucher.valid_until),
      subevent: null,
      tag: voucher.tag,
      comment: voucher.exhibitor_comment,
      items: voucher.item_name ? [localized(voucher.item_name, exhibitor.locale)] : ['All'],
      price_mode: voucher.price_mode,
      value: voucher.value,
      redemptions: used.filter((r) => r.voucher_id === voucher.id).map((r) => ({
        attendee_fields: attendeeFields(r, event.lead_fields, exhibitor.locale),
        redemption_date: dayIn(r.order_datetime, event.timezone),
        subevent: null
      }))
    }))
  }

  app.addHook('onRequest', async (request) => {
    if (!request.exhibitor.fullAccess || !request.exhibitor.allowVoucherAccess) throw bulkDataDenied()
  })

  app.get('/vouchers/', {
    schema: { tags, summary: 'The vouchers attached to the exhibitor', querystring: PageQuery, response: { 200: Paginated(AppVoucherSchema), ...errors } }
  }, async (request) => {
    const exhibitor = request.exhibitor
    const count = await queries.exhibitorApp.countVouchers(app.db, exhibitor.exhibitorId)
    return await paginate(request, app.appConfig.PUBLIC_APP_URL, count, async (page) =>
      await render(exhibitor, await queries.exhibitorApp.listVouchers(app.db, exhibitor.exhibitorId, { limit: page.size, offset: page.offset })))
  })

  app.get('/vouchers/:id/', {
    schema: { tags, summary: 'One voucher attached to the exhibitor', params: Type.Object({ id: IdParam }), response: { 200: AppVoucherSchema, ...errors } }
  }, async (request) => {
    const exhibitor = request.exhibitor
    const rows = await queries.exhibitorApp.listVouchers(app.db, exhibitor.exhibitorId, { voucherId: request.params.id })
    if (rows.length === 0) throw notFound()
    return (await render(exhibitor, rows))[0]
  })
}

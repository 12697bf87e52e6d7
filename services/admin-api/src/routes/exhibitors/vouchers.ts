import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries } from '@showfloor/db'
import {
  ExhibitorParams, ExhibitorVoucherSchema, MAX_BULK_ATTACH, PageQuery, Paginated, VoucherAttachResponse,
  VoucherAttachSchema, VoucherBulkAttachSchema, errorResponses, type ExhibitorVoucherBody
} from '@showfloor/schemas'
import { paginate } from '@showfloor/http'
import { attachVoucher, bulkAttachVouchers } from '../../domain/exhibitorVouchers.js'
import { serializeVoucher } from '../vouchers.js'

type ExhibitorVoucher = queries.exhibitorVouchers.ExhibitorVoucher

export function serializeExhibitorVoucher (voucher: ExhibitorVoucher): ExhibitorVoucherBody {
  return { ...serializeVoucher(voucher), exhibitor_comment: voucher.exhibitor_comment }
}

const tags = ['Exhibitors']

/** `exhibitors/{id}/vouchers/...`: the vouchers handed to an exhibitor. */
export const exhibitorVouchers: FastifyPluginAsyncTypebox<{ load: (eventId: number, id: number) => Promise<{ id: number }> }> = async (app, { load }) => {
  app.get('/:id/vouchers/', {
    config: { permission: 'can_view_vouchers' },
    schema: { tags, summary: 'List the vouchers attached to an exhibitor', params: ExhibitorParams, querystring: PageQuery, response: { 200: Paginated(ExhibitorVoucherSchema), ...errorResponses } }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    const count = await queries.exhibitorVouchers.countVouchers(app.db, exhibitor.id)
    return await paginate(request, app.config.PUBLIC_ADMIN_URL, count, async (page) =>
      (await queries.exhibitorVouchers.listVouchers(app.db, exhibitor.id, page.size, page.offset)).map(serializeExhibitorVoucher))
  })

  app.post('/:id/vouchers/attach/', {
    config: { permission: 'can_change_vouchers' },
    schema: {
      tags,
      summary: 'Attach an existing voucher to an exhibitor (again: updates the comment; from another exhibitor: moves it)',
      params: ExhibitorParams,
      body: VoucherAttachSchema,
      response: { 200: VoucherAttachResponse, ...errorResponses }
    }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    await attachVoucher(app.db, request.event.id, exhibitor.id, request.body)
    return {}
  })

  app.post('/:id/vouchers/bulk_attach/', {
    config: { permission: 'can_change_vouchers' },
    schema: {
      tags,
      summary: `Attach up to ${MAX_BULK_ATTACH} existing vouchers to an exhibitor, all or none`,
      params: ExhibitorParams,
      body: VoucherBulkAttachSchema,
      response: { 200: VoucherAttachResponse, ...errorResponses }
    }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    await bulkAttachVouchers(app.db, request.event.id, exhibitor.id, request.body)
    return {}
  })
}

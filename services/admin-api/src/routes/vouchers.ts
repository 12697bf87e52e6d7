import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Voucher } from '@showfloor/db'
import {
  EventParams, MAX_VOUCHER_BATCH, Paginated, VoucherBatchSchema, VoucherCreateSchema, VoucherListQuery, VoucherParams,
  VoucherReplaceSchema, VoucherSchema, VoucherUpdateSchema, decimal, errorResponses, isoDateTime, voucherListFilter,
  type VoucherBody
} from '@showfloor/schemas'
import { invalid, notFound, paginate } from '@showfloor/http'
import { createVouchers, deleteVoucher, updateVoucher } from '../domain/vouchers.js'

/** pretix's voucher resource on the wire (the exhibitors API adds `exhibitor_comment` to it). */
export function serializeVoucher (voucher: Voucher): VoucherBody {
  return {
    id: voucher.id,
    code: voucher.code,
    max_usages: voucher.max_usages,
    redeemed: voucher.redeemed,
    min_usages: voucher.min_usages,
    valid_until: isoDateTime(voucher.valid_until),
    block_quota: voucher.block_quota,
    allow_ignore_quota: voucher.allow_ignore_quota,
    price_mode: voucher.price_mode,
    value: voucher.value === null ? null : decimal(voucher.value),
    item: voucher.item_id,
    variation: voucher.variation,
    quota: voucher.quota,
    tag: voucher.tag,
    comment: voucher.comment,
    seat: voucher.seat,
    subevent: null,
    show_hidden_items: voucher.show_hidden_items,
    all_addons_included: voucher.all_addons_included,
    all_bundles_included: voucher.all_bundles_included
  }
}

const tags = ['Vouchers']

export const vouchers: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL

  app.get('/', {
    config: { permission: 'can_view_vouchers' },
    schema: { tags, summary: 'List vouchers', params: EventParams, querystring: VoucherListQuery, response: { 200: Paginated(VoucherSchema), ...errorResponses } }
  }, async (request) => {
    const { filter, matchesNothing, errors } = voucherListFilter(request.query)
    if (Object.keys(errors).length > 0) throw invalid(errors)
    const count = matchesNothing ? 0 : await queries.vouchers.countVouchers(app.db, request.event.id, filter)
    return await paginate(request, base(), count, async (page) =>
      (await queries.vouchers.listVouchers(app.db, request.event.id, filter, page.size, page.offset)).map(serializeVoucher))
  })

  app.get('/:id/', {
    config: { permission: 'can_view_vouchers' },
    schema: { tags, summary: 'Voucher detail', params: VoucherParams, response: { 200: VoucherSchema, ...errorResponses } }
  }, async (request) => {
    const voucher = await queries.vouchers.findVoucher(app.db, request.event.id, request.params.id)
    if (!voucher) throw notFound()
    return serializeVoucher(voucher)
  })

  app.post('/', {
    config: { permission: 'can_change_vouchers' },
    schema: { tags, summary: 'Create a voucher', params: EventParams, body: VoucherCreateSchema, response: { 201: VoucherSchema, ...errorResponses } }
  }, async (request, reply) => {
    const [voucher] = await createVouchers(app.db, request.event.id, [request.body], false)
    return await reply.code(201).send(serializeVoucher(voucher))
  })

  app.post('/batch_create/', {
    config: { permission: 'can_change_vouchers' },
    schema: {
      tags,
      summary: 'Create many vouchers, all or none',
      description: 'Errors answer as a list in input order, with {} for the entries that were fine.',
      params: EventParams,
      body: VoucherBatchSchema,
      response: { 201: Type.Array(VoucherSchema), ...errorResponses }
    },
    // Before validating entries one by one: an oversized batch is refused as a whole.
    preValidation: async (request) => {
      if (Array.isArray(request.body) && request.body.length > MAX_VOUCHER_BATCH) {
        throw invalid({ non_field_errors: [`Ensure this field has no more than ${MAX_VOUCHER_BATCH} elements.`] })
      }
    }
  }, async (request, reply) => {
    const created = await createVouchers(app.db, request.event.id, request.body, true)
    return await reply.code(201).send(created.map(serializeVoucher))
  })

  app.put('/:id/', {
    config: { permission: 'can_change_vouchers' },
    schema: { tags, summary: 'Replace a voucher', params: VoucherParams, body: VoucherReplaceSchema, response: { 200: VoucherSchema, ...errorResponses } }
  }, async (request) => serializeVoucher(await updateVoucher(app.db, request.event.id, request.params.id, request.body, true)))

  app.patch('/:id/', {
    config: { permission: 'can_change_vouchers' },
    schema: { tags, summary: 'Update a voucher', params: VoucherParams, body: VoucherUpdateSchema, response: { 200: VoucherSchema, ...errorResponses } }
  }, async (request) => serializeVoucher(await updateVoucher(app.db, request.event.id, request.params.id, request.body, false)))

  app.delete('/:id/', {
    config: { permission: 'can_change_vouchers' },
    schema: { tags, summary: 'Delete a voucher', params: VoucherParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    await deleteVoucher(app.db, request.event.id, request.params.id)
    return await reply.code(204).send(null)
  })
}

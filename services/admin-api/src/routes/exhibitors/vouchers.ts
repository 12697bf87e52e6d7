import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries, type Db } from '@showfloor/db'
import {
  ExhibitorParams, ExhibitorVoucherSchema, MAX_BULK_ATTACH, PageQuery, Paginated, VoucherAttachResponse,
  VoucherAttachSchema, VoucherBulkAttachSchema, errorResponses, serializeVoucher, type ExhibitorVoucherBody,
  type VoucherAttach
} from '@showfloor/schemas'
import { invalid, paginate } from '@showfloor/http'

type ExhibitorVoucher = queries.exhibitorVouchers.ExhibitorVoucher
type Key = 'id' | 'code'

export function serializeExhibitorVoucher (voucher: ExhibitorVoucher): ExhibitorVoucherBody {
  return { ...serializeVoucher(voucher), exhibitor_comment: voucher.exhibitor_comment }
}

function keyOf (entry: VoucherAttach): Key | null {
  if ((entry.id === undefined) === (entry.code === undefined)) return null
  return entry.id !== undefined ? 'id' : 'code'
}

const EITHER = 'Send either the id or the code of the voucher, not both.'
const notFoundMessage = (entry: VoucherAttach, key: Key): string =>
  key === 'id' ? `Invalid pk "${entry.id}" - object does not exist.` : `Object with code=${entry.code} does not exist.`

/**
 * Resolves entries that all use `key` to voucher ids of the event with one query, locking those
 * vouchers against deletion until the transaction ends. Unknown vouchers: their index → error.
 */
async function resolve (db: Db, eventId: number, key: Key, entries: readonly VoucherAttach[]): Promise<{ ids: number[], missing: Map<number, string> }> {
  const ids: number[] = []
  const missing = new Map<number, string>()
  if (key === 'id') {
    const found = await queries.exhibitorVouchers.existingVoucherIds(db, eventId, entries.map((e) => e.id!))
    entries.forEach((entry, i) => { if (found.has(entry.id!)) ids.push(entry.id!); else missing.set(i, notFoundMessage(entry, key)) })
  } else {
    const found = await queries.exhibitorVouchers.voucherIdsByCode(db, eventId, entries.map((e) => e.code!))
    entries.forEach((entry, i) => {
      const id = found.get(entry.code!.toUpperCase())
      if (id !== undefined) ids.push(id); else missing.set(i, notFoundMessage(entry, key))
    })
  }
  return { ids, missing }
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
    const event = request.event
    const exhibitor = await load(event.id, request.params.id)
    const entry = request.body
    const key = keyOf(entry)
    if (key === null) throw invalid({ non_field_errors: [EITHER] })
    await app.db.transaction().execute(async (trx) => {
      const { ids, missing } = await resolve(trx, event.id, key, [entry])
      if (missing.size > 0) throw invalid({ [key]: [missing.get(0)!] })
      await queries.exhibitorVouchers.attachVouchers(trx, exhibitor.id, [{ voucherId: ids[0], comment: entry.exhibitor_comment ?? '' }])
    })
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
    const event = request.event
    const exhibitor = await load(event.id, request.params.id)
    const entries = request.body
    if (entries.length > MAX_BULK_ATTACH) {
      throw invalid({ non_field_errors: [`Ensure this field has no more than ${MAX_BULK_ATTACH} elements.`] })
    }
    // The first entry with exactly one key decides which key every entry must use.
    const key = entries.map(keyOf).find((k) => k !== null) ?? 'id'
    const errors = entries.map((entry): Record<string, string[]> => {
      const own = keyOf(entry)
      if (own === null) return { non_field_errors: [EITHER] }
      if (own !== key) return { non_field_errors: [`All entries must use the same field; the first one uses ${key}.`] }
      return {}
    })
    if (errors.some((e) => Object.keys(e).length > 0)) throw invalid(errors)

    await app.db.transaction().execute(async (trx) => {
      const { ids, missing } = await resolve(trx, event.id, key, entries)
      if (missing.size > 0) throw invalid(entries.map((_, i) => missing.has(i) ? { [key]: [missing.get(i)!] } : {}))
      await queries.exhibitorVouchers.attachVouchers(trx, exhibitor.id,
        ids.map((voucherId, i) => ({ voucherId, comment: entries[i].exhibitor_comment ?? '' })))
    })
    return {}
  })
}

import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, DecimalInput, DecimalString, IdParam, Nullable } from './common.js'
import { PageQuery } from './pagination.js'
import { FilterReader, type FilterErrors } from './listFilters.js'

/** At most this many entries in one batch_create body. */
export const MAX_VOUCHER_BATCH = 10_000

export const PRICE_MODES = ['none', 'set', 'subtract', 'percent'] as const
export type PriceMode = typeof PRICE_MODES[number]
const PriceModeSchema = Type.Union(PRICE_MODES.map((mode) => Type.Literal(mode)), {
  description: 'none: no change; set: the price is `value`; subtract: the price minus `value`; percent: `value` percent off'
})

export const VoucherSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  max_usages: Type.Integer(),
  redeemed: Type.Integer(),
  min_usages: Type.Integer(),
  valid_until: Nullable(DateTimeString),
  block_quota: Type.Boolean(),
  allow_ignore_quota: Type.Boolean(),
  price_mode: PriceModeSchema,
  value: Nullable(DecimalString),
  item: Nullable(Type.Integer()),
  variation: Nullable(Type.Integer()),
  quota: Nullable(Type.Integer()),
  tag: Type.String(),
  comment: Type.String(),
  seat: Nullable(Type.String()),
  subevent: Nullable(Type.Integer()),
  show_hidden_items: Type.Boolean(),
  all_addons_included: Type.Boolean(),
  all_bundles_included: Type.Boolean()
}, { title: 'Voucher' })
export type VoucherBody = Static<typeof VoucherSchema>

const Count = Type.Integer({ minimum: 1, maximum: 2147483647 })

// Writable fields. No `default` keywords: Ajv would fill them in, also for PATCH.
const voucherFields = {
  code: Type.String({ minLength: 5, maxLength: 255, description: 'Unique within the event, ignoring case; generated when omitted on create' }),
  max_usages: Count,
  min_usages: Count,
  valid_until: Nullable(DateTimeString),
  block_quota: Type.Boolean(),
  allow_ignore_quota: Type.Boolean(),
  price_mode: PriceModeSchema,
  value: Nullable(DecimalInput),
  item: Nullable(Type.Integer({ description: 'An item of the same event' })),
  variation: Nullable(Type.Integer({ description: 'Always null: items have no variations here' })),
  quota: Nullable(Type.Integer({ description: 'Always null: there are no quotas here' })),
  tag: Type.String({ maxLength: 255 }),
  comment: Type.String(),
  seat: Nullable(Type.String({ description: 'Always null: there are no seating plans here' })),
  subevent: Nullable(Type.Integer({ description: 'Always null: event series are not supported' })),
  show_hidden_items: Type.Boolean(),
  all_addons_included: Type.Boolean(),
  all_bundles_included: Type.Boolean()
}

/** POST and PATCH: every field optional; on create, omitted fields take pretix's defaults. */
export const VoucherCreateSchema = Type.Partial(Type.Object(voucherFields), {
  description: 'Defaults: max_usages 1, min_usages 1, price_mode "none", show_hidden_items true, tag and comment "", everything else false or null'
})
export type VoucherCreate = Static<typeof VoucherCreateSchema>
export const VoucherUpdateSchema = VoucherCreateSchema
export type VoucherUpdate = VoucherCreate

/** PUT: `code` is required (a replacement must not silently re-code a voucher); other omitted fields reset to their defaults. */
export const VoucherReplaceSchema = Type.Object({ ...VoucherCreateSchema.properties, code: voucherFields.code })
export type VoucherReplace = Static<typeof VoucherReplaceSchema>

export const VoucherBatchSchema = Type.Array(VoucherCreateSchema, { description: `At most ${MAX_VOUCHER_BATCH} vouchers, created all or none` })

export const VoucherParams = Type.Object({ organizer: Type.String(), event: Type.String(), id: IdParam })

const filterParam = (description: string) => Type.Optional(Type.String({ description }))

// Every value is read as text and checked by voucherListFilter, which answers pretix's messages.
export const VoucherListQuery = Type.Object({
  ...PageQuery.properties,
  code: filterParam('Only the voucher with this code (ignoring case)'),
  tag: filterParam('Only vouchers with exactly this tag'),
  max_usages: filterParam('Only vouchers with this maximum number of usages'),
  redeemed: filterParam('Only vouchers redeemed this many times'),
  block_quota: filterParam('true or false: only vouchers with this block_quota'),
  allow_ignore_quota: filterParam('true or false: only vouchers with this allow_ignore_quota'),
  price_mode: filterParam('Only vouchers with this price_mode'),
  value: filterParam('Only vouchers with this value'),
  item: filterParam('Only vouchers of the item with this id'),
  variation: filterParam('Matches no voucher: items have no variations here'),
  quota: filterParam('Matches no voucher: there are no quotas here'),
  subevent: filterParam('Matches no voucher: event series are not supported'),
  active: filterParam('true: only vouchers that are not expired and not used up; false: only the others'),
  ordering: filterParam('Comma-separated fields of id, code, max_usages, valid_until, value; a leading "-" reverses one. Default: id')
})
export type VoucherListQueryType = Static<typeof VoucherListQuery>

export const VOUCHER_ORDERING_FIELDS = ['id', 'code', 'max_usages', 'valid_until', 'value'] as const
export type VoucherOrderingField = typeof VOUCHER_ORDERING_FIELDS[number]

/** What the voucher list is filtered by; every field left out filters nothing. */
export interface VoucherListFilter {
  /** Matched ignoring case. */
  code?: string
  tag?: string
  /** Decimal text, compared as a number. */
  max_usages?: string
  redeemed?: string
  block_quota?: boolean
  allow_ignore_quota?: boolean
  price_mode?: PriceMode
  value?: string
  item?: number
  /** Not expired (valid_until unset or in the future) and not used up (redeemed < max_usages); false: the others. */
  active?: boolean
  /** Empty: by id. Ties are broken by id. */
  ordering?: Array<{ field: VoucherOrderingField, descending: boolean }>
}

/**
 * Reads the voucher list's query as pretix does. `matchesNothing`: a filter no voucher can meet
 * (a variation, quota or event-series date; an id or number out of any stored range; a NUL byte,
 * which PostgreSQL refuses to compare), answered with an empty list without asking the database.
 */
export function voucherListFilter (query: Record<string, unknown>): { filter: VoucherListFilter, matchesNothing: boolean, errors: FilterErrors } {
  const read = new FilterReader(query)
  let matchesNothing = false
  const filter: VoucherListFilter = {}
  const set = <K extends keyof VoucherListFilter>(key: K, value: VoucherListFilter[K] | null | undefined) => {
    if (value === null) matchesNothing = true
    else if (value !== undefined) filter[key] = value
  }
  for (const key of ['code', 'tag'] as const) {
    const text = read.text(key)
    if (text?.includes('\u0000')) matchesNothing = true
    else set(key, text)
  }
  set('max_usages', read.number('max_usages'))
  set('redeemed', read.number('redeemed'))
  set('block_quota', read.boolean('block_quota'))
  set('allow_ignore_quota', read.boolean('allow_ignore_quota'))
  set('price_mode', read.choice('price_mode', PRICE_MODES))
  set('value', read.number('value'))
  set('item', read.id('item'))
  for (const key of ['variation', 'quota', 'subevent'] as const) {
    if (read.id(key) !== undefined) matchesNothing = true
  }
  set('active', read.boolean('active'))
  const ordering = read.ordering('ordering', VOUCHER_ORDERING_FIELDS)
  if (ordering.length > 0) filter.ordering = ordering
  return { filter, matchesNothing, errors: read.errors }
}

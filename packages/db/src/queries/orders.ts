import { sql, type Transaction } from 'kysely'
import type { Db } from '../database.js'
import type { Answer, AttendeeSource, Database, Item, Order, OrderPosition, Voucher } from '../types.js'
import { generateOrderCode, generatePseudonymizationId, generateSecret, isUniqueViolation } from '../codes.js'

export type OrderWithPositions = Order & { positions: OrderPosition[] }

/** Ids beyond int4 name no row, and must not reach PostgreSQL as a parameter error. */
const MAX_ID = 2147483647
const validId = (id: number): boolean => Number.isInteger(id) && id >= 1 && id <= MAX_ID

export async function countOrders (db: Db, eventId: number): Promise<number> {
  const row = await db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** The positions of these orders, in order and positionid order. */
export async function positionsOfOrders (db: Db, orderIds: readonly number[]): Promise<OrderPosition[]> {
  if (orderIds.length === 0) return []
  return await db.selectFrom('order_positions').selectAll()
    .where('order_id', 'in', orderIds).orderBy('order_id').orderBy('positionid').execute()
}

async function withPositions (db: Db, orders: Order[]): Promise<OrderWithPositions[]> {
  const positions = await positionsOfOrders(db, orders.map((o) => o.id))
  const byOrder = new Map<number, OrderPosition[]>(orders.map((o) => [o.id, []]))
  for (const p of positions) byOrder.get(p.order_id)?.push(p)
  return orders.map((o) => ({ ...o, positions: byOrder.get(o.id) ?? [] }))
}

export async function listOrders (db: Db, eventId: number, limit: number, offset: number): Promise<OrderWithPositions[]> {
  const orders = await db.selectFrom('orders').selectAll()
    .where('event_id', '=', eventId).orderBy('id').limit(limit).offset(offset).execute()
  return await withPositions(db, orders)
}

export async function findOrder (db: Db, eventId: number, code: string): Promise<OrderWithPositions | undefined> {
  const order = await db.selectFrom('orders').selectAll()
    .where('event_id', '=', eventId).where('code', '=', code).executeTakeFirst()
  if (!order) return undefined
  return (await withPositions(db, [order]))[0]
}

/** The attendee's own fields of a position, as AttendeeSource has them. */
type AttendeeDetails = Pick<AttendeeSource, 'attendee_name_parts' | 'attendee_name' | 'attendee_email' | 'company' | 'street' | 'zipcode' | 'city' | 'country'>

export interface NewOrderPosition extends AttendeeDetails {
  item: number
  /** Canonical decimal string; null takes the item's price (after the voucher's price mode). */
  price: string | null
  /** Null generates one. */
  secret: string | null
  /** A voucher by id, or by code (case-insensitive), and the request field that named it. */
  voucher: { id: number } | { code: string } | null
  voucherField: 'voucher' | 'voucher_code'
  answers: Answer[]
}

export interface NewOrder {
  eventId: number
  status: 'n' | 'p'
  email: string | null
  locale: string
  /** Undefined means now. */
  datetime?: string
  positions: NewOrderPosition[]
}

export type PositionErrors = Record<string, string[]>

/** Either the created order, or pretix-shaped errors ({"positions": [{}, {"item": [...]}]}) and nothing written. */
export type CreateOrderResult =
  | { order: OrderWithPositions, errors?: undefined }
  | { order?: undefined, errors: { positions: PositionErrors[] } | { non_field_errors: string[] } }

class Rejected extends Error {
  constructor (readonly errors: { positions: PositionErrors[] } | { non_field_errors: string[] }) { super('order rejected') }
}

// Money in cents as bigint: exact, and no float rounding on sums.
function toCents (value: string): bigint {
  const negative = value.startsWith('-')
  const [whole, frac = ''] = value.replace(/^[-+]/, '').split('.')
  const cents = BigInt(whole || '0') * 100n + BigInt((frac + '00').slice(0, 2))
  return negative ? -cents : cents
}

function fromCents (cents: bigint): string {
  const negative = cents < 0n
  const abs = negative ? -cents : cents
  const frac = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${abs / 100n}.${frac}`
}

/** numeric(13, 2) holds at most 11 digits before the point. */
const MAX_CENTS = 10n ** 13n - 1n

/** pretix's Voucher.calculate_price for a listed price. */
function voucherPrice (listed: bigint, voucher: Voucher | undefined): bigint {
  if (!voucher || voucher.value === null) return listed
  const value = toCents(voucher.value)
  switch (voucher.price_mode) {
    case 'set': return value
    case 'subtract': return listed - value > 0n ? listed - value : 0n
    case 'percent': {
      // listed * (100 - percent) / 100, rounded half up; `value` is the percentage in hundredths.
      const scaled = listed * (10000n - value)
      const result = (scaled * 2n + 10000n) / 20000n
      return result > 0n ? result : 0n
    }
    default: return listed
  }
}

function addError (errors: PositionErrors[], index: number, field: string, message: string) {
  (errors[index][field] ??= []).push(message)
}

const hasErrors = (errors: PositionErrors[]) => errors.some((e) => Object.keys(e).length > 0)

async function loadVouchers (trx: Transaction<Database>, eventId: number, positions: NewOrderPosition[], errors: PositionErrors[]): Promise<Array<Voucher | undefined>> {
  const ids = [...new Set(positions.flatMap((p) => p.voucher && 'id' in p.voucher && validId(p.voucher.id) ? [p.voucher.id] : []))]
  const codes = [...new Set(positions.flatMap((p) => p.voucher && 'code' in p.voucher ? [p.voucher.code.toUpperCase()] : []))]
  const found: Voucher[] = ids.length === 0 && codes.length === 0
    ? []
    : await trx.selectFrom('vouchers').selectAll().where('event_id', '=', eventId)
      .where((eb) => eb.or([
        ...(ids.length > 0 ? [eb('id', 'in', ids)] : []),
        ...(codes.length > 0 ? [eb(sql<string>`upper(code)`, 'in', codes)] : [])
      ])).execute()
  const byId = new Map(found.map((v) => [v.id, v]))
  const byCode = new Map(found.map((v) => [v.code.toUpperCase(), v]))
  return positions.map((p, i) => {
    if (!p.voucher) return undefined
    const voucher = 'id' in p.voucher ? byId.get(p.voucher.id) : byCode.get(p.voucher.code.toUpperCase())
    if (!voucher) {
      addError(errors, i, p.voucherField, 'id' in p.voucher
        ? `Invalid pk "${p.voucher.id}" - object does not exist.`
        : `Object with code=${p.voucher.code} does not exist.`)
    } else if (voucher.item_id !== null && voucher.item_id !== p.item) {
      addError(errors, i, p.voucherField, 'This voucher is not valid for this product.')
    }
    return voucher
  })
}

/**
 * Redeems each voucher once per position that uses it. The guarded UPDATE re-checks the limit, the
 * expiry and the voucher's item on the row it locks, so concurrent orders (or a concurrent change
 * of the voucher) can never redeem it past `max_usages` or for another product. Vouchers are
 * locked in id order, so two orders sharing vouchers cannot deadlock.
 */
async function redeemVouchers (trx: Transaction<Database>, positions: NewOrderPosition[], vouchers: Array<Voucher | undefined>, errors: PositionErrors[]) {
  const uses = new Map<number, number[]>()
  vouchers.forEach((v, i) => { if (v) uses.set(v.id, [...(uses.get(v.id) ?? []), i]) })
  for (const id of [...uses.keys()].sort((a, b) => a - b)) {
    const indexes = uses.get(id)!
    const n = indexes.length
    const itemIds = [...new Set(indexes.map((i) => positions[i].item))]
    const updated = await trx.updateTable('vouchers')
      .set((eb) => ({ redeemed: eb('redeemed', '+', n) }))
      .where('id', '=', id)
      .where(sql<boolean>`redeemed + ${n} <= max_usages`)
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', sql<Date>`now()`)]))
      .where((eb) => eb.or([eb('item_id', 'is', null), ...(itemIds.length === 1 ? [eb('item_id', '=', itemIds[0])] : [])]))
      .returning('id')
      .executeTakeFirst()
    if (updated) continue
    const current = await trx.selectFrom('vouchers').select(['max_usages', 'redeemed', 'valid_until', 'item_id'])
      .where('id', '=', id).executeTakeFirstOrThrow()
    if (current.valid_until !== null && current.valid_until <= new Date()) {
      for (const i of indexes) addError(errors, i, positions[i].voucherField, 'This voucher is expired.')
    } else if (current.item_id !== null && indexes.some((i) => positions[i].item !== current.item_id)) {
      for (const i of indexes) {
        if (positions[i].item !== current.item_id) addError(errors, i, positions[i].voucherField, 'This voucher is not valid for this product.')
      }
    } else {
      // The positions beyond what is left are the ones refused, as pretix counts them.
      const left = Math.max(0, current.max_usages - current.redeemed)
      for (const i of indexes.slice(left)) addError(errors, i, positions[i].voucherField, 'The voucher has already been used the maximum number of times.')
    }
  }
}

async function insertOrder (trx: Transaction<Database>, input: NewOrder): Promise<OrderWithPositions> {
  const { eventId, positions } = input
  const errors: PositionErrors[] = positions.map(() => ({}))

  const itemIds = [...new Set(positions.map((p) => p.item).filter(validId))]
  const items = new Map<number, Item>(itemIds.length === 0
    ? []
    : (await trx.selectFrom('items').selectAll().where('event_id', '=', eventId).where('id', 'in', itemIds).execute()).map((i) => [i.id, i]))
  positions.forEach((p, i) => {
    const item = items.get(p.item)
    if (!item) addError(errors, i, 'item', `Invalid pk "${p.item}" - object does not exist.`)
    else if (!item.active) addError(errors, i, 'item', 'The specified item is not active.')
  })

  const sent = positions.flatMap((p, i) => p.secret !== null ? [[i, p.secret] as const] : [])
  if (sent.length > 0) {
    const taken = new Set((await trx.selectFrom('order_positions').select('secret')
      .where('event_id', '=', eventId).where('secret', 'in', [...new Set(sent.map(([, s]) => s))]).execute()).map((r) => r.secret))
    for (const [i, secret] of sent) {
      if (taken.has(secret)) addError(errors, i, 'secret', 'You cannot assign a position secret that already exists.')
    }
  }

  const vouchers = await loadVouchers(trx, eventId, positions, errors)
  if (hasErrors(errors)) throw new Rejected({ positions: errors })
  await redeemVouchers(trx, positions, vouchers, errors)
  if (hasErrors(errors)) throw new Rejected({ positions: errors })

  const prices = positions.map((p, i) => p.price !== null ? toCents(p.price) : voucherPrice(toCents(items.get(p.item)!.default_price), vouchers[i]))
  const total = prices.reduce((sum, c) => sum + c, 0n)
  if (total > MAX_CENTS || total < -MAX_CENTS) throw new Rejected({ non_field_errors: ['The order total is too large.'] })

  const order = await trx.insertInto('orders').values({
    event_id: eventId,
    code: generateOrderCode(),
    status: input.status,
    email: input.email,
    locale: input.locale,
    ...(input.datetime !== undefined && { datetime: input.datetime }),
    total: fromCents(total)
  }).returningAll().executeTakeFirstOrThrow()

  const rows = positions.map((p, i) => ({
    order_id: order.id,
    event_id: eventId,
    positionid: i + 1,
    item_id: p.item,
    price: fromCents(prices[i]),
    attendee_name_parts: JSON.stringify(p.attendee_name_parts),
    attendee_name: p.attendee_name,
    attendee_email: p.attendee_email,
    company: p.company,
    street: p.street,
    zipcode: p.zipcode,
    city: p.city,
    country: p.country,
    secret: p.secret ?? generateSecret(),
    pseudonymization_id: generatePseudonymizationId(),
    voucher_id: vouchers[i]?.id ?? null,
    answers: JSON.stringify(p.answers)
  }))
  const inserted: OrderPosition[] = []
  // Batches keep each statement well below PostgreSQL's 65,535 parameters.
  for (let start = 0; start < rows.length; start += 1000) {
    inserted.push(...await trx.insertInto('order_positions').values(rows.slice(start, start + 1000)).returningAll().execute())
  }
  inserted.sort((a, b) => a.positionid - b.positionid)
  return { ...order, positions: inserted }
}

const RANDOM_CODE_CONSTRAINTS = ['orders_event_code_key', 'order_positions_event_pseudonymization_id_key', 'order_positions_event_secret_key']

/**
 * Creates an order with its positions and redeems their vouchers, all in one transaction. A
 * collision of a generated code (order code, pseudonymization id, secret) rolls everything back
 * and tries again with fresh codes; a secret sent by the client that another order took meanwhile
 * is then found by the re-check and refused.
 */
export async function createOrder (db: Db, input: NewOrder): Promise<CreateOrderResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { order: await db.transaction().execute(async (trx) => await insertOrder(trx, input)) }
    } catch (err) {
      if (err instanceof Rejected) return { errors: err.errors }
      if (attempt < 5 && RANDOM_CODE_CONSTRAINTS.some((c) => isUniqueViolation(err, c))) continue
      throw err
    }
  }
}

/**
 * Cancels the order and frees its positions' voucher redemptions, in one transaction. Undefined
 * when the order is already canceled.
 */
export async function cancelOrder (db: Db, orderId: number): Promise<OrderWithPositions | undefined> {
  return await db.transaction().execute(async (trx) => {
    const order = await trx.updateTable('orders').set({ status: 'c' })
      .where('id', '=', orderId).where('status', '<>', 'c').returningAll().executeTakeFirst()
    if (!order) return undefined
    const uses = await trx.selectFrom('order_positions')
      .select(['voucher_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('order_id', '=', orderId).where('voucher_id', 'is not', null)
      .groupBy('voucher_id').orderBy('voucher_id').execute()
    for (const { voucher_id: voucherId, n } of uses) {
      await trx.updateTable('vouchers')
        .set({ redeemed: sql<number>`greatest(redeemed - ${Number(n)}, 0)` })
        .where('id', '=', voucherId!).execute()
    }
    return (await withPositions(trx, [order]))[0]
  })
}

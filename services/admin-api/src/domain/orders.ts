import {
  generateOrderCode, generatePseudonymizationId, generateSecret, isUniqueViolation, queries,
  type Db, type Event, type Item, type NewOrderPosition, type Voucher
} from '@showfloor/db'
import {
  MAX_ID, displayName, type Answer, type AttendeeDetails, type NameParts, type OrderCreate, type OrderPositionCreate
} from '@showfloor/schemas'
import { HttpError, invalid, notFound } from '@showfloor/http'

// pretix's order rules: what a position may say, prices after vouchers, redemption limits, and the
// messages pretix answers when one is broken.

type OrderWithPositions = queries.orders.OrderWithPositions
type PositionErrors = Record<string, string[]>

/** Ids beyond int4 name no row, and must not reach PostgreSQL as a parameter error. */
const validId = (id: number): boolean => Number.isInteger(id) && id >= 1 && id <= MAX_ID

/** A position as read from the body, checked as far as that is possible without the database. */
interface PositionInput extends AttendeeDetails {
  attendee_name_parts: NameParts
  attendee_name: string | null
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

interface OrderInput {
  eventId: number
  status: 'n' | 'p'
  email: string | null
  locale: string
  /** Undefined means now. */
  datetime?: string
  positions: PositionInput[]
}

function addError (errors: PositionErrors[], index: number, field: string, message: string) {
  (errors[index][field] ??= []).push(message)
}

const hasErrors = (errors: PositionErrors[]) => errors.some((e) => Object.keys(e).length > 0)

/** A price as a canonical decimal string, or an error message (pretix's DecimalField rules). */
function normalizePrice (value: string | number): string | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: 'A valid number is required.' }
    const cents = Math.round(value * 100)
    if (Math.abs(cents - value * 100) > 1e-6) return { error: 'Ensure that there are no more than 2 decimal places.' }
    if (Math.abs(cents) >= 1e13) return { error: 'Ensure that there are no more than 13 digits in total.' }
    return (cents / 100).toFixed(2)
  }
  // The schema's pattern already limits strings to 11 digits and 2 decimals.
  const [whole, frac = ''] = value.split('.')
  return `${whole}.${frac.padEnd(2, '0')}`
}

/** Checks that need no database, then the position in the form the order is built from. */
function readPosition (p: OrderPositionCreate, errors: PositionErrors): PositionInput {
  const add = (field: string, message: string) => { (errors[field] ??= []).push(message) }
  if (p.variation != null) add('variation', 'You cannot specify a variation for this item.')
  if (p.subevent != null) add('subevent', 'You cannot set a subevent for this event.')
  if (p.addon_to != null) add('addon_to', 'Add-on products are not supported.')

  let price: string | null = null
  if (p.price != null) {
    const normalized = normalizePrice(p.price)
    if (typeof normalized === 'string') price = normalized
    else add('price', normalized.error)
  }

  const name = p.attendee_name?.trim() || null
  const parts = p.attendee_name_parts ?? {}
  if (name !== null && Object.keys(parts).length > 0) {
    add('attendee_name', 'Do not specify attendee_name if you specified attendee_name_parts.')
  }
  const storedParts = name !== null ? { _legacy: name } : parts

  // pretix takes a string in `voucher` as a code; this system also takes an id there.
  let voucher: PositionInput['voucher'] = null
  let voucherField: PositionInput['voucherField'] = 'voucher'
  if (p.voucher != null && p.voucher_code != null) {
    add('voucher_code', 'Do not specify voucher_code if you specified voucher.')
  } else if (p.voucher != null) {
    voucher = typeof p.voucher === 'number' ? { id: p.voucher } : { code: p.voucher }
  } else if (p.voucher_code != null) {
    voucher = { code: p.voucher_code }
    voucherField = 'voucher_code'
  }

  return {
    item: p.item,
    price,
    attendee_name_parts: storedParts,
    attendee_name: displayName(storedParts),
    attendee_email: p.attendee_email ?? null,
    company: p.company ?? null,
    street: p.street ?? null,
    zipcode: p.zipcode ?? null,
    city: p.city ?? null,
    country: p.country ?? null,
    secret: p.secret ?? null,
    voucher,
    voucherField,
    answers: (p.answers ?? []).map((a) => ({ question_identifier: a.question_identifier, question: a.question ?? '', answer: a.answer }))
  }
}

function readOrder (body: OrderCreate, event: Event): OrderInput {
  const errors: PositionErrors[] = body.positions.map(() => ({}))
  const positions = body.positions.map((p, i) => readPosition(p, errors[i]))

  // Position ids are optional, but when sent, every position has one and they count up from 1.
  if (body.positions.some((p) => p.positionid !== undefined)) {
    body.positions.forEach((p, i) => {
      if (p.positionid === undefined) addError(errors, i, 'positionid', 'If you set position IDs manually, you need to do so for all positions.')
      else if (p.positionid !== i + 1) addError(errors, i, 'positionid', 'Position IDs need to be consecutive.')
    })
  }
  const seen = new Set<string>()
  body.positions.forEach((p, i) => {
    if (p.secret === undefined) return
    if (seen.has(p.secret)) addError(errors, i, 'secret', 'You cannot assign a position secret that already exists.')
    seen.add(p.secret)
  })
  if (hasErrors(errors)) throw invalid({ positions: errors })

  return {
    eventId: event.id,
    status: body.status ?? 'n',
    email: body.email ?? null,
    locale: body.locale ?? event.locale,
    datetime: body.datetime,
    positions
  }
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

/** The voucher each position names, with errors for the unknown ones and those of another product. */
async function loadVouchers (db: Db, eventId: number, positions: PositionInput[], errors: PositionErrors[]): Promise<Array<Voucher | undefined>> {
  const ids = [...new Set(positions.flatMap((p) => p.voucher && 'id' in p.voucher && validId(p.voucher.id) ? [p.voucher.id] : []))]
  const codes = [...new Set(positions.flatMap((p) => p.voucher && 'code' in p.voucher ? [p.voucher.code.toUpperCase()] : []))]
  const found = await queries.orders.findVouchersByIdOrCode(db, eventId, ids, codes)
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
 * Redeems each voucher once per position that uses it, each by one guarded UPDATE; where one is
 * refused, says why. Vouchers are locked in id order, so two orders sharing vouchers cannot deadlock.
 */
async function redeemVouchers (db: Db, positions: PositionInput[], vouchers: Array<Voucher | undefined>, errors: PositionErrors[]) {
  const uses = new Map<number, number[]>()
  vouchers.forEach((v, i) => { if (v) uses.set(v.id, [...(uses.get(v.id) ?? []), i]) })
  for (const id of [...uses.keys()].sort((a, b) => a - b)) {
    const indexes = uses.get(id)!
    const itemIds = [...new Set(indexes.map((i) => positions[i].item))]
    if (await queries.orders.redeemVoucher(db, id, indexes.length, itemIds)) continue
    const current = await queries.orders.voucherLimits(db, id)
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

/** Thrown inside the transaction to roll it back with pretix-shaped errors. */
class Rejected extends Error {
  constructor (readonly errors: { positions: PositionErrors[] } | { non_field_errors: string[] }) { super('order rejected') }
}

/** Checks, prices and stores the order with its positions, redeeming their vouchers; `db` is a transaction. */
async function insertOrder (db: Db, input: OrderInput): Promise<OrderWithPositions> {
  const { eventId, positions } = input
  const errors: PositionErrors[] = positions.map(() => ({}))

  const itemIds = [...new Set(positions.map((p) => p.item).filter(validId))]
  const items = new Map<number, Item>((await queries.orders.findItems(db, eventId, itemIds)).map((i) => [i.id, i]))
  positions.forEach((p, i) => {
    const item = items.get(p.item)
    if (!item) addError(errors, i, 'item', `Invalid pk "${p.item}" - object does not exist.`)
    else if (!item.active) addError(errors, i, 'item', 'The specified item is not active.')
  })

  const sent = positions.flatMap((p, i) => p.secret !== null ? [[i, p.secret] as const] : [])
  if (sent.length > 0) {
    const taken = await queries.orders.takenSecrets(db, eventId, sent.map(([, s]) => s))
    for (const [i, secret] of sent) {
      if (taken.has(secret)) addError(errors, i, 'secret', 'You cannot assign a position secret that already exists.')
    }
  }

  const vouchers = await loadVouchers(db, eventId, positions, errors)
  if (hasErrors(errors)) throw new Rejected({ positions: errors })
  await redeemVouchers(db, positions, vouchers, errors)
  if (hasErrors(errors)) throw new Rejected({ positions: errors })

  const prices = positions.map((p, i) => p.price !== null ? toCents(p.price) : voucherPrice(toCents(items.get(p.item)!.default_price), vouchers[i]))
  const total = prices.reduce((sum, c) => sum + c, 0n)
  if (total > MAX_CENTS || total < -MAX_CENTS) throw new Rejected({ non_field_errors: ['The order total is too large.'] })

  const order = await queries.orders.insertOrder(db, {
    event_id: eventId,
    code: generateOrderCode(),
    status: input.status,
    email: input.email,
    locale: input.locale,
    ...(input.datetime !== undefined && { datetime: input.datetime }),
    total: fromCents(total)
  })
  const rows: NewOrderPosition[] = positions.map((p, i) => ({
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
  return { ...order, positions: await queries.orders.insertPositions(db, rows) }
}

const RANDOM_CODE_CONSTRAINTS = ['orders_event_code_key', 'order_positions_event_pseudonymization_id_key', 'order_positions_event_secret_key']

/**
 * Creates an order with its positions and redeems their vouchers, all in one transaction; a broken
 * rule answers 400 in pretix's shape ({"positions": [{}, {"item": [...]}]}) with nothing written. A
 * collision of a generated code (order code, pseudonymization id, secret) rolls everything back and
 * tries again with fresh codes; a secret sent by the client that another order took meanwhile is
 * then found by the re-check and refused.
 */
export async function createOrder (db: Db, event: Event, body: OrderCreate): Promise<OrderWithPositions> {
  const input = readOrder(body, event)
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const order = await insertOrder(trx, input)
        await queries.webhooks.insertNotification(trx, event.id, 'pretix.event.order.placed', { code: order.code })
        return order
      })
    } catch (err) {
      if (err instanceof Rejected) throw invalid(err.errors)
      if (attempt < 5 && RANDOM_CODE_CONSTRAINTS.some((c) => isUniqueViolation(err, c))) continue
      throw err
    }
  }
}

/** Cancels the order and frees its positions' voucher redemptions, in one transaction. */
export async function cancelOrder (db: Db, eventId: number, code: string): Promise<OrderWithPositions> {
  const found = await queries.orders.findOrder(db, eventId, code)
  if (!found) throw notFound()
  const canceled = await db.transaction().execute(async (trx) => {
    const order = await queries.orders.markCanceled(trx, found.id)
    if (!order) return undefined
    await queries.webhooks.insertNotification(trx, eventId, 'pretix.event.order.canceled', { code: order.code })
    for (const { voucherId, n } of await queries.orders.voucherUses(trx, order.id)) {
      await queries.orders.releaseRedemptions(trx, voucherId, n)
    }
    return (await queries.orders.withPositions(trx, [order]))[0]
  })
  if (!canceled) throw new HttpError(400, { detail: 'The order is not allowed to be canceled.' })
  return canceled
}

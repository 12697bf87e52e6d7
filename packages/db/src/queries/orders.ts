import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { Item, NewOrder, NewOrderPosition, Order, OrderPosition, Voucher } from '../types.js'

export type OrderWithPositions = Order & { positions: OrderPosition[] }

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

export async function withPositions (db: Db, orders: Order[]): Promise<OrderWithPositions[]> {
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

/** The items of the event with these ids. */
export async function findItems (db: Db, eventId: number, ids: readonly number[]): Promise<Item[]> {
  if (ids.length === 0) return []
  return await db.selectFrom('items').selectAll().where('event_id', '=', eventId).where('id', 'in', ids).execute()
}

/** Which of these secrets positions of the event already have. */
export async function takenSecrets (db: Db, eventId: number, secrets: readonly string[]): Promise<Set<string>> {
  if (secrets.length === 0) return new Set()
  const rows = await db.selectFrom('order_positions').select('secret')
    .where('event_id', '=', eventId).where('secret', 'in', [...new Set(secrets)]).execute()
  return new Set(rows.map((r) => r.secret))
}

/** The event's vouchers with these ids or these codes (`upperCodes` upper-case: codes compare ignoring case). */
export async function findVouchersByIdOrCode (db: Db, eventId: number, ids: readonly number[], upperCodes: readonly string[]): Promise<Voucher[]> {
  if (ids.length === 0 && upperCodes.length === 0) return []
  return await db.selectFrom('vouchers').selectAll().where('event_id', '=', eventId)
    .where((eb) => eb.or([
      ...(ids.length > 0 ? [eb('id', 'in', ids)] : []),
      ...(upperCodes.length > 0 ? [eb(sql<string>`upper(code)`, 'in', upperCodes)] : [])
    ])).execute()
}

/**
 * Redeems the voucher `n` times. The guarded UPDATE re-checks the limit, the expiry and the
 * voucher's item (`itemIds`: the items of the positions using it) on the row it locks, so
 * concurrent orders, or a concurrent change of the voucher, can never redeem it past `max_usages`
 * or for another product. False when a condition failed and nothing changed.
 */
export async function redeemVoucher (db: Db, id: number, n: number, itemIds: readonly number[]): Promise<boolean> {
  const updated = await db.updateTable('vouchers')
    .set((eb) => ({ redeemed: eb('redeemed', '+', n) }))
    .where('id', '=', id)
    .where(sql<boolean>`redeemed + ${n} <= max_usages`)
    .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', sql<Date>`now()`)]))
    .where((eb) => eb.or([eb('item_id', 'is', null), ...(itemIds.length === 1 ? [eb('item_id', '=', itemIds[0])] : [])]))
    .returning('id')
    .executeTakeFirst()
  return updated !== undefined
}

/** What limits a voucher's redemption now. */
export async function voucherLimits (db: Db, id: number): Promise<Pick<Voucher, 'max_usages' | 'redeemed' | 'valid_until' | 'item_id'>> {
  return await db.selectFrom('vouchers').select(['max_usages', 'redeemed', 'valid_until', 'item_id'])
    .where('id', '=', id).executeTakeFirstOrThrow()
}

export async function insertOrder (db: Db, values: NewOrder): Promise<Order> {
  return await db.insertInto('orders').values(values).returningAll().executeTakeFirstOrThrow()
}

// Batches keep each statement well below PostgreSQL's 65,535 parameters.
const POSITION_CHUNK = 1000

/** Inserts the positions (in batches: run it in a transaction) and returns them in positionid order. */
export async function insertPositions (db: Db, rows: readonly NewOrderPosition[]): Promise<OrderPosition[]> {
  const inserted: OrderPosition[] = []
  for (let start = 0; start < rows.length; start += POSITION_CHUNK) {
    inserted.push(...await db.insertInto('order_positions').values(rows.slice(start, start + POSITION_CHUNK)).returningAll().execute())
  }
  return inserted.sort((a, b) => a.positionid - b.positionid)
}

/** Sets the order canceled; undefined when it already was. */
export async function markCanceled (db: Db, orderId: number): Promise<Order | undefined> {
  return await db.updateTable('orders').set({ status: 'c' })
    .where('id', '=', orderId).where('status', '<>', 'c').returningAll().executeTakeFirst()
}

/** How many of the order's positions use each voucher, in voucher id order. */
export async function voucherUses (db: Db, orderId: number): Promise<Array<{ voucherId: number, n: number }>> {
  const rows = await db.selectFrom('order_positions')
    .select(['voucher_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('order_id', '=', orderId).where('voucher_id', 'is not', null)
    .groupBy('voucher_id').orderBy('voucher_id').execute()
  return rows.map((r) => ({ voucherId: r.voucher_id!, n: Number(r.n) }))
}

/** Takes back `n` redemptions of the voucher (never below zero). */
export async function releaseRedemptions (db: Db, voucherId: number, n: number): Promise<void> {
  await db.updateTable('vouchers')
    .set({ redeemed: sql<number>`greatest(redeemed - ${n}, 0)` })
    .where('id', '=', voucherId).execute()
}

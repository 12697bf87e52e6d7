import type { Insertable, Updateable } from 'kysely'
import type { Db } from '../database.js'
import type { Item, ItemsTable } from '../types.js'

export interface ItemFilter {
  active?: boolean
}

function eventItems (db: Db, eventId: number, filter: ItemFilter) {
  let query = db.selectFrom('items').where('event_id', '=', eventId)
  if (filter.active !== undefined) query = query.where('active', '=', filter.active)
  return query
}

export async function countItems (db: Db, eventId: number, filter: ItemFilter = {}): Promise<number> {
  const row = await eventItems(db, eventId, filter).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listItems (db: Db, eventId: number, filter: ItemFilter, limit: number, offset: number): Promise<Item[]> {
  return await eventItems(db, eventId, filter).selectAll().orderBy('id').limit(limit).offset(offset).execute()
}

export async function findItem (db: Db, eventId: number, id: number): Promise<Item | undefined> {
  return await db.selectFrom('items').selectAll().where('event_id', '=', eventId).where('id', '=', id).executeTakeFirst()
}

/** Which of these ids are items of the event. */
export async function existingItemIds (db: Db, eventId: number, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('items').select('id').where('event_id', '=', eventId).where('id', 'in', ids).execute()
  return new Set(rows.map((r) => r.id))
}

export async function createItem (db: Db, values: Insertable<ItemsTable>): Promise<Item> {
  return await db.insertInto('items').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function updateItem (db: Db, id: number, values: Updateable<ItemsTable>): Promise<Item> {
  if (Object.keys(values).length === 0) return await db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  return await db.updateTable('items').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** What keeps an item from being deleted: order positions first (as in pretix), then vouchers. */
export async function itemUsage (db: Db, id: number): Promise<'orders' | 'vouchers' | null> {
  const position = await db.selectFrom('order_positions').select('id').where('item_id', '=', id).limit(1).executeTakeFirst()
  if (position) return 'orders'
  const voucher = await db.selectFrom('vouchers').select('id').where('item_id', '=', id).limit(1).executeTakeFirst()
  return voucher ? 'vouchers' : null
}

/** Deletes the item; false when an order position or voucher still refers to it (also under a race). */
export async function deleteItem (db: Db, id: number): Promise<boolean> {
  try {
    await db.deleteFrom('items').where('id', '=', id).execute()
    return true
  } catch (err) {
    if ((err as { code?: string }).code === '23503') return false
    throw err
  }
}

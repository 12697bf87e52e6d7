import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { VoucherListFilter } from '@showfloor/schemas'
import type { NewVoucher, Voucher, VoucherUpdate } from '../types.js'

/** The list's filters and order (pretix's voucher filter set), read from the query by the schemas package. */
export type VoucherFilter = VoucherListFilter

function eventVouchers (db: Db, eventId: number, filter: VoucherFilter) {
  let query = db.selectFrom('vouchers').where('event_id', '=', eventId)
  if (filter.code !== undefined) {
    // Ignoring case, like the uniqueness of codes (and through the same index).
    const code = filter.code
    query = query.where((eb) => eb(eb.fn('upper', ['code']), '=', eb.fn('upper', [eb.val(code)])))
  }
  if (filter.tag !== undefined) query = query.where('tag', '=', filter.tag)
  // Numbers arrive as decimal text ("2", "2.0", "1e1"): compared as numeric, so "2.5" matches nothing.
  for (const column of ['max_usages', 'redeemed', 'value'] as const) {
    const number = filter[column]
    if (number !== undefined) query = query.where(sql<boolean>`${sql.ref(column)} = ${number}::numeric`)
  }
  if (filter.block_quota !== undefined) query = query.where('block_quota', '=', filter.block_quota)
  if (filter.allow_ignore_quota !== undefined) query = query.where('allow_ignore_quota', '=', filter.allow_ignore_quota)
  if (filter.price_mode !== undefined) query = query.where('price_mode', '=', filter.price_mode)
  if (filter.item !== undefined) query = query.where('item_id', '=', filter.item)
  if (filter.active !== undefined) {
    const active = sql<boolean>`(valid_until is null or valid_until > now()) and redeemed < max_usages`
    query = query.where(filter.active ? active : sql<boolean>`not (${active})`)
  }
  return query
}

export async function countVouchers (db: Db, eventId: number, filter: VoucherFilter = {}): Promise<number> {
  const row = await eventVouchers(db, eventId, filter).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listVouchers (db: Db, eventId: number, filter: VoucherFilter, limit: number, offset: number): Promise<Voucher[]> {
  let query = eventVouchers(db, eventId, filter).selectAll()
  for (const { field, descending } of filter.ordering ?? []) query = query.orderBy(field, descending ? 'desc' : 'asc')
  return await query.orderBy('id').limit(limit).offset(offset).execute()
}

/** The voucher; `forUpdate` locks its row until the transaction ends (redemptions wait). */
export async function findVoucher (db: Db, eventId: number, id: number, options: { forUpdate?: boolean } = {}): Promise<Voucher | undefined> {
  let query = db.selectFrom('vouchers').selectAll().where('event_id', '=', eventId).where('id', '=', id)
  if (options.forUpdate) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export interface CodeCheck {
  /** The code as the unique index compares it (PostgreSQL's upper()). */
  key: string
  /** Whether another voucher of the event has it. */
  taken: boolean
}

/**
 * For each code, in input order: its comparison key and whether another voucher of the event
 * (other than `exceptId`) already has it. One round trip for any number of codes.
 */
export async function checkCodes (db: Db, eventId: number, codes: string[], exceptId: number | null = null): Promise<CodeCheck[]> {
  if (codes.length === 0) return []
  const result = await sql<CodeCheck>`
    select upper(c.code) as key,
      exists (select 1 from vouchers v
              where v.event_id = ${eventId} and upper(v.code) = upper(c.code) and v.id <> ${exceptId ?? 0}) as taken
    from unnest(${codes}::text[]) with ordinality as c(code, ord)
    order by c.ord`.execute(db)
  return result.rows
}

// 15 columns a row: well below PostgreSQL's 65,535 parameters a statement.
const INSERT_CHUNK = 1000

/**
 * Inserts the vouchers and returns them in input order. Many rows go in chunks: run it in a
 * transaction so a batch is stored whole or not at all.
 */
export async function createVouchers (db: Db, rows: readonly NewVoucher[]): Promise<Voucher[]> {
  const created: Voucher[] = []
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    created.push(...await db.insertInto('vouchers').values(rows.slice(i, i + INSERT_CHUNK)).returningAll().execute())
  }
  // Ids come from one sequence in insertion order; RETURNING's order is not promised.
  return created.sort((a, b) => a.id - b.id)
}

export async function updateVoucher (db: Db, id: number, values: VoucherUpdate): Promise<Voucher> {
  return await db.updateTable('vouchers').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/**
 * Deletes the voucher unless it was redeemed or an order position refers to it (pretix's
 * allow_delete); false when it stays. The condition is checked on the row the DELETE locks, so a
 * concurrent redemption cannot slip in between.
 */
export async function deleteUnusedVoucher (db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('vouchers')
    .where('id', '=', id)
    .where('redeemed', '=', 0)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('order_positions').select('order_positions.id').whereRef('order_positions.voucher_id', '=', 'vouchers.id'))))
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { Voucher } from '../types.js'

export type ExhibitorVoucher = Voucher & { exhibitor_comment: string }

export async function countVouchers (db: Db, exhibitorId: number): Promise<number> {
  const row = await db.selectFrom('exhibitor_vouchers').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('exhibitor_id', '=', exhibitorId).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** The exhibitor's vouchers by voucher id, each with its `exhibitor_comment`. */
export async function listVouchers (db: Db, exhibitorId: number, limit: number, offset: number): Promise<ExhibitorVoucher[]> {
  return await db.selectFrom('exhibitor_vouchers')
    .innerJoin('vouchers', 'vouchers.id', 'exhibitor_vouchers.voucher_id')
    .selectAll('vouchers')
    .select('exhibitor_vouchers.exhibitor_comment')
    .where('exhibitor_vouchers.exhibitor_id', '=', exhibitorId)
    .orderBy('exhibitor_vouchers.voucher_id')
    .limit(limit).offset(offset)
    .execute()
}

/**
 * Which of these ids are vouchers of the event: one query for any number of them. Inside a
 * transaction the rows stay locked against deletion until it ends, so linking them cannot fail.
 */
export async function existingVoucherIds (db: Db, eventId: number, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('vouchers').select('id')
    .where('event_id', '=', eventId)
    .where('id', '=', sql<number>`any(${[...new Set(ids)]}::int[])`)
    .forKeyShare()
    .execute()
  return new Set(rows.map((r) => r.id))
}

/**
 * The event's vouchers with these codes, keyed by upper-case code (codes are unique per event
 * ignoring case); one query on the (event_id, upper(code)) index, locking like existingVoucherIds.
 */
export async function voucherIdsByCode (db: Db, eventId: number, codes: readonly string[]): Promise<Map<string, number>> {
  if (codes.length === 0) return new Map()
  const upper = [...new Set(codes.map((c) => c.toUpperCase()))]
  const rows = await db.selectFrom('vouchers').select(['id', 'code'])
    .where('event_id', '=', eventId)
    .where(sql`upper(code)`, '=', sql`any(${upper}::text[])`)
    .forKeyShare()
    .execute()
  return new Map(rows.map((r) => [r.code.toUpperCase(), r.id]))
}

export interface Attachment { voucherId: number, comment: string }

/**
 * Links the vouchers to the exhibitor with their comments in one statement: a voucher linked to
 * another exhibitor moves, one already linked gets the new comment. A voucher listed twice keeps
 * the last entry.
 */
export async function attachVouchers (db: Db, exhibitorId: number, attachments: readonly Attachment[]): Promise<void> {
  const last = new Map<number, string>()
  for (const a of attachments) last.set(a.voucherId, a.comment)
  if (last.size === 0) return
  const ids = [...last.keys()]
  const comments = [...last.values()]
  await sql`
    insert into exhibitor_vouchers (voucher_id, exhibitor_id, exhibitor_comment)
    select v.voucher_id, ${exhibitorId}::int, v.comment
    from unnest(${ids}::int[], ${comments}::text[]) as v(voucher_id, comment)
    on conflict (voucher_id) do update
      set exhibitor_id = excluded.exhibitor_id, exhibitor_comment = excluded.exhibitor_comment
  `.execute(db)
}

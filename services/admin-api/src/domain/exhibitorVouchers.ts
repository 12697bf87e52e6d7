import { queries, type Db } from '@showfloor/db'
import { MAX_BULK_ATTACH, type VoucherAttach } from '@showfloor/schemas'
import { invalid } from '@showfloor/http'

// Vouchers handed to an exhibitor: each entry names an existing voucher of the event by id or code.

type Key = 'id' | 'code'

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

/** Attaches one voucher (again: updates the comment; from another exhibitor: moves it). */
export async function attachVoucher (db: Db, eventId: number, exhibitorId: number, entry: VoucherAttach): Promise<void> {
  const key = keyOf(entry)
  if (key === null) throw invalid({ non_field_errors: [EITHER] })
  await db.transaction().execute(async (trx) => {
    const { ids, missing } = await resolve(trx, eventId, key, [entry])
    if (missing.size > 0) throw invalid({ [key]: [missing.get(0)!] })
    await queries.exhibitorVouchers.attachVouchers(trx, exhibitorId, [{ voucherId: ids[0], comment: entry.exhibitor_comment ?? '' }])
  })
}

/** Attaches up to MAX_BULK_ATTACH vouchers, all or none; errors as a list in input order. */
export async function bulkAttachVouchers (db: Db, eventId: number, exhibitorId: number, entries: readonly VoucherAttach[]): Promise<void> {
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

  await db.transaction().execute(async (trx) => {
    const { ids, missing } = await resolve(trx, eventId, key, entries)
    if (missing.size > 0) throw invalid(entries.map((_, i) => missing.has(i) ? { [key]: [missing.get(i)!] } : {}))
    await queries.exhibitorVouchers.attachVouchers(trx, exhibitorId,
      ids.map((voucherId, i) => ({ voucherId, comment: entries[i].exhibitor_comment ?? '' })))
  })
}

import { sql } from 'kysely'
import type { Db } from '../database.js'
import { prepared } from '../prepared.js'

// What the App API reads for one exhibitor: its event's profile and its vouchers (its leads are
// read with the admin API's query in leads.ts).

const profile = prepared('showfloor_event_profile', (db, p: { eventId: number }) => db
  .selectFrom('events as e')
  .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
  .innerJoin('exhibitor_settings as s', 's.event_id', 'e.id')
  .select(['e.name', 'e.slug', 'e.date_from', 'e.date_to', 'e.timezone', 'o.slug as organizer', 's.allow_notes', 's.lead_tags',
    's.lead_fields', 's.imprint_url', 's.privacy_url', 's.help_url', 's.terms_url', 's.logo_url'])
  .where('e.id', '=', p.eventId))

export type EventProfile = Awaited<ReturnType<typeof profile>>[number]

export async function eventProfile (db: Db, eventId: number): Promise<EventProfile> {
  const [row] = await profile(db, { eventId })
  return row
}

const count = prepared('showfloor_app_count_vouchers', (db, p: { exhibitorId: number }) => db
  .selectFrom('exhibitor_vouchers as ev')
  .innerJoin('vouchers as v', 'v.id', 'ev.voucher_id')
  .select((eb) => eb.fn.countAll<number>().as('count'))
  .where('ev.exhibitor_id', '=', p.exhibitorId))

export async function countVouchers (db: Db, exhibitorId: number): Promise<number> {
  const [row] = await count(db, { exhibitorId })
  return row.count
}

function exhibitorVouchers (db: Db, exhibitorId: number) {
  return db.selectFrom('exhibitor_vouchers as ev')
    .innerJoin('vouchers as v', 'v.id', 'ev.voucher_id')
    .leftJoin('items as i', 'i.id', 'v.item_id')
    .select(['v.id', 'v.code', 'v.max_usages', 'v.redeemed', 'v.valid_until', 'v.tag', 'ev.exhibitor_comment',
      'i.name as item_name', 'v.price_mode', 'v.value'])
    .where('ev.exhibitor_id', '=', exhibitorId)
}

const page = prepared('showfloor_app_voucher_page', (db, p: { exhibitorId: number, limit: number, offset: number }) =>
  exhibitorVouchers(db, p.exhibitorId).orderBy('v.id').limit(p.limit).offset(p.offset))

const one = prepared('showfloor_app_voucher', (db, p: { exhibitorId: number, voucherId: number }) =>
  exhibitorVouchers(db, p.exhibitorId).where('v.id', '=', p.voucherId))

export type AppVoucherRow = Awaited<ReturnType<typeof page>>[number]

/** A page of the exhibitor's vouchers (or the one with `voucherId`), by voucher id. */
export async function listVouchers (db: Db, exhibitorId: number, query: { limit: number, offset: number } | { voucherId: number }): Promise<AppVoucherRow[]> {
  return 'voucherId' in query ? await one(db, { exhibitorId, ...query }) : await page(db, { exhibitorId, ...query })
}

const used = prepared('showfloor_app_voucher_redemptions', (db, p: { voucherIds: number[] }) => db
  .selectFrom('order_positions as op')
  .innerJoin('orders as o', 'o.id', 'op.order_id')
  .innerJoin('items as i', 'i.id', 'op.item_id')
  .select(['op.voucher_id', 'o.datetime as order_datetime', 'op.attendee_name_parts', 'op.attendee_name', 'op.attendee_email',
    'op.company', 'op.street', 'op.zipcode', 'op.city', 'op.country', 'op.answers', 'o.code as order_code',
    'o.email as order_email', 'i.name as item_name'])
  // One statement for any number of vouchers: the ids go as one array.
  .where((eb) => eb('op.voucher_id', '=', eb.fn.any(eb.val(p.voucherIds))))
  .where('o.status', '<>', sql.lit('c'))
  .orderBy('op.id'))

export type RedemptionRow = Awaited<ReturnType<typeof used>>[number]

/** The order positions bought with these vouchers, with the order's date. */
export async function redemptions (db: Db, voucherIds: number[]): Promise<RedemptionRow[]> {
  if (voucherIds.length === 0) return []
  return await used(db, { voucherIds })
}

import { sql } from 'kysely'
import type { Db } from '../database.js'
import { poolOf } from '../database.js'
import type { AttendeeSource } from '../types.js'

// What the App API reads for one exhibitor: its event's profile and its vouchers (its leads are
// read with the admin API's query in leads.ts).

const PROFILE = `
  select e.name, e.slug, e.date_from, e.date_to, e.timezone, o.slug as organizer, s.allow_notes, s.lead_tags,
         s.lead_fields, s.imprint_url, s.privacy_url, s.help_url, s.terms_url, s.logo_url
  from events e join organizers o on o.id = e.organizer_id join exhibitor_settings s on s.event_id = e.id
  where e.id = $1`

export interface EventProfile {
  name: Record<string, string>
  slug: string
  date_from: Date
  date_to: Date | null
  timezone: string
  organizer: string
  allow_notes: boolean
  lead_tags: string[]
  lead_fields: string[]
  imprint_url: string | null
  privacy_url: string | null
  help_url: string | null
  terms_url: string | null
  logo_url: string | null
}

export async function eventProfile (db: Db, eventId: number): Promise<EventProfile> {
  const { rows } = await poolOf(db).query({ name: 'showfloor_event_profile', text: PROFILE, values: [eventId] })
  return rows[0]
}

/** The columns every attendee-fields computation needs, for a query joining op (position), o (order), i (item). */
const attendeeColumns = [
  'op.attendee_name_parts', 'op.attendee_name', 'op.attendee_email', 'op.company', 'op.street', 'op.zipcode',
  'op.city', 'op.country', 'op.answers', 'o.code as order_code', 'o.email as order_email', 'i.name as item_name'
] as const

export interface AppVoucherRow {
  id: number
  code: string
  max_usages: number
  redeemed: number
  valid_until: Date | null
  tag: string
  exhibitor_comment: string
  item_name: Record<string, string> | null
  price_mode: string
  value: string | null
}

export interface RedemptionRow extends AttendeeSource {
  voucher_id: number
  order_datetime: Date
}

function exhibitorVouchers (db: Db, exhibitorId: number) {
  return db.selectFrom('exhibitor_vouchers as ev')
    .innerJoin('vouchers as v', 'v.id', 'ev.voucher_id')
    .where('ev.exhibitor_id', '=', exhibitorId)
}

export async function countVouchers (db: Db, exhibitorId: number): Promise<number> {
  const row = await exhibitorVouchers(db, exhibitorId).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** A page of the exhibitor's vouchers (or the one with `voucherId`), by voucher id. */
export async function listVouchers (db: Db, exhibitorId: number, page: { limit: number, offset: number } | { voucherId: number }): Promise<AppVoucherRow[]> {
  let query = exhibitorVouchers(db, exhibitorId)
    .leftJoin('items as i', 'i.id', 'v.item_id')
    .select(['v.id', 'v.code', 'v.max_usages', 'v.redeemed', 'v.valid_until', 'v.tag', 'ev.exhibitor_comment',
      'i.name as item_name', 'v.price_mode', 'v.value'])
    .orderBy('v.id')
  query = 'voucherId' in page ? query.where('v.id', '=', page.voucherId) : query.limit(page.limit).offset(page.offset)
  return await query.execute() as AppVoucherRow[]
}

/** The order positions bought with these vouchers, with the order's date. */
export async function redemptions (db: Db, voucherIds: number[]): Promise<RedemptionRow[]> {
  if (voucherIds.length === 0) return []
  return await db.selectFrom('order_positions as op')
    .innerJoin('orders as o', 'o.id', 'op.order_id')
    .innerJoin('items as i', 'i.id', 'op.item_id')
    .select(['op.voucher_id', 'o.datetime as order_datetime', ...attendeeColumns])
    .where('op.voucher_id', 'in', voucherIds)
    .where('o.status', '<>', sql.lit('c'))
    .orderBy('op.id')
    .execute() as RedemptionRow[]
}

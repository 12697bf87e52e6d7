import { sql, type SelectQueryBuilder } from 'kysely'
import type { Db } from '../database.js'
import type { AttendeeField, AttendeeInput, Database } from '../types.js'

// The lead queries' common parts, written once for the app API's, the web area's and the
// exporter's reads: the lead as `l` with its attendee's order position (`p`), order (`o`) and item
// (`i`), the attendee's columns, and the page of leads picked by id before anything is joined.

/** Leads as `l`, to be filtered, paged or joined. */
export type LeadQuery = SelectQueryBuilder<Database & { l: Database['leads'] }, 'l', object>
type WithAttendee = Database & { l: Database['leads'], p: Database['order_positions'], o: Database['orders'] }
/** Leads as `l` with their attendee's order position as `p` and order as `o`. */
export type AttendeeQuery = SelectQueryBuilder<WithAttendee, 'l' | 'p' | 'o', object>
/** An AttendeeQuery with the position's item as `i`. */
export type ItemQuery = SelectQueryBuilder<WithAttendee & { i: Database['items'] }, 'l' | 'p' | 'o' | 'i', object>

export function fromLeads (db: Db): LeadQuery {
  return db.selectFrom('leads as l')
}

export function withAttendee (q: LeadQuery): AttendeeQuery {
  return q.innerJoin('order_positions as p', 'p.id', 'l.position_id')
    .innerJoin('orders as o', 'o.id', 'p.order_id')
}

export function withItem (q: AttendeeQuery): ItemQuery {
  return q.innerJoin('items as i', 'i.id', 'p.item_id')
}

/** The attendee's name and address, from the position (`p`). */
export const positionColumns = [
  'p.attendee_name_parts', 'p.attendee_name', 'p.attendee_email', 'p.company',
  'p.street', 'p.zipcode', 'p.city', 'p.country'
] as const
/** The order's code and email (`o`). */
export const orderColumns = ['o.code as order_code', 'o.email as order_email'] as const
/** Everything an AttendeeInput is made of, from an ItemQuery. */
export const attendeeColumns = [...positionColumns, 'p.answers', ...orderColumns, 'i.name as item_name'] as const

/** Where a keyset page ends: the last row's first upload as PostgreSQL prints it (exact to the microsecond) and id. */
export interface LeadCursor { at: string, id: number }

export interface LeadPage {
  /** By first upload, then id, both ascending or both descending. */
  order: 'asc' | 'desc'
  limit: number
  offset?: number
  /** Keyset paging: the leads past this one (its first upload as PostgreSQL prints it, exact to the microsecond). */
  after?: LeadCursor | null
}

/**
 * One page of the leads `leads` selects, in page order. The page's ids are picked first (from the
 * (exhibitor_id, first_upload, id) index when `leads` reads only that table), and only those rows
 * are read and joined, so a deep page does not fetch every row it skips.
 */
export function pageOfLeads (db: Db, leads: LeadQuery, page: LeadPage): LeadQuery {
  const { order, after } = page
  let ids = leads.select('l.id')
  if (after) ids = ids.where(sql<boolean>`(l.first_upload, l.id) ${sql.raw(order === 'asc' ? '>' : '<')} (${after.at}::timestamptz, ${after.id}::bigint)`)
  ids = ids.orderBy('l.first_upload', order).orderBy('l.id', order).limit(page.limit)
  if (page.offset !== undefined) ids = ids.offset(page.offset)
  return db.with('page', () => ids)
    .selectFrom('page')
    .innerJoin('leads as l', 'l.id', 'page.id')
    .orderBy('l.first_upload', order).orderBy('l.id', order) as unknown as LeadQuery
}

/** A lead with what its attendee fields are computed from (position, order, item), from one query. */
export interface LeadRow extends AttendeeInput {
  id: number
  rating: number | null
  tags: string[]
  notes: string
  first_upload: Date
  data: AttendeeField[] | null
  device_name: string | null
  device_uuid: string | null
  positionid: number
}

/** Answered from the (exhibitor_id, first_upload, id) index alone. */
export async function countLeads (db: Db, exhibitorId: number): Promise<number> {
  const row = await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('exhibitor_id', '=', exhibitorId).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** One page of the exhibitor's leads by first upload. */
export async function listLeads (db: Db, exhibitorId: number, limit: number, offset: number): Promise<LeadRow[]> {
  const leads = fromLeads(db).where('l.exhibitor_id', '=', exhibitorId)
  return await withItem(withAttendee(pageOfLeads(db, leads, { order: 'asc', limit, offset })))
    .select([
      'l.id', 'l.rating', 'l.tags', 'l.notes', 'l.first_upload', 'l.data', 'l.device_name', 'l.device_uuid',
      'p.positionid', ...attendeeColumns
    ])
    .execute()
}

import type { Db } from '../database.js'
import type { AttendeeField, AttendeeInput } from '../types.js'

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

/**
 * One page of the exhibitor's leads by first upload. The page's ids are picked from the index first
 * and only those 50 rows are joined, so a deep page does not fetch every row it skips.
 */
export async function listLeads (db: Db, exhibitorId: number, limit: number, offset: number): Promise<LeadRow[]> {
  return await db
    .with('page', (qb) => qb.selectFrom('leads').select('id')
      .where('exhibitor_id', '=', exhibitorId)
      .orderBy('first_upload').orderBy('id').limit(limit).offset(offset))
    .selectFrom('page')
    .innerJoin('leads', 'leads.id', 'page.id')
    .innerJoin('order_positions as p', 'p.id', 'leads.position_id')
    .innerJoin('orders as o', 'o.id', 'p.order_id')
    .innerJoin('items as i', 'i.id', 'p.item_id')
    .select([
      'leads.id', 'leads.rating', 'leads.tags', 'leads.notes', 'leads.first_upload', 'leads.data',
      'leads.device_name', 'leads.device_uuid',
      'p.positionid', 'p.attendee_name_parts', 'p.attendee_name', 'p.attendee_email', 'p.company',
      'p.street', 'p.zipcode', 'p.city', 'p.country', 'p.answers',
      'o.code as order_code', 'o.email as order_email', 'i.name as item_name'
    ])
    .orderBy('leads.first_upload').orderBy('leads.id')
    .execute()
}

import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { AttendeeSource, LeadField } from '../types.js'

/** A lead with what its attendee data snapshot is computed from, as configured now. */
export interface LeadSource extends AttendeeSource {
  id: number
  exhibitor_id: number
  /** The event's `lead_fields`. */
  lead_fields: string[]
  /** The event's locale: the admin leads endpoint shows labels in it. */
  locale: string
}

const DEFAULT_LEAD_FIELDS = sql<string[]>`'["attendee_name","attendee_email","company"]'::jsonb`

/** Everything the snapshot of one lead needs, in one query; undefined when the lead is gone. */
export async function loadLeadSource (db: Db, leadId: number): Promise<LeadSource | undefined> {
  return await db.selectFrom('leads as l')
    .innerJoin('order_positions as p', 'p.id', 'l.position_id')
    .innerJoin('orders as o', 'o.id', 'p.order_id')
    .innerJoin('items as i', 'i.id', 'p.item_id')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .leftJoin('exhibitor_settings as s', 's.event_id', 'p.event_id')
    .select([
      'l.id', 'l.exhibitor_id',
      'p.attendee_name_parts', 'p.attendee_name', 'p.attendee_email', 'p.company', 'p.street', 'p.zipcode',
      'p.city', 'p.country', 'p.answers',
      'o.code as order_code', 'o.email as order_email', 'i.name as item_name', 'e.locale'
    ])
    .select(sql<string[]>`coalesce(s.lead_fields, ${DEFAULT_LEAD_FIELDS})`.as('lead_fields'))
    .where('l.id', '=', leadId)
    .executeTakeFirst()
}

/**
 * Stores the lead's snapshot and recounts its exhibitor's leads. The exhibitor row is locked
 * before counting, and the count runs as a statement of its own after that, so it sees every lead
 * committed before the lock was granted: two jobs of one exhibitor cannot leave an older count
 * behind the newer one. False when the lead was deleted meanwhile (nothing is written then).
 */
export async function storeEnrichment (db: Db, leadId: number, exhibitorId: number, data: LeadField[]): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    const locked = await trx
      .with('l', (qb) => qb.updateTable('leads')
        .set({ data: JSON.stringify(data), enriched_at: sql`now()` })
        .where('id', '=', leadId)
        .returning('exhibitor_id'))
      .selectFrom('exhibitors').select('exhibitors.id')
      .where('exhibitors.id', '=', exhibitorId)
      .where(sql<boolean>`exists (select 1 from l)`)
      .forUpdate()
      .executeTakeFirst()
    if (!locked) return false
    await trx.updateTable('exhibitors')
      .set({ lead_count: sql`(select count(*) from leads where exhibitor_id = ${exhibitorId})` })
      .where('id', '=', exhibitorId)
      .execute()
    return true
  })
}

import pg from 'pg'
import type { Db } from '../database.js'
import { poolOf } from '../database.js'
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

// A named (prepared) statement: a backlog of thousands of jobs runs it once per lead, and planning
// the six-table join each time would cost more than running it.
const LEAD_SOURCE = `
select l.id, l.exhibitor_id,
       p.attendee_name_parts, p.attendee_name, p.attendee_email, p.company, p.street, p.zipcode, p.city,
       p.country, p.answers, o.code as order_code, o.email as order_email, i.name as item_name, e.locale,
       coalesce(s.lead_fields, '["attendee_name","attendee_email","company"]'::jsonb) as lead_fields
from leads l
join order_positions p on p.id = l.position_id
join orders o on o.id = p.order_id
join items i on i.id = p.item_id
join events e on e.id = p.event_id
left join exhibitor_settings s on s.event_id = p.event_id
where l.id = $1`

/** Everything the snapshot of one lead needs, in one query; undefined when the lead is gone. */
export async function loadLeadSource (db: Db, leadId: number): Promise<LeadSource | undefined> {
  const { rows } = await poolOf(db).query({ name: 'showfloor_lead_source', text: LEAD_SOURCE, values: [leadId] })
  const row = rows[0]
  return row ? { ...row, id: Number(row.id) } : undefined
}

function integer (value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`)
  return String(value)
}

/**
 * Stores the lead's snapshot and recounts its exhibitor's leads, in one transaction and one round
 * trip. The exhibitor row is locked first, and the count is a statement of its own after that,
 * which under READ COMMITTED sees every lead committed before the lock was granted: two jobs of
 * one exhibitor cannot leave an older count behind a newer one. (Several statements in one simple
 * query run as one transaction, but each takes its own snapshot; such a query takes no parameters,
 * so the values are written as literals: two integers and an escaped JSON string.) False when the
 * lead was deleted meanwhile; the count is still brought up to date then.
 */
export async function storeEnrichment (db: Db, leadId: number, exhibitorId: number, data: LeadField[]): Promise<boolean> {
  const lead = integer(leadId)
  const exhibitor = integer(exhibitorId)
  const results = await poolOf(db).query(`
    update leads set data = ${pg.escapeLiteral(JSON.stringify(data))}::jsonb, enriched_at = now() where id = ${lead};
    select 1 from exhibitors where id = ${exhibitor} for update;
    update exhibitors set lead_count = (select count(*) from leads where exhibitor_id = ${exhibitor}) where id = ${exhibitor}`) as unknown as pg.QueryResult[]
  return results[0].rowCount === 1
}

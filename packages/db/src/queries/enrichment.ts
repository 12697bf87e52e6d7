import type { Db } from '../database.js'
import { sql } from 'kysely'
import { prepared, runTogether, type BoundStatement } from '../prepared.js'
import type { AttendeeField } from '@showfloor/schemas'

// A named (prepared) statement: a backlog of thousands of jobs runs it once per lead, and planning
// the six-table join each time would cost more than running it.
const leadSource = prepared('showfloor_lead_source', (db, p: { leadId: number }) => db
  .selectFrom('leads as l')
  .innerJoin('order_positions as p', 'p.id', 'l.position_id')
  .innerJoin('orders as o', 'o.id', 'p.order_id')
  .innerJoin('items as i', 'i.id', 'p.item_id')
  .innerJoin('events as e', 'e.id', 'p.event_id')
  .leftJoin('exhibitor_settings as s', 's.event_id', 'p.event_id')
  .select((eb) => [
    'l.id', 'l.exhibitor_id', 'l.enriched_at',
    'p.attendee_name_parts', 'p.attendee_name', 'p.attendee_email', 'p.company', 'p.street', 'p.zipcode', 'p.city',
    'p.country', 'p.answers', 'o.code as order_code', 'o.email as order_email', 'i.name as item_name',
    // The event's locale: the admin leads endpoint shows labels in it.
    'e.locale',
    // An event without exhibitor settings shows the default fields.
    eb.fn.coalesce('s.lead_fields', sql<string[]>`'["attendee_name","attendee_email","company"]'::jsonb`).as('lead_fields')
  ])
  .where('l.id', '=', p.leadId))

/** A lead with what its attendee data snapshot is computed from, as configured now. */
export type LeadSource = Awaited<ReturnType<typeof leadSource>>[number]

/** Everything the snapshot of one lead needs, in one query; undefined when the lead is gone. */
export async function loadLeadSource (db: Db, leadId: number): Promise<LeadSource | undefined> {
  const [row] = await leadSource(db, { leadId })
  return row
}

const storeData = prepared('showfloor_store_lead_data', (db, p: { leadId: number, data: string }) => db
  .updateTable('leads')
  .set({ data: p.data, enriched_at: sql<Date>`now()` })
  .where('id', '=', p.leadId))

const lockExhibitor = prepared('showfloor_lock_exhibitor', (db, p: { exhibitorId: number }) => db
  .selectFrom('exhibitors')
  .select('id')
  .where('id', '=', p.exhibitorId)
  .forUpdate())

const recount = prepared('showfloor_recount_leads', (db, p: { exhibitorId: number }) => db
  .updateTable('exhibitors')
  .set((eb) => ({
    lead_count: eb.selectFrom('leads').select(eb.fn.countAll<number>().as('count')).where('exhibitor_id', '=', p.exhibitorId)
  }))
  .where('id', '=', p.exhibitorId))

/**
 * Stores the lead's snapshot and recounts its exhibitor's leads, in one transaction and one round
 * trip. The exhibitor row is locked first, and the count is a statement of its own after that,
 * which under READ COMMITTED sees every lead committed before the lock was granted: two jobs of
 * one exhibitor cannot leave an older count behind a newer one. (One statement would count with
 * the snapshot it took before waiting for the lock; so the three go as one batch, see
 * `runTogether`.) False when the lead was deleted meanwhile; the count is still brought up to
 * date then.
 */
export async function storeEnrichment (db: Db, leadId: number, exhibitorId: number, data: AttendeeField[], also: BoundStatement[] = []): Promise<boolean> {
  const [stored] = await runTogether(db, [
    storeData.bind({ leadId, data: JSON.stringify(data) }),
    lockExhibitor.bind({ exhibitorId }),
    recount.bind({ exhibitorId }),
    // Statements of the same transaction (the lead's webhook notification).
    ...also
  ])
  return stored === 1
}

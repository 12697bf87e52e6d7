import type pg from 'pg'
import { sql } from 'kysely'
import type { AttendeeField } from '@showfloor/schemas'
import { prepared, runBound } from '../prepared.js'

// Lead enrichment handles leads in batches (contract section 9): a few set-based statements per
// batch, whatever its size, so the worker's cost per lead stays small beside the upload's. Run
// these in one transaction (`inTransaction`: they are named statements, planned once per
// connection), in this order: lockLeadSources, lockExhibitors, storeEnrichments.

const leadSources = prepared('showfloor_lock_lead_sources', (db, p: { ids: number[] }) => db
  .selectFrom('leads as l')
  .innerJoin('order_positions as p', 'p.id', 'l.position_id')
  .innerJoin('orders as o', 'o.id', 'p.order_id')
  .innerJoin('items as i', 'i.id', 'p.item_id')
  .innerJoin('events as e', 'e.id', 'p.event_id')
  .innerJoin('organizers as org', 'org.id', 'e.organizer_id')
  .leftJoin('exhibitor_settings as s', 's.event_id', 'p.event_id')
  .select((eb) => [
    'l.id', 'l.exhibitor_id',
    sql<boolean>`l.enriched_at is null`.as('created'),
    'p.attendee_name_parts', 'p.attendee_name', 'p.attendee_email', 'p.company', 'p.street', 'p.zipcode', 'p.city',
    'p.country', 'p.answers', 'o.code as order_code', 'o.email as order_email', 'i.name as item_name',
    // The event's locale: the admin leads endpoint shows labels in it.
    'e.locale',
    // An event without exhibitor settings shows the default fields.
    eb.fn.coalesce('s.lead_fields', sql<string[]>`'["attendee_name","attendee_email","company"]'::jsonb`).as('lead_fields'),
    // What the lead's webhook notification names and who may listen for it.
    'p.positionid', 'e.id as event_id', 'e.slug as event_slug', 'org.id as organizer_id', 'org.slug as organizer_slug'
  ])
  .where(sql<boolean>`l.id = any(${p.ids}::bigint[])`)
  .orderBy('l.id')
  .forUpdate('l'))

/**
 * Locks the leads (those that still exist) and loads what their attendee data snapshots are
 * computed from, as configured now, and what their notifications name, in lead id order. Rows are
 * locked in id order (PostgreSQL sorts before it locks), so batches that share leads wait for each
 * other instead of deadlocking; `created` is read under the lock, from the newest version of the
 * row: true when the lead was never enriched, so of two batches holding the same new lead only the
 * first counts it.
 */
export async function lockLeadSources (client: pg.ClientBase, leadIds: readonly number[]) {
  return await leadSources.on(client, { ids: [...leadIds] })
}

/** A lead with what its attendee data snapshot is computed from, as configured now. */
export type LeadSource = Awaited<ReturnType<typeof lockLeadSources>>[number]

const exhibitorLocks = prepared('showfloor_lock_exhibitors', (db, p: { ids: number[] }) => db
  .selectFrom('exhibitors').select('id')
  .where(sql<boolean>`id = any(${p.ids}::int[])`)
  .orderBy('id')
  .forUpdate())

/**
 * Locks the exhibitors' rows in id order, before their lead counts change: two batches that share
 * exhibitors then wait for each other instead of deadlocking.
 */
export async function lockExhibitors (client: pg.ClientBase, exhibitorIds: readonly number[]): Promise<void> {
  if (exhibitorIds.length === 0) return
  await exhibitorLocks.on(client, { ids: [...exhibitorIds] })
}

export interface Enrichment {
  leadId: number
  data: AttendeeField[]
  /** The lead was never enriched before (read under its lock by lockLeadSources). */
  created: boolean
}

/** One lead stored by storeEnrichments: what follow-up work (notifications) needs to know. */
export interface StoredEnrichment {
  lead_id: number
  exhibitor_id: number
  /** The lead's `enriched_at` was null before this enrichment: a new lead for its exhibitor. */
  created: boolean
}

const STORE_ENRICHMENTS = {
  name: 'showfloor_store_enrichments',
  text: `with v as (
      select * from jsonb_to_recordset($1::jsonb) as v(id bigint, data jsonb, created boolean)
    ), stored as (
      update leads l set data = v.data, enriched_at = clock_timestamp()
      from v where l.id = v.id
      returning l.id as lead_id, l.exhibitor_id, v.created
    ), counted as (
      update exhibitors e set lead_count = e.lead_count + c.n
      from (select exhibitor_id, count(*)::int as n from stored where created group by exhibitor_id) c
      where e.id = c.exhibitor_id
    )
    select lead_id, exhibitor_id, created from stored order by lead_id`
}

/**
 * Stores the snapshots and their time, and adds each lead enriched for the first time to its
 * exhibitor's `lead_count`, in one statement. A lead enriched again adds nothing, so the count
 * stays exact however often a lead is enriched (deleting a lead takes it off again, by a trigger).
 * Returns the leads stored, in id order; a lead deleted meanwhile is not among them.
 *
 * The time stored is the clock's now, after the leads were locked, not the transaction's start: a
 * batch that began before an upload and waited for a lock meanwhile read the lead as that upload
 * left it, so it must not stamp it as enriched before that upload (`last_upload`, the upload's
 * transaction time). With the start time, a batch that finished after a later batch left the lead
 * looking unenriched since its last upload, and the reconciler queued it again a minute later.
 */
export async function storeEnrichments (client: pg.ClientBase, enrichments: readonly Enrichment[]): Promise<StoredEnrichment[]> {
  if (enrichments.length === 0) return []
  const rows = JSON.stringify(enrichments.map((e) => ({ id: e.leadId, data: e.data, created: e.created })))
  return await runBound<StoredEnrichment>(client, { ...STORE_ENRICHMENTS, values: [rows] })
}

import type { Db } from '../database.js'
import { sql } from 'kysely'
import { prepared } from '../prepared.js'

export interface LeadUpload {
  /** The App API access code (either kind), upper case: the statement finds its exhibitor itself. */
  accessCode: string
  code: string
  scanned: string
  rating: number | null
  tags: string[] | null
  notes: string
  deviceName: string | null
  deviceUuid: string | null
}

// The whole upload in one statement, so it costs one round trip and, prepared, one plan per
// connection: find the exhibitor by its access code (it must allow lead scanning), the position by
// badge code (or ticket secret when the event allows it), insert or merge the lead under the unique
// (exhibitor, position, scope) key, which makes concurrent first uploads produce one row and one
// "created", and write the enrichment outbox row in the same transaction. `xmax = 0` is true only
// for a row this statement inserted. No row back means one of the lookups failed; the caller asks
// which only then.
const upload = prepared('showfloor_upload_lead', (db, p: LeadUpload & { tagsJson: string | null }) => db
  .with('ex', (db) => db
    .selectFrom('exhibitor_access_codes as c')
    .innerJoin('exhibitors as e', 'e.id', 'c.exhibitor_id')
    .select(['e.id', 'e.event_id', 'e.locale', 'e.lead_scanning_scope_by_device as scoped'])
    .where('c.code', '=', p.accessCode)
    .where('e.allow_lead_scanning', '=', sql.lit(true)))
  .with('s', (db) => db
    .selectFrom('exhibitor_settings as s')
    .innerJoin('ex', 'ex.event_id', 's.event_id')
    .select(['s.scan_secret', 's.lead_fields']))
  .with('p', (db) => db
    .selectFrom('order_positions as op')
    .innerJoin('ex', 'ex.event_id', 'op.event_id')
    .select('op.id')
    .where('op.pseudonymization_id', '=', p.code)
    .unionAll((db) => db
      .selectFrom('order_positions as op')
      .innerJoin('ex', 'ex.event_id', 'op.event_id')
      .innerJoin('s', (join) => join.on('s.scan_secret', '=', sql.lit(true)))
      .select('op.id')
      .where('op.secret', '=', p.code))
    .limit(sql.lit(1)))
  .with('up', (db) => db
    .insertInto('leads')
    .columns(['exhibitor_id', 'position_id', 'scope_key', 'rating', 'tags', 'notes', 'device_name', 'device_uuid', 'scanned'])
    .expression((db) => db
      .selectFrom(['ex', 'p'])
      .select((eb) => [
        'ex.id as exhibitor_id',
        'p.id as position_id',
        eb.case().when('ex.scoped', '=', sql.lit(true))
          .then(eb.fn.coalesce(eb.cast<string | null>(eb.cast(eb.val(p.deviceUuid), 'uuid'), 'text'), sql.lit('')))
          .else(sql.lit(''))
          .end()
          .as('scope_key'),
        eb.cast<number | null>(eb.val(p.rating), 'smallint').as('rating'),
        eb.fn.coalesce(eb.cast<string | null>(eb.val(p.tagsJson), 'jsonb'), sql<string>`'[]'::jsonb`).as('tags'),
        eb.val(p.notes).as('notes'),
        eb.val(p.deviceName).as('device_name'),
        eb.cast<string | null>(eb.val(p.deviceUuid), 'uuid').as('device_uuid'),
        eb.cast<Date>(eb.val(p.scanned), 'timestamptz').as('scanned')
      ]))
    .onConflict((oc) => oc
      .columns(['exhibitor_id', 'position_id', 'scope_key'])
      .doUpdateSet((eb) => ({
        rating: eb.fn.coalesce('excluded.rating', 'leads.rating'),
        tags: eb.case().when(eb.cast(eb.val(p.tagsJson), 'jsonb'), 'is', null).then(eb.ref('leads.tags')).else(eb.ref('excluded.tags')).end(),
        notes: eb.case().when('excluded.notes', '=', sql.lit('')).then(eb.ref('leads.notes')).else(eb.ref('excluded.notes')).end(),
        device_name: eb.fn.coalesce('excluded.device_name', 'leads.device_name'),
        device_uuid: eb.fn.coalesce('excluded.device_uuid', 'leads.device_uuid'),
        scanned: eb.fn<Date>('least', ['leads.scanned', 'excluded.scanned']),
        last_upload: sql<Date>`now()`
      })))
    .returning(['leads.id', 'leads.position_id', 'leads.rating', 'leads.tags', 'leads.notes', 'leads.device_name', 'leads.device_uuid'])
    // xmax is a system column, which the table's type does not list.
    .returning(sql<boolean>`leads.xmax = 0`.as('created')))
  .with('ob', (db) => db
    .insertInto('outbox')
    .columns(['topic', 'payload'])
    .expression((db) => db
      .selectFrom('up')
      .select((eb) => [sql.lit('lead.enrich').as('topic'), eb.fn<string>('jsonb_build_object', [sql.lit('lead_id'), 'up.id']).as('payload')])))
  .selectFrom(['s', 'ex', 'up'])
  .innerJoin('order_positions as op', 'op.id', 'up.position_id')
  .innerJoin('orders as o', 'o.id', 'op.order_id')
  .innerJoin('items as i', 'i.id', 'op.item_id')
  .selectAll('up')
  .select(['s.lead_fields', 'ex.locale', 'op.attendee_name_parts', 'op.attendee_name', 'op.attendee_email', 'op.company',
    'op.street', 'op.zipcode', 'op.city', 'op.country', 'op.answers', 'o.code as order_code', 'o.email as order_email',
    'i.name as item_name']))

/** The stored lead, with its attendee's data, the event's `lead_fields` and the exhibitor's locale (for the labels). */
export type StoredLead = Awaited<ReturnType<typeof upload>>[number]

/**
 * Stores or merges one scan; undefined when the access code is unknown, its exhibitor may not
 * scan, or the scanned code matches no attendee of the event.
 */
export async function uploadLead (db: Db, lead: LeadUpload): Promise<StoredLead | undefined> {
  const [row] = await upload(db, { ...lead, tagsJson: lead.tags === null ? null : JSON.stringify(lead.tags) })
  return row
}

import type { Db } from '../database.js'
import { poolOf } from '../database.js'
import type { AttendeeSource } from '../types.js'

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

export interface StoredLead extends AttendeeSource {
  id: number
  created: boolean
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  device_uuid: string | null
  lead_fields: string[]
  /** The exhibitor's locale, for the attendee fields' labels. */
  locale: string
}

// The whole upload in one statement, so it costs one round trip and, prepared, one plan per
// connection: find the exhibitor by its access code (it must allow lead scanning), the position by
// badge code (or ticket secret when the event allows it), insert or merge the lead under the unique
// (exhibitor, position, scope) key, which makes concurrent first uploads produce one row and one
// "created", and write the enrichment outbox row in the same transaction. `xmax = 0` is true only
// for a row this statement inserted. No row back means one of the lookups failed; the caller asks
// which only then.
const UPLOAD = `
with ex as (
  select e.id, e.event_id, e.locale, e.lead_scanning_scope_by_device as scoped
  from exhibitor_access_codes c join exhibitors e on e.id = c.exhibitor_id
  where c.code = $1 and e.allow_lead_scanning
), s as (
  select s.scan_secret, s.lead_fields from exhibitor_settings s join ex on s.event_id = ex.event_id
), p as (
  (select op.id from order_positions op join ex on op.event_id = ex.event_id where op.pseudonymization_id = $2)
  union all
  (select op.id from order_positions op join ex on op.event_id = ex.event_id join s on s.scan_secret where op.secret = $2)
  limit 1
), up as (
  insert into leads as l (exhibitor_id, position_id, scope_key, rating, tags, notes, device_name, device_uuid, scanned)
  select ex.id, p.id, case when ex.scoped then coalesce($8::uuid::text, '') else '' end,
         $4::smallint, coalesce($5::jsonb, '[]'::jsonb), $6, $7, $8::uuid, $3::timestamptz
  from ex, p
  on conflict (exhibitor_id, position_id, scope_key) do update set
    rating = coalesce(excluded.rating, l.rating),
    tags = case when $5::jsonb is null then l.tags else excluded.tags end,
    notes = case when excluded.notes = '' then l.notes else excluded.notes end,
    device_name = coalesce(excluded.device_name, l.device_name),
    device_uuid = coalesce(excluded.device_uuid, l.device_uuid),
    scanned = least(l.scanned, excluded.scanned),
    last_upload = now()
  returning l.id, l.position_id, (l.xmax = 0) as created, l.rating, l.tags, l.notes, l.device_name, l.device_uuid
), ob as (
  insert into outbox (topic, payload) select 'lead.enrich', jsonb_build_object('lead_id', up.id) from up
)
select up.*, s.lead_fields, ex.locale, op.attendee_name_parts, op.attendee_name, op.attendee_email, op.company,
       op.street, op.zipcode, op.city, op.country, op.answers, o.code as order_code, o.email as order_email,
       i.name as item_name
from up
join order_positions op on op.id = up.position_id
join orders o on o.id = op.order_id
join items i on i.id = op.item_id
cross join s cross join ex`

/**
 * Stores or merges one scan; undefined when the access code is unknown, its exhibitor may not
 * scan, or the scanned code matches no attendee of the event.
 */
export async function uploadLead (db: Db, upload: LeadUpload): Promise<StoredLead | undefined> {
  const { rows } = await poolOf(db).query({
    name: 'showfloor_upload_lead',
    text: UPLOAD,
    values: [
      upload.accessCode, upload.code, upload.scanned, upload.rating,
      upload.tags === null ? null : JSON.stringify(upload.tags), upload.notes, upload.deviceName, upload.deviceUuid
    ]
  })
  const row = rows[0]
  if (!row) return undefined
  return { ...row, id: Number(row.id) }
}

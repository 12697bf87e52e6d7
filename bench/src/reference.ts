// The reference of the lead-upload benchmark: a bare Fastify route that does the whole upload
// (auth lookup, position lookup, upsert with the merge rule, outbox row, response) in ONE prepared
// statement over pg. It exists to be measured beside the App API, in the same run, on the same data.
import Fastify from 'fastify'
import pg from 'pg'
import { attendeeFields } from '@showfloor/schemas'

const UPLOAD = `
with ex as (
  select e.id, e.event_id, e.locale, e.lead_scanning_scope_by_device as scoped
  from exhibitor_access_codes c join exhibitors e on e.id = c.exhibitor_id
  where c.code = $1 and e.allow_lead_scanning
), s as (
  select s.lead_fields, s.scan_secret from exhibitor_settings s join ex on s.event_id = ex.event_id
), p as (
  select op.id from order_positions op join ex on op.event_id = ex.event_id where op.pseudonymization_id = $2 limit 1
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
select up.*, s.lead_fields, ex.locale, op.attendee_name_parts, op.attendee_name, op.attendee_email, op.company, op.street,
       op.zipcode, op.city, op.country, op.answers, o.code as order_code, o.email as order_email, i.name as item_name
from up join order_positions op on op.id = up.position_id join orders o on o.id = op.order_id
join items i on i.id = op.item_id cross join s cross join ex`

// 10 connections, as one App API process has; a pair of references shares them as a pair of App API processes does.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) })
const app = Fastify({ logger: false })
app.post('/exhibitors/api/v1/leads/', async (request, reply) => {
  const code = String(request.headers.authorization ?? '').replace(/^Exhibitor\s+/i, '').trim().toUpperCase()
  const b = request.body as Record<string, any>
  const { rows } = await pool.query({
    name: 'reference_upload',
    text: UPLOAD,
    values: [code, b.code, b.scanned, b.rating ?? null, b.tags == null ? null : JSON.stringify(b.tags), b.notes ?? '', b.device_name ?? null, b.device_uuid ?? null]
  })
  const row = rows[0]
  if (!row) return await reply.code(400).send({ code: ['unknown'] })
  return await reply.code(row.created ? 201 : 200).send({
    attendee: { fields: attendeeFields(row, row.lead_fields, row.locale) },
    rating: row.rating,
    tags: row.tags,
    notes: row.notes,
    device_name: row.device_name,
    device_uuid: row.device_uuid
  })
})
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.on('SIGTERM', () => { app.close().then(() => pool.end()).then(() => process.exit(0), () => process.exit(1)) })

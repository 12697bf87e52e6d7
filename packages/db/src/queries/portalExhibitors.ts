import { sql } from 'kysely'
import type { Db } from '../database.js'
import { prepared } from '../prepared.js'

// What the exhibitor web area reads about the logged-in exhibitor and its event, once per request.

const current = prepared('showfloor_portal_exhibitor', (db, p: { exhibitorId: number }) => db
  .selectFrom('exhibitors as x')
  .innerJoin('events as e', 'e.id', 'x.event_id')
  .innerJoin('exhibitor_settings as s', 's.event_id', 'e.id')
  .select(['x.id', 'x.event_id', 'x.name', 'x.booth', 'x.locale', 'x.access_code', 'x.lead_scanning_access_code',
    'x.allow_lead_access', 'x.allow_voucher_access', 'x.last_export_at',
    'e.slug as event_slug', 'e.name as event_name', 'e.date_from', 'e.date_to', 'e.timezone',
    's.lead_fields', 's.lead_tags', 's.allow_notes'])
  .where('x.id', '=', p.exhibitorId))

export type PortalExhibitor = Awaited<ReturnType<typeof current>>[number]

/** The exhibitor with its event and the event's exhibitor settings; undefined once it was deleted. */
export async function findPortalExhibitor (db: Db, exhibitorId: number): Promise<PortalExhibitor | undefined> {
  const [row] = await current(db, { exhibitorId })
  return row
}

export interface DashboardFigures {
  total: number
  today: number
  devices: number
  /** Every hour of the event's days (its local wall clock, "YYYY-MM-DD HH:00") with the leads scanned in it. */
  perHour: Array<{ hour: string, count: number }>
  byRating: Array<{ rating: number | null, count: number }>
  byTag: Array<{ tag: string, count: number }>
}

/** The dashboard's figures, counted in PostgreSQL (the event's timezone for "today" and the hours). */
export async function dashboardFigures (db: Db, exhibitorId: number): Promise<DashboardFigures> {
  const totals = await sql<{ total: string, today: string, devices: string }>`
    select count(*) as total,
      count(*) filter (where (l.scanned at time zone e.timezone)::date = (now() at time zone e.timezone)::date) as today,
      count(distinct coalesce(l.device_uuid::text, l.device_name)) as devices
    from leads l join exhibitors x on x.id = l.exhibitor_id join events e on e.id = x.event_id
    where l.exhibitor_id = ${exhibitorId}`.execute(db)
  const hours = await sql<{ hour: string, count: string }>`
    with ev as (
      select e.timezone as tz,
        date_trunc('day', e.date_from at time zone e.timezone) as first_hour,
        date_trunc('day', coalesce(e.date_to, e.date_from) at time zone e.timezone) + interval '23 hours' as last_hour
      from exhibitors x join events e on e.id = x.event_id where x.id = ${exhibitorId}
    ), counted as (
      select date_trunc('hour', l.scanned at time zone ev.tz) as hour, count(*) as count
      from leads l, ev where l.exhibitor_id = ${exhibitorId}
        and l.scanned >= (ev.first_hour at time zone ev.tz) and l.scanned < ((ev.last_hour + interval '1 hour') at time zone ev.tz)
      group by 1
    )
    select to_char(h, 'YYYY-MM-DD HH24:00') as hour, coalesce(counted.count, 0) as count
    from ev, generate_series(ev.first_hour, least(ev.last_hour, ev.first_hour + interval '31 days'), interval '1 hour') as h
    left join counted on counted.hour = h
    order by h`.execute(db)
  const ratings = await sql<{ rating: number | null, count: string }>`
    select rating, count(*) as count from leads where exhibitor_id = ${exhibitorId} group by rating order by rating nulls last`.execute(db)
  const tags = await sql<{ tag: string, count: string }>`
    select t.tag, count(*) as count from leads l, jsonb_array_elements_text(l.tags) as t(tag)
    where l.exhibitor_id = ${exhibitorId} group by t.tag order by count(*) desc, t.tag limit 50`.execute(db)
  const [t] = totals.rows
  return {
    total: Number(t.total),
    today: Number(t.today),
    devices: Number(t.devices),
    perHour: hours.rows.map((r) => ({ hour: r.hour, count: Number(r.count) })),
    byRating: ratings.rows.map((r) => ({ rating: r.rating, count: Number(r.count) })),
    byTag: tags.rows.map((r) => ({ tag: r.tag, count: Number(r.count) }))
  }
}

export interface DeviceRow {
  device_name: string | null
  device_uuid: string | null
  leads: number
  last_upload: Date
}

/** The devices seen on the exhibitor's uploads (by uuid and name), with their leads and last upload, latest first. */
export async function listDevices (db: Db, exhibitorId: number): Promise<DeviceRow[]> {
  const rows = await db.selectFrom('leads')
    .select(['device_name', 'device_uuid'])
    .select((eb) => [eb.fn.countAll<string>().as('leads'), eb.fn.max('last_upload').as('last_upload')])
    .where('exhibitor_id', '=', exhibitorId)
    .groupBy(['device_uuid', 'device_name'])
    .orderBy('last_upload', 'desc')
    .execute()
  return rows.map((r) => ({ ...r, leads: Number(r.leads) }))
}

/** The device names on the exhibitor's leads, for the leads page's filter. */
export async function deviceNames (db: Db, exhibitorId: number): Promise<string[]> {
  const rows = await db.selectFrom('leads').select('device_name').distinct()
    .where('exhibitor_id', '=', exhibitorId).where('device_name', 'is not', null)
    .orderBy('device_name').limit(500).execute()
  return rows.map((r) => r.device_name as string)
}

/** The tags on the exhibitor's leads, for the leads page's filter and the edit form. */
export async function usedTags (db: Db, exhibitorId: number): Promise<string[]> {
  const rows = await sql<{ tag: string }>`
    select distinct t.tag from leads l, jsonb_array_elements_text(l.tags) as t(tag)
    where l.exhibitor_id = ${exhibitorId} order by t.tag limit 500`.execute(db)
  return rows.rows.map((r) => r.tag)
}

/**
 * Gives the exhibitor a new scanning-only code, in `exhibitors` and in `exhibitor_access_codes`
 * (whose key the App API looks codes up by), in one statement: the old code stops working at
 * once. False when the exhibitor is gone. A collision with any other code throws a unique
 * violation; the caller retries with a new code.
 */
export async function replaceScanningCode (db: Db, exhibitorId: number, code: string): Promise<boolean> {
  const row = await db
    .with('c', (qb) => qb.updateTable('exhibitor_access_codes').set({ code })
      .where('exhibitor_id', '=', exhibitorId).where('full_access', '=', false).returning('exhibitor_id'))
    .updateTable('exhibitors').set({ lead_scanning_access_code: code })
    .where('id', '=', exhibitorId)
    .where((eb) => eb.exists(eb.selectFrom('c').select('c.exhibitor_id')))
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * The start of an export: the exhibitor's previous mark (what "new since my last export" compares
 * with) and the database's clock now, as PostgreSQL prints it (exact to the microsecond, so the new
 * mark is the very instant the changes are compared against).
 */
export async function startExport (db: Db, exhibitorId: number): Promise<{ previous: Date | null, startedAt: string } | undefined> {
  const row = await db.selectFrom('exhibitors').select(['last_export_at as previous', sql<string>`statement_timestamp()::text`.as('startedAt')])
    .where('id', '=', exhibitorId).executeTakeFirst()
  return row
}

/** Moves the exhibitor's "new since my last export" mark to `startedAt` (from startExport), never backwards. */
export async function markExported (db: Db, exhibitorId: number, startedAt: string): Promise<void> {
  await db.updateTable('exhibitors').set({ last_export_at: sql<Date>`${startedAt}::timestamptz` })
    .where('id', '=', exhibitorId)
    .where((eb) => eb.or([eb('last_export_at', 'is', null), eb('last_export_at', '<', sql<Date>`${startedAt}::timestamptz`)]))
    .execute()
}

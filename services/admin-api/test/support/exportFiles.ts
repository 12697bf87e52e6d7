import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import type { Db } from '@showfloor/db'

// Reading exported files back, and what they should hold, computed here from the stored rows on
// their own (not with the code that wrote them).

export type Value = string | number | null

/** Every row of the sheet (header first) as plain values; a date cell as its `YYYY-MM-DD HH:MM`. */
export async function readXlsx (body: Buffer, sheetName: string): Promise<Value[][]> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(body as unknown as ArrayBuffer)
  const sheet = workbook.getWorksheet(sheetName)
  if (!sheet) throw new Error(`no sheet ${sheetName}: ${workbook.worksheets.map((s) => s.name).join(', ')}`)
  const rows: Value[][] = []
  const width = sheet.getRow(1).cellCount
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const values: Value[] = []
    for (let c = 1; c <= width; c++) {
      const value = row.getCell(c).value
      if (value === null || value === undefined) values.push(null)
      else if (value instanceof Date) values.push(value.toISOString().slice(0, 16).replace('T', ' '))
      else if (typeof value === 'number' || typeof value === 'string') values.push(value)
      else throw new Error(`unexpected cell ${JSON.stringify(value)}`)
    }
    rows.push(values)
  })
  return rows
}

export function readCsv (body: Buffer): string[][] {
  if (body.subarray(0, 3).toString('hex') !== 'efbbbf') throw new Error('no UTF-8 BOM')
  return parse(body, { bom: true, relax_column_count: false }) as string[][]
}

/** `YYYY-MM-DD HH:MM` of an instant on the wall clock of `timeZone`. */
export function wallMinute (at: Date, timeZone: string): string {
  // Swedish writes dates as ISO does.
  return at.toLocaleString('sv-SE', { timeZone, hour12: false }).slice(0, 16)
}

/** What a CSV cell of a text should read (section 11: a leading `'` before what could start a formula). */
export function csvText (value: string | null): string {
  if (value === null) return ''
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

export interface StoredLead {
  exhibitor: string
  booth: string | null
  internal_id: string | null
  given_name: string
  family_name: string
  email: string | null
  company: string | null
  order_code: string
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  scanned: Date
  last_upload: Date
}

/** The event's leads as stored, in the exporter's order (exhibitor id, then first upload). */
export async function storedLeads (db: Db, eventId: number, filter: { exhibitors?: number[], since?: Date } = {}): Promise<StoredLead[]> {
  let query = db.selectFrom('leads')
    .innerJoin('exhibitors as e', 'e.id', 'leads.exhibitor_id')
    .innerJoin('order_positions as p', 'p.id', 'leads.position_id')
    .innerJoin('orders as o', 'o.id', 'p.order_id')
    .select([
      'e.name as exhibitor', 'e.booth', 'e.internal_id',
      sql<string>`p.attendee_name_parts->>'given_name'`.as('given_name'),
      sql<string>`p.attendee_name_parts->>'family_name'`.as('family_name'),
      sql<string | null>`coalesce(p.attendee_email, o.email)`.as('email'),
      'p.company', 'o.code as order_code', 'leads.rating', 'leads.tags', 'leads.notes', 'leads.device_name',
      'leads.scanned', 'leads.last_upload'
    ])
    .where('e.event_id', '=', eventId)
  if (filter.exhibitors) query = query.where('e.id', 'in', filter.exhibitors)
  if (filter.since) query = query.where('leads.last_upload', '>=', filter.since)
  return await query.orderBy('e.id').orderBy('leads.first_upload').orderBy('leads.id').execute()
}

/** Lead fields `attendee_name, attendee_email, company, order_code`, then the section 11 columns. */
export function expectedLeadRow (lead: StoredLead, format: 'csv' | 'xlsx', timeZone: string): Value[] {
  // XML, which XLSX is made of, reads a line break CR LF as LF.
  const text = (value: string | null): Value => format === 'csv' ? csvText(value) : (value === '' || value === null ? null : value.replaceAll('\r\n', '\n'))
  return [
    text(lead.exhibitor), text(lead.booth), text(lead.internal_id),
    text(`${lead.given_name} ${lead.family_name}`), text(lead.email), text(lead.company), text(lead.order_code),
    format === 'csv' ? (lead.rating === null ? '' : String(lead.rating)) : lead.rating,
    text(lead.tags.join(', ')), text(lead.notes), text(lead.device_name),
    wallMinute(lead.scanned, timeZone), wallMinute(lead.last_upload, timeZone)
  ]
}

/**
 * `count` attendees (one order each) and a lead of one of the exhibitors for each, in bulk by SQL:
 * ratings, tags, notes and devices vary, scans a second apart from `start`.
 */
export async function seedBulkLeads (db: Db, eventId: number, itemId: number, exhibitorIds: number[], count: number, prefix: string): Promise<void> {
  await sql`
    insert into orders (event_id, code, status, email, total)
    select ${eventId}, ${prefix} || g, 'p', 'order' || g || '@example.com', 10 from generate_series(1, ${count}) g`.execute(db)
  await sql`
    insert into order_positions (order_id, event_id, positionid, item_id, price, attendee_name_parts, attendee_name, attendee_email, company, secret, pseudonymization_id)
    select o.id, ${eventId}, 1, ${itemId}, 10,
           jsonb_build_object('_scheme', 'salutation_title_given_family', 'given_name', 'Given' || g, 'family_name', 'Family' || g),
           'Given' || g || ' Family' || g, 'attendee' || g || '@example.com', 'Company ' || (g % 500), ${prefix} || 'secret' || g,
           ${prefix} || lpad(g::text, 9, '0')
    from generate_series(1, ${count}) g join orders o on o.event_id = ${eventId} and o.code = ${prefix} || g`.execute(db)
  await sql`
    insert into leads (exhibitor_id, position_id, rating, tags, notes, device_name, scanned, first_upload, last_upload)
    select (${sql.val(exhibitorIds)}::int[])[1 + g % ${exhibitorIds.length}], p.id,
           case when g % 7 = 0 then null else g % 6 end,
           case when g % 3 = 0 then '["hot", "follow up"]'::jsonb else '[]'::jsonb end,
           case when g % 5 = 0 then '' else 'Talked about product ' || g end,
           'Scanner ' || (g % 4),
           timestamptz '2026-12-01 09:00:00+00' + g * interval '1 second',
           timestamptz '2026-12-01 09:00:05+00' + g * interval '1 second',
           timestamptz '2026-12-01 09:00:05+00' + g * interval '1 second'
    from generate_series(1, ${count}) g join order_positions p on p.event_id = ${eventId} and p.pseudonymization_id = ${prefix} || lpad(g::text, 9, '0')`.execute(db)
  await sql`analyze leads`.execute(db)
}

import { sql } from 'kysely'
import { createDb, generateAccessCode, migrateDatabase, queries, type Db } from '@showfloor/db'
import { dropDatabase } from '@showfloor/db/testing'
import { randomBytes } from 'node:crypto'

export interface BenchDatabase { url: string, name: string, db: Db, drop: () => Promise<void> }

export async function benchDatabase (label: string): Promise<BenchDatabase> {
  const name = `showfloor_bench_${label}_${randomBytes(3).toString('hex')}`
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/showfloor')
  url.pathname = '/' + name
  await migrateDatabase(url.toString())
  const db = createDb(url.toString(), { max: 4, applicationName: 'showfloor-bench' })
  return { url: url.toString(), name, db, drop: async () => { await db.destroy(); await dropDatabase(name) } }
}

export interface Show {
  eventId: number
  itemId: number
  /** Badge codes of the attendees, index i for attendee i. */
  scanCodes: string[]
  exhibitors: Array<{ id: number, accessCode: string, scanCode: string }>
}

export const scanCode = (i: number): string => 'P' + String(i).padStart(9, '0')

/** One event with `attendees` attendees (one order each) and `exhibitors` exhibitors, made in bulk by SQL. */
export async function seedShow (db: Db, attendees: number, exhibitors: number): Promise<Show> {
  const organizer = await queries.organizers.createOrganizer(db, 'bench', 'Bench')
  const event = await queries.events.createEvent(db, { organizer_id: organizer.id, slug: 'benchcon', name: JSON.stringify({ en: 'Bench conference' }), date_from: '2026-12-01T09:00:00Z' })
  const item = await db.insertInto('items').values({ event_id: event.id, name: JSON.stringify({ en: 'Ticket' }), default_price: '10.00' }).returning('id').executeTakeFirstOrThrow()
  await sql`
    insert into orders (event_id, code, status, email, total)
    select ${event.id}, 'O' || g, 'p', 'order' || g || '@example.com', 10 from generate_series(1, ${attendees}) g`.execute(db)
  await sql`
    insert into order_positions (order_id, event_id, positionid, item_id, price, attendee_name_parts, attendee_name, attendee_email, company, secret, pseudonymization_id)
    select o.id, ${event.id}, 1, ${item.id}, 10,
           jsonb_build_object('_scheme', 'salutation_title_given_family', 'given_name', 'Given' || g, 'family_name', 'Family' || g),
           'Given' || g || ' Family' || g, 'attendee' || g || '@example.com', 'Company ' || (g % 500), 'secret' || g,
           'P' || lpad(g::text, 9, '0')
    from generate_series(1, ${attendees}) g join orders o on o.event_id = ${event.id} and o.code = 'O' || g`.execute(db)
  const codes = new Set<string>()
  while (codes.size < exhibitors * 2) codes.add(generateAccessCode())
  const list = [...codes]
  const rows = await db.insertInto('exhibitors').values(Array.from({ length: exhibitors }, (_, i) => ({
    event_id: event.id, name: `Exhibitor ${i}`, access_code: list[2 * i], lead_scanning_access_code: list[2 * i + 1]
  }))).returning(['id', 'access_code', 'lead_scanning_access_code']).execute()
  await db.insertInto('exhibitor_access_codes').values(rows.flatMap((r) => [
    { code: r.access_code, exhibitor_id: r.id, full_access: true },
    { code: r.lead_scanning_access_code, exhibitor_id: r.id, full_access: false }
  ])).execute()
  await sql`analyze`.execute(db)
  return {
    eventId: event.id,
    itemId: item.id,
    scanCodes: Array.from({ length: attendees }, (_, i) => scanCode(i + 1)),
    exhibitors: rows.map((r) => ({ id: r.id, accessCode: r.access_code, scanCode: r.lead_scanning_access_code }))
  }
}

import { queries, type Db } from '../index.js'

export interface SeededEvent {
  organizerId: number
  eventId: number
  itemId: number
}

let organizers = 0

/** An organizer with one event (its exhibitor settings at their defaults unless given) and one item. */
export async function seedEvent (db: Db, opts: { locale?: string, name?: Record<string, string>, leadFields?: string[] } = {}): Promise<SeededEvent> {
  const n = ++organizers
  const organizer = await queries.organizers.createOrganizer(db, `org${n}`, `Organizer ${n}`)
  const event = await queries.events.createEvent(db, {
    organizer_id: organizer.id,
    slug: `event${n}`,
    name: JSON.stringify(opts.name ?? { en: 'Sample Conference', de: 'Beispielkonferenz' }),
    date_from: '2026-12-01T09:00:00Z',
    locale: opts.locale ?? 'en'
  })
  if (opts.leadFields) {
    await queries.exhibitorSettings.updateSettings(db, event.id, { lead_fields: JSON.stringify(opts.leadFields) })
  }
  const item = await queries.items.createItem(db, { event_id: event.id, name: JSON.stringify({ en: 'Ticket', de: 'Eintrittskarte' }), default_price: '10.00' })
  return { organizerId: organizer.id, eventId: event.id, itemId: item.id }
}

export interface SeededAttendee { positionId: number, code: string }

let attendees = 0

/** `count` paid orders of one attendee each; the badge code of each is returned. */
export async function seedAttendees (db: Db, event: SeededEvent, count: number): Promise<SeededAttendee[]> {
  const result: SeededAttendee[] = []
  for (let i = 0; i < count; i++) {
    const n = ++attendees
    const order = await db.insertInto('orders').values({
      event_id: event.eventId, code: `O${String(n).padStart(4, '0')}`, status: 'p', email: `order${n}@example.org`, total: '10.00'
    }).returning('id').executeTakeFirstOrThrow()
    const code = `BADGE${String(n).padStart(5, '0')}`
    const position = await db.insertInto('order_positions').values({
      order_id: order.id,
      event_id: event.eventId,
      positionid: 1,
      item_id: event.itemId,
      price: '10.00',
      attendee_name_parts: JSON.stringify({ given_name: 'Ada', family_name: `Lovelace ${n}` }),
      attendee_name: `Ada Lovelace ${n}`,
      attendee_email: `ada${n}@example.org`,
      company: 'Analytical Engines Ltd',
      city: 'London',
      secret: `secret${n}`,
      pseudonymization_id: code
    }).returning('id').executeTakeFirstOrThrow()
    result.push({ positionId: position.id, code })
  }
  return result
}

export type ExhibitorFixture = queries.exhibitors.ExhibitorWithTags

export async function seedExhibitor (db: Db, event: SeededEvent, values: Partial<queries.exhibitors.ExhibitorValues> = {}): Promise<ExhibitorFixture> {
  return await queries.exhibitors.createExhibitor(db, {
    event_id: event.eventId,
    name: 'Aperture Science',
    contact_email: 'cave@aperture.example',
    ...values
  }, [])
}

/** A lead upload exactly as the App API stores it: the lead and its outbox row in one statement. */
export async function uploadLead (db: Db, exhibitor: ExhibitorFixture, code: string): Promise<number> {
  const stored = await queries.leadUpload.uploadLead(db, {
    accessCode: exhibitor.access_code,
    code,
    scanned: new Date().toISOString(),
    rating: null,
    tags: null,
    notes: '',
    deviceName: null,
    deviceUuid: null
  })
  if (!stored) throw new Error(`no attendee with code ${code}`)
  return stored.id
}

export async function waitFor<T> (what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

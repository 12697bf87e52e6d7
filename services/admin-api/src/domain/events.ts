import { queries, type Db, type Event, type Team } from '@showfloor/db'
import type { EventCreate, EventUpdate } from '@showfloor/schemas'
import { fieldError, forbidden, invalid } from '@showfloor/http'

// The event rules: a known time zone, no end before the start, slugs fixed and unique per organizer.

function validTimeZone (zone: string): boolean {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone !== ''
  } catch {
    return false
  }
}

function checkDates (dateFrom: string | Date, dateTo: string | Date | null | undefined) {
  if (dateTo != null && new Date(dateTo) < new Date(dateFrom)) {
    // pretix checks the dates together, so the error is not one field's.
    throw invalid({ non_field_errors: ['The event cannot end before it starts.'] })
  }
}

function checkCommon (body: { timezone?: string, has_subevents?: boolean }) {
  const errors: Record<string, string[]> = {}
  if (body.timezone !== undefined && !validTimeZone(body.timezone)) errors.timezone = [`"${body.timezone}" is not a valid choice.`]
  if (body.has_subevents === true) errors.has_subevents = ['Event series are not supported.']
  if (Object.keys(errors).length > 0) throw invalid(errors)
}

/** Creates the event (with its exhibitor settings) for the organizer; `team` reaches it afterwards. */
export async function createEvent (db: Db, organizerId: number, team: Team, body: EventCreate): Promise<Event> {
  checkCommon(body)
  checkDates(body.date_from, body.date_to)
  if (await queries.events.findEvent(db, organizerId, body.slug)) {
    throw fieldError('slug', 'This slug has already been used for a different event.')
  }
  return await queries.events.createEvent(db, {
    organizer_id: organizerId,
    slug: body.slug,
    name: JSON.stringify(body.name),
    date_from: body.date_from,
    date_to: body.date_to ?? null,
    currency: body.currency,
    locale: body.locale,
    timezone: body.timezone
  }, team)
}

/** Changes the fields sent; the slug cannot change. */
export async function updateEvent (db: Db, event: Event, body: EventUpdate): Promise<Event> {
  checkCommon(body)
  if (body.slug !== undefined && body.slug !== event.slug) throw fieldError('slug', 'The event slug cannot be changed.')
  checkDates(body.date_from ?? event.date_from, body.date_to === undefined ? event.date_to : body.date_to)
  return await queries.events.updateEvent(db, event.id, {
    ...(body.name !== undefined && { name: JSON.stringify(body.name) }),
    ...(body.date_from !== undefined && { date_from: body.date_from }),
    ...(body.date_to !== undefined && { date_to: body.date_to }),
    ...(body.currency !== undefined && { currency: body.currency }),
    ...(body.locale !== undefined && { locale: body.locale }),
    ...(body.timezone !== undefined && { timezone: body.timezone })
  })
}

// pretix's words, advice included, though events here have no `live` switch to set.
const EVENT_HAS_ORDERS = 'The event can not be deleted as it already contains orders. Please set \'live\' to false to hide the event and take the shop offline instead.'

/** An event with orders stays, as in pretix. */
export async function deleteEvent (db: Db, eventId: number): Promise<void> {
  if (await queries.events.eventHasOrders(db, eventId)) throw forbidden(EVENT_HAS_ORDERS)
  await queries.events.deleteEvent(db, eventId)
}

import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, I18nString, Nullable, Slug } from './common.js'
import { FilterReader, type FilterErrors } from './listFilters.js'
import { PageQuery } from './pagination.js'

const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' })
const Locale = Type.String({ pattern: '^[a-z]{2}(-[a-zA-Z]{2,4})?$', maxLength: 10 })
const TimeZone = Type.String({ minLength: 1, maxLength: 100, description: 'IANA time zone, e.g. Europe/Berlin' })

export const EventSchema = Type.Object({
  name: I18nString,
  slug: Type.String(),
  date_from: DateTimeString,
  date_to: Nullable(DateTimeString),
  currency: Type.String(),
  locale: Type.String(),
  timezone: Type.String(),
  has_subevents: Type.Boolean()
})
export type EventBody = Static<typeof EventSchema>

export const EventCreateSchema = Type.Object({
  name: I18nString,
  slug: Slug,
  date_from: DateTimeString,
  date_to: Type.Optional(Nullable(DateTimeString)),
  currency: Type.Optional(Currency),
  locale: Type.Optional(Locale),
  timezone: Type.Optional(TimeZone),
  has_subevents: Type.Optional(Type.Boolean())
})
export type EventCreate = Static<typeof EventCreateSchema>

export const EventUpdateSchema = Type.Partial(Type.Object({
  name: I18nString,
  slug: Slug,
  date_from: DateTimeString,
  date_to: Nullable(DateTimeString),
  currency: Currency,
  locale: Locale,
  timezone: TimeZone,
  has_subevents: Type.Boolean()
}))
export type EventUpdate = Static<typeof EventUpdateSchema>

export const EventParams = Type.Object({ organizer: Type.String(), event: Type.String() })
export const OrganizerParams = Type.Object({ organizer: Type.String() })

const filterParam = (description: string) => Type.Optional(Type.String({ description }))

// Every value is read as text and checked by eventListFilter, which answers pretix's messages.
export const EventListQuery = Type.Object({
  ...PageQuery.properties,
  is_public: filterParam('true or false. Every event here counts as public (there is no shop to hide): false lists none'),
  live: filterParam('true or false. Every event here counts as live (there is no shop to take offline): false lists none'),
  has_subevents: filterParam('true or false. No event here has subevents: true lists none'),
  ends_after: filterParam('ISO 8601 date-time: only events whose end (date_to, or date_from without one) is at or after it'),
  is_past: filterParam('true: only events that have ended (date_to, or date_from without one, is before now); false: the others'),
  is_future: filterParam('true: only events that have not ended; false: the others')
})

/** What the event list is filtered by; every field left out filters nothing. */
export interface EventListFilter {
  /** Events whose end (date_to, or date_from without one) is at or after this (ISO 8601 text with an offset). */
  ends_after?: string
  /** Ended before now (true), or not (false). */
  is_past?: boolean
  /** Not ended before now (true), or ended (false). */
  is_future?: boolean
}

/**
 * Reads the event list's query as pretix does. `matchesNothing`: a filter no event here can meet
 * (has_subevents=true, is_public=false, live=false), answered with an empty list.
 */
export function eventListFilter (query: Record<string, unknown>): { filter: EventListFilter, matchesNothing: boolean, errors: FilterErrors } {
  const read = new FilterReader(query)
  const filter: EventListFilter = {}
  const matchesNothing = read.boolean('has_subevents') === true || read.boolean('is_public') === false || read.boolean('live') === false
  const endsAfter = read.dateTime('ends_after')
  if (endsAfter !== undefined) filter.ends_after = endsAfter
  const isPast = read.boolean('is_past')
  if (isPast !== undefined) filter.is_past = isPast
  const isFuture = read.boolean('is_future')
  if (isFuture !== undefined) filter.is_future = isFuture
  return { filter, matchesNothing, errors: read.errors }
}

import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, I18nString, Nullable, Slug } from './common.js'

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

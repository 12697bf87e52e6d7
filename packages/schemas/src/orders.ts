import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, DecimalInput, Nullable } from './common.js'
import { isoDateTime } from './formats.js'

// pretix's order resource, the subset this system owns (contract section 5).

const NameParts = Type.Record(Type.String(), Type.String(), { description: 'Name parts, e.g. {"given_name": "Cave", "family_name": "Johnson"}' })
const Email = Type.String({ format: 'email', maxLength: 254 })
const OrderLocale = Type.String({ pattern: '^[a-z]{2}(-[a-zA-Z]{2,8})?$', maxLength: 16 })
const OptionalText = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })))

export const OrderAnswerSchema = Type.Object({
  question_identifier: Type.String(),
  question: Type.String({ description: 'The question text, stored with the answer' }),
  answer: Type.String()
})

export const OrderPositionSchema = Type.Object({
  id: Type.Integer(),
  order: Type.String({ description: 'Order code' }),
  positionid: Type.Integer(),
  item: Type.Integer(),
  variation: Type.Null(),
  price: Type.String(),
  attendee_name: Nullable(Type.String()),
  attendee_name_parts: NameParts,
  attendee_email: Nullable(Type.String()),
  company: Nullable(Type.String()),
  street: Nullable(Type.String()),
  zipcode: Nullable(Type.String()),
  city: Nullable(Type.String()),
  country: Nullable(Type.String()),
  secret: Type.String(),
  pseudonymization_id: Type.String({ description: 'Badge code used by lead scanning (read-only)' }),
  voucher: Nullable(Type.Integer()),
  subevent: Type.Null(),
  addon_to: Type.Null(),
  answers: Type.Array(OrderAnswerSchema)
})
export type OrderPositionBody = Static<typeof OrderPositionSchema>

export const OrderSchema = Type.Object({
  code: Type.String(),
  status: Type.String({ description: 'n pending, p paid, e expired, c canceled' }),
  event: Type.String({ description: 'Event slug' }),
  email: Nullable(Type.String()),
  locale: Type.String(),
  datetime: Type.String(),
  total: Type.String(),
  positions: Type.Array(OrderPositionSchema)
})
export type OrderBody = Static<typeof OrderSchema>

export const OrderAnswerCreateSchema = Type.Object({
  question_identifier: Type.String({ minLength: 1, maxLength: 190 }),
  question: Type.Optional(Type.String({ maxLength: 10000 })),
  answer: Type.String({ maxLength: 10000 })
})

export const OrderPositionCreateSchema = Type.Object({
  positionid: Type.Optional(Type.Integer({ minimum: 1 })),
  item: Type.Integer(),
  // Variations, event series and add-ons do not exist here: anything but null is refused.
  variation: Type.Optional(Type.Unknown()),
  subevent: Type.Optional(Type.Unknown()),
  addon_to: Type.Optional(Type.Unknown()),
  price: Type.Optional(Nullable(DecimalInput)),
  attendee_name: OptionalText(255),
  attendee_name_parts: Type.Optional(NameParts),
  attendee_email: Type.Optional(Nullable(Email)),
  company: OptionalText(255),
  street: OptionalText(1000),
  zipcode: OptionalText(30),
  city: OptionalText(255),
  country: Type.Optional(Nullable(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code' }))),
  secret: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  voucher: Type.Optional(Nullable(Type.Union([Type.Integer(), Type.String({ minLength: 1, maxLength: 255 })], {
    description: 'Voucher id (a string is taken as a voucher code, as pretix does)'
  }))),
  voucher_code: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  answers: Type.Optional(Type.Array(OrderAnswerCreateSchema))
})
export type OrderPositionCreate = Static<typeof OrderPositionCreateSchema>

export const OrderCreateSchema = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('n'), Type.Literal('p')])),
  email: Type.Optional(Nullable(Email)),
  locale: Type.Optional(OrderLocale),
  datetime: Type.Optional(DateTimeString),
  positions: Type.Array(OrderPositionCreateSchema, { minItems: 1 })
})
export type OrderCreate = Static<typeof OrderCreateSchema>

export const OrderCodeParams = Type.Object({
  organizer: Type.String(),
  event: Type.String(),
  code: Type.String({ maxLength: 16 })
})

/**
 * The attendee's display name from name parts (scheme `salutation_title_given_family`): title,
 * given and family name joined by spaces, the salutation left out; a plain name stored as
 * `_legacy` (or `full_name`) when there are no such parts. Null when nothing is left.
 */
export function attendeeNameFromParts (parts: Record<string, unknown> | null | undefined): string | null {
  const part = (key: string) => {
    const value = parts?.[key]
    return typeof value === 'string' ? value.trim() : ''
  }
  const name = ['title', 'given_name', 'family_name'].map(part).filter((v) => v !== '').join(' ')
  if (name !== '') return name
  const plain = part('_legacy') || part('full_name')
  return plain !== '' ? plain : null
}

/** An order position row as stored (structurally: the db package's OrderPosition). */
export interface OrderPositionRecord {
  id: number
  positionid: number
  item_id: number
  price: string
  attendee_name: string | null
  attendee_name_parts: Record<string, string>
  attendee_email: string | null
  company: string | null
  street: string | null
  zipcode: string | null
  city: string | null
  country: string | null
  secret: string
  pseudonymization_id: string
  voucher_id: number | null
  answers: ReadonlyArray<{ question_identifier: string, question: string, answer: string }>
}

export interface OrderRecord {
  code: string
  status: string
  email: string | null
  locale: string
  datetime: Date | string
  total: string
}

/** One position in pretix's wire format; `orderCode` is the code of the order it belongs to. */
export function serializeOrderPosition (position: OrderPositionRecord, orderCode: string): OrderPositionBody {
  return {
    id: position.id,
    order: orderCode,
    positionid: position.positionid,
    item: position.item_id,
    variation: null,
    price: position.price,
    attendee_name: position.attendee_name,
    attendee_name_parts: position.attendee_name_parts ?? {},
    attendee_email: position.attendee_email,
    company: position.company,
    street: position.street,
    zipcode: position.zipcode,
    city: position.city,
    country: position.country,
    secret: position.secret,
    pseudonymization_id: position.pseudonymization_id,
    voucher: position.voucher_id,
    subevent: null,
    addon_to: null,
    answers: (position.answers ?? []).map((a) => ({ question_identifier: a.question_identifier, question: a.question, answer: a.answer }))
  }
}

/** An order with its positions (in positionid order) in pretix's wire format. */
export function serializeOrder (order: OrderRecord, eventSlug: string, positions: readonly OrderPositionRecord[]): OrderBody {
  return {
    code: order.code,
    status: order.status,
    event: eventSlug,
    email: order.email,
    locale: order.locale,
    datetime: isoDateTime(order.datetime),
    total: order.total,
    positions: positions.map((p) => serializeOrderPosition(p, order.code))
  }
}

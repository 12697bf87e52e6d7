import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, DecimalInput, Nullable } from './common.js'

// pretix's order resource, the subset this system owns (contract section 5).

const NameParts = Type.Record(Type.String(), Type.String(), { description: 'Name parts, e.g. {"given_name": "Cave", "family_name": "Johnson"}' })
const Email = Type.String({ format: 'email', maxLength: 254 })
const OrderLocale = Type.String({ pattern: '^[a-z]{2}(-[a-zA-Z]{2,8})?$', maxLength: 16 })
const OptionalText = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })))

/** pretix's order states: n pending, p paid, e expired, c canceled. */
export const ORDER_STATUSES = ['n', 'p', 'e', 'c'] as const
export type OrderStatus = typeof ORDER_STATUSES[number]

export const OrderAnswerSchema = Type.Object({
  question_identifier: Type.String(),
  question: Type.String({ description: 'The question text, stored with the answer' }),
  answer: Type.String()
})
/** An answer as sent, stored (`order_positions.answers`) and shown. */
export type Answer = Static<typeof OrderAnswerSchema>

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
  status: Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status)), { description: 'n pending, p paid, e expired, c canceled' }),
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

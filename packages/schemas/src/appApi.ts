import { Type, type Static } from '@sinclair/typebox'
import { AttendeeField } from './attendeeFields.js'
import { DateTimeString, I18nString, Nullable } from './common.js'

// The App API the pretixLEAD app speaks (the seed document's "App API" part).

export const AppProfileSchema = Type.Object({
  name: Type.String(),
  booth: Nullable(Type.String()),
  event: Type.Object({
    name: I18nString,
    end_date: DateTimeString,
    slug: Type.String(),
    imprint_url: Nullable(Type.String()),
    privacy_url: Nullable(Type.String()),
    help_url: Nullable(Type.String()),
    terms_url: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
    organizer: Type.String()
  }),
  notes: Type.Boolean(),
  tags: Type.Array(Type.String()),
  scan_types: Type.Array(Type.Object({ key: Type.String(), label: Type.String() }))
})
export type AppProfile = Static<typeof AppProfileSchema>

export const LeadUploadSchema = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 255 }),
  scanned: DateTimeString,
  scan_type: Type.Literal('lead'),
  rating: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 5 }))),
  tags: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }))),
  notes: Type.Optional(Type.String({ maxLength: 10000 })),
  device_name: Type.Optional(Nullable(Type.String({ maxLength: 190 }))),
  device_uuid: Type.Optional(Nullable(Type.String({ format: 'uuid' })))
})
export type LeadUpload = Static<typeof LeadUploadSchema>

export const AppLeadSchema = Type.Object({
  attendee: Type.Object({ fields: Type.Array(AttendeeField) }),
  rating: Nullable(Type.Integer()),
  tags: Type.Array(Type.String()),
  notes: Type.String(),
  device_name: Nullable(Type.String()),
  device_uuid: Nullable(Type.String())
})
export type AppLead = Static<typeof AppLeadSchema>

export const AppVoucherSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  max_usages: Type.Integer(),
  redeemed: Type.Integer(),
  valid_until: Nullable(DateTimeString),
  subevent: Nullable(Type.String()),
  tag: Type.String(),
  comment: Type.String(),
  items: Nullable(Type.Array(Type.String())),
  price_mode: Type.String(),
  value: Nullable(Type.String()),
  redemptions: Type.Array(Type.Object({
    attendee_fields: Type.Array(AttendeeField),
    redemption_date: Type.String({ format: 'date' }),
    subevent: Nullable(Type.String())
  }))
})
export type AppVoucher = Static<typeof AppVoucherSchema>

import { Type, type Static } from '@sinclair/typebox'
import { IdParam, Nullable, ObjectId } from './common.js'
import { VoucherSchema } from './vouchers.js'

const Locale = Type.String({ pattern: '^[a-z]{2}(-[a-zA-Z]{2,10})?$', maxLength: 16, description: 'Locale for communication with the exhibitor, e.g. de' })
const NameParts = Type.Record(Type.String({ maxLength: 50 }), Type.String({ maxLength: 255 }), {
  description: 'Name parts in the scheme salutation_title_given_family',
  examples: [{ _scheme: 'salutation_title_given_family', salutation: '', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' }]
})

export const ExhibitorSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  internal_id: Nullable(Type.String()),
  contact_name: Nullable(Type.String()),
  contact_name_parts: Type.Record(Type.String(), Type.String()),
  contact_email: Nullable(Type.String()),
  contact_cc_email: Nullable(Type.String()),
  booth: Nullable(Type.String()),
  locale: Type.String(),
  access_code: Type.String({ description: 'Full access for the exhibitor (read-only)' }),
  lead_scanning_access_code: Type.String({ description: 'Lead scanning only (read-only)' }),
  lead_scanning_scope_by_device: Type.Boolean(),
  allow_lead_scanning: Type.Boolean(),
  allow_lead_access: Type.Boolean(),
  allow_voucher_access: Type.Boolean(),
  comment: Type.String(),
  exhibitor_tags: Type.Array(Type.String())
}, { title: 'Exhibitor' })
export type ExhibitorBody = Static<typeof ExhibitorSchema>

// Every writable field; read-only ones (id, access codes) may be sent and are ignored.
const writable = {
  name: Type.String({ maxLength: 190 }),
  internal_id: Nullable(Type.String({ maxLength: 255 })),
  contact_name: Nullable(Type.String({ maxLength: 255 })),
  contact_name_parts: Nullable(NameParts),
  contact_email: Nullable(Type.String({ maxLength: 254 })),
  contact_cc_email: Nullable(Type.String({ maxLength: 2000 })),
  booth: Nullable(Type.String({ maxLength: 100 })),
  locale: Locale,
  lead_scanning_scope_by_device: Type.Boolean(),
  allow_lead_scanning: Type.Boolean(),
  allow_lead_access: Type.Boolean(),
  allow_voucher_access: Type.Boolean(),
  comment: Type.String({ maxLength: 100000 }),
  exhibitor_tags: Type.Array(Type.String(), { maxItems: 1000 })
}

/** POST and PUT: `name` is required, everything else falls back to its default. */
const { name, ...optional } = writable
export const ExhibitorWriteSchema = Type.Composite([Type.Object({ name }), Type.Partial(Type.Object(optional))], {
  examples: [{
    name: 'Aperture Science',
    contact_name_parts: { _scheme: 'salutation_title_given_family', family_name: 'Johnson', given_name: 'Cave', salutation: '', title: 'Dr' },
    contact_email: 'johnson@as.example.org',
    booth: 'A2',
    locale: 'de',
    exhibitor_tags: ['Gold Sponsor']
  }]
})
export type ExhibitorWrite = Static<typeof ExhibitorWriteSchema>

/** PATCH: only what is sent changes. */
export const ExhibitorPatchSchema = Type.Partial(Type.Object(writable))
export type ExhibitorPatch = Static<typeof ExhibitorPatchSchema>

export const ExhibitorParams = Type.Object({ organizer: Type.String(), event: Type.String(), id: IdParam })

const VoucherKey = {
  id: Type.Optional(ObjectId),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  exhibitor_comment: Type.Optional(Nullable(Type.String({ maxLength: 100000 })))
}

/** `vouchers/attach/`: the voucher's `id` or its `code`, exactly one of them. */
export const VoucherAttachSchema = Type.Object(VoucherKey, {
  examples: [{ id: 15, exhibitor_comment: 'Free ticket' }, { code: '43K6LKM37FBVR2YG', exhibitor_comment: 'Free ticket' }]
})
export type VoucherAttach = Static<typeof VoucherAttachSchema>

export const MAX_BULK_ATTACH = 10000

/** `vouchers/bulk_attach/`: up to 10,000 entries, all keyed by `id` or all by `code`. */
export const VoucherBulkAttachSchema = Type.Array(Type.Object(VoucherKey), {
  description: `At most ${MAX_BULK_ATTACH} entries, all using the same key field`
})
export type VoucherBulkAttach = Static<typeof VoucherBulkAttachSchema>

/** attach and bulk_attach answer an empty object. */
export const VoucherAttachResponse = Type.Object({})

/** An exhibitor's voucher: the full voucher resource plus the comment shown to the exhibitor. */
export const ExhibitorVoucherSchema = Type.Object({
  ...VoucherSchema.properties,
  exhibitor_comment: Type.String({ description: 'Shown to the exhibitor; set through attach' })
}, { title: 'ExhibitorVoucher' })
export type ExhibitorVoucherBody = Static<typeof ExhibitorVoucherSchema>

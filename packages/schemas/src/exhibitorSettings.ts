import { Type, type Static } from '@sinclair/typebox'
import { Nullable } from './common.js'

/** The attendee fields an event may show to exhibitors (contract section 8), besides `question:<identifier>`. */
export const LEAD_FIELD_IDS = [
  'attendee_name',
  'attendee_email',
  'company',
  'street',
  'zipcode',
  'city',
  'country',
  'order_code',
  'item'
] as const
export type LeadFieldId = typeof LEAD_FIELD_IDS[number]

export const DEFAULT_LEAD_FIELDS: readonly LeadFieldId[] = ['attendee_name', 'attendee_email', 'company']

/** Prefix of the lead field ids that show the answer to a question: `question:<identifier>`. */
export const QUESTION_FIELD_PREFIX = 'question:'

/** Whether `id` may be listed in `lead_fields`: a known id, or `question:` followed by a non-blank identifier. */
export function isLeadFieldId (id: string): boolean {
  if ((LEAD_FIELD_IDS as readonly string[]).includes(id)) return true
  return id.startsWith(QUESTION_FIELD_PREFIX) && id.slice(QUESTION_FIELD_PREFIX.length).trim() !== ''
}

export const EXHIBITOR_SETTINGS_URL_FIELDS = ['imprint_url', 'privacy_url', 'help_url', 'terms_url', 'logo_url'] as const
export type ExhibitorSettingsUrlField = typeof EXHIBITOR_SETTINGS_URL_FIELDS[number]

const LeadFieldsDescription = `Attendee field ids shown to exhibitors, in this order: ${LEAD_FIELD_IDS.join(', ')} or question:<identifier>`
const Url = (description: string) => Nullable(Type.String({ maxLength: 2000, description: `${description} (http or https URL)` }))

export const ExhibitorSettingsSchema = Type.Object({
  lead_fields: Type.Array(Type.String(), { description: LeadFieldsDescription, examples: [DEFAULT_LEAD_FIELDS] }),
  lead_tags: Type.Array(Type.String(), { description: 'Tags exhibitors may assign to their leads' }),
  allow_notes: Type.Boolean({ description: 'Exhibitors may write notes on leads' }),
  scan_secret: Type.Boolean({ description: 'Also accept the ticket secret as a scan code' }),
  imprint_url: Nullable(Type.String()),
  privacy_url: Nullable(Type.String()),
  help_url: Nullable(Type.String()),
  terms_url: Nullable(Type.String()),
  logo_url: Nullable(Type.String())
}, { title: 'ExhibitorSettings' })
export type ExhibitorSettingsBody = Static<typeof ExhibitorSettingsSchema>

export const ExhibitorSettingsUpdateSchema = Type.Partial(Type.Object({
  lead_fields: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { description: LeadFieldsDescription }),
  lead_tags: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { description: 'Tags exhibitors may assign to their leads' }),
  allow_notes: Type.Boolean(),
  scan_secret: Type.Boolean(),
  imprint_url: Url('Imprint page'),
  privacy_url: Url('Privacy policy'),
  help_url: Url('Help page'),
  terms_url: Url('Terms of service'),
  logo_url: Url('Logo image')
}))
export type ExhibitorSettingsUpdate = Static<typeof ExhibitorSettingsUpdateSchema>

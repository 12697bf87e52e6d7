import { Type, type Static } from '@sinclair/typebox'
import type { I18nText } from './common.js'
import { QUESTION_FIELD_PREFIX, type LeadFieldId } from './exhibitorSettings.js'
import type { Answer } from './orders.js'

// Attendee data shown to exhibitors (contract section 8). Pure functions of their input: the admin
// API, the App API and the enrichment worker all compute the same fields with them.

/** pretix's name scheme `salutation_title_given_family`, its parts in display order. */
export const NAME_SCHEME = 'salutation_title_given_family'
export const NAME_PARTS = ['salutation', 'title', 'given_name', 'family_name'] as const
type NamePart = typeof NAME_PARTS[number]

/** Name parts as stored: part → text, plus `_scheme`, or `_legacy` for a name given as one string. */
export type NameParts = Record<string, string>
export type NamePartsInput = Record<string, unknown> | null | undefined

function part (parts: NamePartsInput, key: string): string {
  const value = parts?.[key]
  return typeof value === 'string' ? value.trim() : ''
}

/**
 * The display name of a set of name parts: title, given name and family name joined by single
 * spaces, the salutation and empty parts left out ("Dr Cave Johnson"). Parts stored from a plain
 * name (`_legacy`) show that name. Null when nothing is left.
 */
export function displayName (parts: NamePartsInput): string | null {
  const name = ['title', 'given_name', 'family_name'].map((key) => part(parts, key)).filter((v) => v !== '').join(' ')
  if (name !== '') return name
  const legacy = part(parts, '_legacy') || part(parts, 'full_name')
  return legacy !== '' ? legacy : null
}

export const AttendeeFieldDetail = Type.Object({ label: Type.String(), value: Type.String() })
export const AttendeeField = Type.Object({
  id: Type.String(),
  label: Type.String(),
  value: Type.String(),
  details: Type.Array(AttendeeFieldDetail)
})
export type AttendeeField = Static<typeof AttendeeField>

/** An attendee's own details, as an order position stores them. */
export interface AttendeeDetails {
  attendee_email: string | null
  company: string | null
  street: string | null
  zipcode: string | null
  city: string | null
  country: string | null
}

/**
 * Everything the fields are computed from: one order position (its columns as stored) with its
 * order's code and email and its item's name. The rows the queries read for leads extend it.
 */
export interface AttendeeInput extends AttendeeDetails {
  attendee_name_parts: NameParts
  /** The stored display name, used when the parts give none. */
  attendee_name?: string | null
  answers: Answer[]
  order_code: string
  order_email: string | null
  item_name: I18nText
}

type Labels = Record<LeadFieldId | NamePart, string>

const LABELS: Record<string, Labels> = {
  en: {
    attendee_name: 'Name',
    attendee_email: 'Email',
    company: 'Company',
    street: 'Address',
    zipcode: 'ZIP code',
    city: 'City',
    country: 'Country',
    order_code: 'Order code',
    item: 'Product',
    salutation: 'Salutation',
    title: 'Title',
    given_name: 'Given name',
    family_name: 'Family name'
  },
  de: {
    attendee_name: 'Name',
    attendee_email: 'E-Mail',
    company: 'Firma',
    street: 'Adresse',
    zipcode: 'PLZ',
    city: 'Ort',
    country: 'Land',
    order_code: 'Bestellnummer',
    item: 'Produkt',
    salutation: 'Anrede',
    title: 'Titel',
    given_name: 'Vorname',
    family_name: 'Nachname'
  }
}

/** The language part of a locale ("de-formal", "de-AT" → "de"). */
function language (locale: string): string {
  return locale.toLowerCase().split(/[-_]/)[0]
}

function labelsFor (locale: string): Labels {
  return LABELS[locale.toLowerCase()] ?? LABELS[language(locale)] ?? LABELS.en
}

/** A multi-language text in the locale, falling back to its language, to English, then to any. */
export function localized (text: Record<string, string> | null | undefined, locale: string): string {
  if (!text) return ''
  const keys = Object.keys(text)
  const pick = text[locale] ?? text[language(locale)] ??
    text[keys.find((k) => language(k) === language(locale)) ?? ''] ?? text.en ?? text[keys[0]]
  return typeof pick === 'string' ? pick : ''
}

function text (value: unknown): string {
  if (typeof value === 'string') return value.trim()
  // Answers arrive as JSON: a number or a boolean is still an answer.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return ''
}

function nameField (input: AttendeeInput, labels: Labels): AttendeeField | null {
  const value = displayName(input.attendee_name_parts) ?? text(input.attendee_name)
  if (!value) return null
  const details = NAME_PARTS
    .map((key) => ({ label: labels[key], value: part(input.attendee_name_parts, key) }))
    .filter((d) => d.value !== '')
  return { id: 'attendee_name', label: labels.attendee_name, value, details }
}

function field (id: string, label: string, value: string): AttendeeField | null {
  return value === '' ? null : { id, label, value, details: [] }
}

function compute (id: string, input: AttendeeInput, labels: Labels, locale: string): AttendeeField | null {
  switch (id) {
    case 'attendee_name': return nameField(input, labels)
    case 'attendee_email': return field(id, labels.attendee_email, text(input.attendee_email) || text(input.order_email))
    case 'company': return field(id, labels.company, text(input.company))
    case 'street': return field(id, labels.street, text(input.street))
    case 'zipcode': return field(id, labels.zipcode, text(input.zipcode))
    case 'city': return field(id, labels.city, text(input.city))
    case 'country': return field(id, labels.country, text(input.country))
    case 'order_code': return field(id, labels.order_code, text(input.order_code))
    case 'item': return field(id, labels.item, localized(input.item_name, locale).trim())
  }
  if (id.startsWith(QUESTION_FIELD_PREFIX)) {
    const identifier = id.slice(QUESTION_FIELD_PREFIX.length)
    const answer = (input.answers ?? []).find((a) => a.question_identifier === identifier)
    if (!answer) return null
    return field(id, text(answer.question) || identifier, text(answer.answer))
  }
  return null
}

/**
 * The label of a lead field id in `locale` (a column header): the field's own label, or a
 * question's identifier (a question's text comes with each answer, not with the field id).
 */
export function attendeeFieldLabel (id: string, locale: string): string {
  const labels = labelsFor(locale) as Record<string, string>
  if (id.startsWith(QUESTION_FIELD_PREFIX)) return id.slice(QUESTION_FIELD_PREFIX.length)
  return labels[id] ?? id
}

/**
 * The attendee fields an exhibitor sees, in the order of `leadFieldIds` (the event's
 * `lead_fields`), labelled in `locale` (falling back to English). Empty fields and unknown ids are
 * left out.
 */
export function attendeeFields (input: AttendeeInput, leadFieldIds: readonly string[], locale: string): AttendeeField[] {
  const labels = labelsFor(locale)
  const fields: AttendeeField[] = []
  for (const id of leadFieldIds) {
    const computed = compute(id, input, labels, locale)
    if (computed) fields.push(computed)
  }
  return fields
}

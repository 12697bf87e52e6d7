import { attendeeFieldLabel, attendeeFields, type AttendeeInput } from '@showfloor/schemas'
import type { Cell, Column } from './table.js'

/** One lead as the exports write it: its attendee, the exhibitor's own data, and its times. */
export interface LeadSheetRow extends AttendeeInput {
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  /** When the device scanned it. */
  scanned: Date
  /** Its last change by upload or edit (not by enrichment). */
  last_changed: Date
}

const HEADERS = {
  en: { rating: 'Rating', tags: 'Tags', notes: 'Notes', device: 'Device', scanned: 'First scanned', changed: 'Last changed' },
  de: { rating: 'Bewertung', tags: 'Tags', notes: 'Notizen', device: 'Gerät', scanned: 'Erster Scan', changed: 'Zuletzt geändert' }
}

function headers (locale: string): typeof HEADERS.en {
  return locale.toLowerCase().startsWith('de') ? HEADERS.de : HEADERS.en
}

/**
 * The lead columns of the exports (contract section 11): the event's lead fields, labelled in
 * `locale`, then rating, tags, notes, device, first scanned, last changed.
 */
export function leadColumns (leadFieldIds: readonly string[], locale: string): Column[] {
  const h = headers(locale)
  return [
    ...leadFieldIds.map((id) => ({ header: attendeeFieldLabel(id, locale) })),
    { header: h.rating, kind: 'number' as const, width: 10 },
    { header: h.tags },
    { header: h.notes },
    { header: h.device },
    { header: h.scanned, kind: 'datetime' as const, width: 17 },
    { header: h.changed, kind: 'datetime' as const, width: 17 }
  ]
}

/** One lead's cells, in the order of `leadColumns` with the same arguments. */
export function leadCells (lead: LeadSheetRow, leadFieldIds: readonly string[], locale: string): Cell[] {
  const values = new Map(attendeeFields(lead, leadFieldIds, locale).map((field) => [field.id, field.value]))
  return [
    ...leadFieldIds.map((id) => values.get(id) ?? null),
    lead.rating,
    lead.tags.join(', '),
    lead.notes,
    lead.device_name,
    lead.scanned,
    lead.last_changed
  ]
}

import { attendeeFieldLabel, attendeeFields, type AttendeeField, type AttendeeInput } from '@showfloor/schemas'

const QUESTION = 'question:'

/**
 * The column labels of the event's lead fields (section 8, in the language): the shared labels;
 * a question by its text on the rows shown, else by its identifier.
 */
export function fieldLabels (leadFieldIds: readonly string[], locale: string, rows: readonly AttendeeInput[]): Array<{ id: string, label: string }> {
  return leadFieldIds.map((id) => {
    if (id.startsWith(QUESTION)) {
      for (const row of rows) {
        const found = attendeeFields(row, [id], locale)[0]
        if (found !== undefined) return { id, label: found.label }
      }
    }
    return { id, label: attendeeFieldLabel(id, locale) }
  })
}

/** The lead's attendee fields by id. */
export function fieldsById (row: AttendeeInput, leadFieldIds: readonly string[], locale: string): Map<string, AttendeeField> {
  return new Map(attendeeFields(row, leadFieldIds, locale).map((f) => [f.id, f]))
}

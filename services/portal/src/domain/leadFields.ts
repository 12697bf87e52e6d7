import { attendeeFields, type AttendeeField, type AttendeeInput } from '@showfloor/schemas'

// Every standard field filled in, so attendeeFields names each id in the language.
const SAMPLE: AttendeeInput = {
  attendee_name_parts: { given_name: 'x' },
  attendee_name: 'x',
  attendee_email: 'x',
  company: 'x',
  street: 'x',
  zipcode: 'x',
  city: 'x',
  country: 'x',
  answers: [],
  order_code: 'x',
  order_email: null,
  item_name: { en: 'x' }
}

const QUESTION = 'question:'

/**
 * The column labels of the event's lead fields (section 8, in the language): the standard ids
 * from the shared labels; a question by its text on the rows shown, else by its identifier.
 */
export function fieldLabels (leadFieldIds: readonly string[], locale: string, rows: readonly AttendeeInput[]): Array<{ id: string, label: string }> {
  const standard = new Map(attendeeFields(SAMPLE, leadFieldIds, locale).map((f) => [f.id, f.label]))
  return leadFieldIds.map((id) => {
    const known = standard.get(id)
    if (known !== undefined) return { id, label: known }
    if (!id.startsWith(QUESTION)) return null
    for (const row of rows) {
      const found = attendeeFields(row, [id], locale)[0]
      if (found !== undefined) return { id, label: found.label }
    }
    return { id, label: id.slice(QUESTION.length) }
  }).filter((c): c is { id: string, label: string } => c !== null)
}

/** The lead's attendee fields by id. */
export function fieldsById (row: AttendeeInput, leadFieldIds: readonly string[], locale: string): Map<string, AttendeeField> {
  return new Map(attendeeFields(row, leadFieldIds, locale).map((f) => [f.id, f]))
}

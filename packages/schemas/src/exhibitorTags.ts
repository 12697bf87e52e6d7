import { Type, type Static } from '@sinclair/typebox'

export const ExhibitorTagSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String()
}, { title: 'ExhibitorTag' })
export type ExhibitorTagBody = Static<typeof ExhibitorTagSchema>

export const ExhibitorTagCreateSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255, description: 'Unique within the event' })
})
export type ExhibitorTagCreate = Static<typeof ExhibitorTagCreateSchema>

// Path parameters are not coerced: the id stays a string of digits, anything else names no tag (404).
export const ExhibitorTagParams = Type.Object({ organizer: Type.String(), event: Type.String(), id: Type.String({ pattern: '^[0-9]{1,10}$' }) })

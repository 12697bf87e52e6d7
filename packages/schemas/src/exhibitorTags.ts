import { Type, type Static } from '@sinclair/typebox'
import { IdParam } from './common.js'

export const ExhibitorTagSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String()
}, { title: 'ExhibitorTag' })
export type ExhibitorTagBody = Static<typeof ExhibitorTagSchema>

export const ExhibitorTagCreateSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255, description: 'Unique within the event' })
})
export type ExhibitorTagCreate = Static<typeof ExhibitorTagCreateSchema>

export const ExhibitorTagParams = Type.Object({ organizer: Type.String(), event: Type.String(), id: IdParam })

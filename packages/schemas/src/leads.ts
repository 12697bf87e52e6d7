import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, Nullable } from './common.js'
import { AttendeeField } from './attendeeFields.js'

/** A scanned lead as the admin API lists it (`exhibitors/{id}/leads/`). */
export const ExhibitorLeadSchema = Type.Object({
  attendee_order: Type.String({ description: 'Order code of the scanned attendee' }),
  attendee_positionid: Type.Integer({ description: 'positionid of the attendee within that order' }),
  rating: Nullable(Type.Integer({ minimum: 0, maximum: 5 })),
  notes: Type.String(),
  tags: Type.Array(Type.String()),
  first_upload: DateTimeString,
  data: Type.Array(AttendeeField, { description: 'Attendee fields shown to the exhibitor, as configured for the event' }),
  device_name: Nullable(Type.String()),
  device_uuid: Nullable(Type.String())
}, { title: 'ExhibitorLead' })
export type ExhibitorLeadBody = Static<typeof ExhibitorLeadSchema>

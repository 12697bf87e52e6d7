import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Event } from '@showfloor/db'
import {
  EventCreateSchema, EventListQuery, EventParams, EventSchema, EventUpdateSchema, OrganizerParams, Paginated,
  errorResponses, eventListFilter, isoDateTime, type EventBody
} from '@showfloor/schemas'
import { invalid, paginate } from '@showfloor/http'
import { createEvent, deleteEvent, updateEvent } from '../domain/events.js'

export function serializeEvent (event: Event): EventBody {
  return {
    name: event.name,
    slug: event.slug,
    date_from: isoDateTime(event.date_from),
    date_to: isoDateTime(event.date_to),
    currency: event.currency,
    locale: event.locale,
    timezone: event.timezone,
    has_subevents: false
  }
}

const tags = ['Events']

export const events: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL

  app.get('/', {
    schema: { tags, summary: 'List events', params: OrganizerParams, querystring: EventListQuery, response: { 200: Paginated(EventSchema), ...errorResponses } }
  }, async (request) => {
    const team = request.auth.team
    const { filter, matchesNothing, errors } = eventListFilter(request.query)
    if (Object.keys(errors).length > 0) throw invalid(errors)
    const count = matchesNothing ? 0 : await queries.events.countEvents(app.db, team, filter)
    return await paginate(request, base(), count, async (page) =>
      (await queries.events.listEvents(app.db, team, page.size, page.offset, filter)).map(serializeEvent))
  })

  app.get('/:event/', {
    schema: { tags, summary: 'Event detail', params: EventParams, response: { 200: EventSchema, ...errorResponses } }
  }, async (request) => serializeEvent(request.event))

  app.post('/', {
    config: { permission: 'can_create_events' },
    schema: { tags, summary: 'Create an event', params: OrganizerParams, body: EventCreateSchema, response: { 201: EventSchema, ...errorResponses } }
  }, async (request, reply) => {
    const event = await createEvent(app.db, request.organizer.id, request.auth.team, request.body)
    return reply.code(201).send(serializeEvent(event))
  })

  app.patch('/:event/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Update an event', params: EventParams, body: EventUpdateSchema, response: { 200: EventSchema, ...errorResponses } }
  }, async (request) => {
    const updated = await updateEvent(app.db, request.event, request.body)
    return serializeEvent(updated)
  })

  app.delete('/:event/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Delete an event', params: EventParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    await deleteEvent(app.db, request.event.id)
    return await reply.code(204).send(null)
  })
}

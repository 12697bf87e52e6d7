import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Event } from '@showfloor/db'
import {
  EventCreateSchema, EventListQuery, EventParams, EventSchema, EventUpdateSchema, OrganizerParams, Paginated,
  errorResponses, eventListFilter, isoDateTime, type EventBody
} from '@showfloor/schemas'
import { fieldError, forbidden, invalid, paginate } from '@showfloor/http'

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

function validTimeZone (zone: string): boolean {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone !== ''
  } catch {
    return false
  }
}

function checkDates (dateFrom: string | Date, dateTo: string | Date | null | undefined) {
  if (dateTo != null && new Date(dateTo) < new Date(dateFrom)) {
    // pretix checks the dates together, so the error is not one field's.
    throw invalid({ non_field_errors: ['The event cannot end before it starts.'] })
  }
}

function checkCommon (body: { timezone?: string, has_subevents?: boolean }) {
  const errors: Record<string, string[]> = {}
  if (body.timezone !== undefined && !validTimeZone(body.timezone)) errors.timezone = [`"${body.timezone}" is not a valid choice.`]
  if (body.has_subevents === true) errors.has_subevents = ['Event series are not supported.']
  if (Object.keys(errors).length > 0) throw invalid(errors)
}

const tags = ['Events']

// pretix's words, advice included, though events here have no `live` switch to set.
const EVENT_HAS_ORDERS = 'The event can not be deleted as it already contains orders. Please set \'live\' to false to hide the event and take the shop offline instead.'

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
    const body = request.body
    checkCommon(body)
    checkDates(body.date_from, body.date_to)
    if (await queries.events.findEvent(app.db, request.organizer.id, body.slug)) {
      throw fieldError('slug', 'This slug has already been used for a different event.')
    }
    const event = await queries.events.createEvent(app.db, {
      organizer_id: request.organizer.id,
      slug: body.slug,
      name: JSON.stringify(body.name),
      date_from: body.date_from,
      date_to: body.date_to ?? null,
      currency: body.currency,
      locale: body.locale,
      timezone: body.timezone
    }, request.auth.team)
    return reply.code(201).send(serializeEvent(event))
  })

  app.patch('/:event/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Update an event', params: EventParams, body: EventUpdateSchema, response: { 200: EventSchema, ...errorResponses } }
  }, async (request) => {
    const body = request.body
    const event = request.event
    checkCommon(body)
    if (body.slug !== undefined && body.slug !== event.slug) throw fieldError('slug', 'The event slug cannot be changed.')
    checkDates(body.date_from ?? event.date_from, body.date_to === undefined ? event.date_to : body.date_to)
    const updated = await queries.events.updateEvent(app.db, event.id, {
      ...(body.name !== undefined && { name: JSON.stringify(body.name) }),
      ...(body.date_from !== undefined && { date_from: body.date_from }),
      ...(body.date_to !== undefined && { date_to: body.date_to }),
      ...(body.currency !== undefined && { currency: body.currency }),
      ...(body.locale !== undefined && { locale: body.locale }),
      ...(body.timezone !== undefined && { timezone: body.timezone })
    })
    return serializeEvent(updated)
  })

  app.delete('/:event/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Delete an event', params: EventParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    if (await queries.events.eventHasOrders(app.db, request.event.id)) {
      throw forbidden(EVENT_HAS_ORDERS)
    }
    await queries.events.deleteEvent(app.db, request.event.id)
    return await reply.code(204).send(null)
  })
}

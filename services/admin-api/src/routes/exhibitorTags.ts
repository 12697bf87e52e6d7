import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type ExhibitorTag } from '@showfloor/db'
import {
  EventParams, ExhibitorTagCreateSchema, ExhibitorTagParams, ExhibitorTagSchema, PageQuery, Paginated,
  errorResponses, type ExhibitorTagBody
} from '@showfloor/schemas'
import { fieldError, notFound, paginate } from '@showfloor/http'

export function serializeExhibitorTag (tag: ExhibitorTag): ExhibitorTagBody {
  return { id: tag.id, name: tag.name }
}

const tags = ['Exhibitor tags']

export const exhibitorTags: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    schema: { tags, summary: 'List exhibitor tags', params: EventParams, querystring: PageQuery, response: { 200: Paginated(ExhibitorTagSchema), ...errorResponses } }
  }, async (request) => {
    const eventId = request.event.id
    const count = await queries.exhibitorTags.countTags(app.db, eventId)
    return await paginate(request, app.config.PUBLIC_ADMIN_URL, count, async (page) =>
      (await queries.exhibitorTags.listTags(app.db, eventId, page.size, page.offset)).map(serializeExhibitorTag))
  })

  app.get('/:id/', {
    schema: { tags, summary: 'Exhibitor tag detail', params: ExhibitorTagParams, response: { 200: ExhibitorTagSchema, ...errorResponses } }
  }, async (request) => {
    const tag = await queries.exhibitorTags.findTag(app.db, request.event.id, request.params.id)
    if (!tag) throw notFound()
    return serializeExhibitorTag(tag)
  })

  app.post('/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Create an exhibitor tag', params: EventParams, body: ExhibitorTagCreateSchema, response: { 201: ExhibitorTagSchema, ...errorResponses } }
  }, async (request, reply) => {
    // Surrounding spaces would make look-alike names that exhibitors' `exhibitor_tags` cannot tell apart.
    const name = request.body.name.trim()
    if (name === '') throw fieldError('name', 'This field may not be blank.')
    // PostgreSQL cannot store NUL in text.
    const tag = await queries.exhibitorTags.createTag(app.db, request.event.id, name)
    if (!tag) throw fieldError('name', 'An exhibitor tag with this name already exists.')
    return reply.code(201).send(serializeExhibitorTag(tag))
  })

  app.delete('/:id/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Delete an exhibitor tag', params: ExhibitorTagParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    if (!(await queries.exhibitorTags.deleteTag(app.db, request.event.id, request.params.id))) throw notFound()
    return await reply.code(204).send(null)
  })
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type WebhookCall } from '@showfloor/db'
import {
  OrganizerParams, PageQuery, Paginated, WebhookCallSchema, WebhookCreateSchema, WebhookCreatedSchema, WebhookParams,
  WebhookPatchSchema, WebhookSchema, WebhookSecretSchema, errorResponses, isoDateTime,
  type WebhookBody, type WebhookCallBody
} from '@showfloor/schemas'
import { notFound, paginate } from '@showfloor/http'
import { createWebhook, rotateSecret, updateWebhook } from '../domain/webhooks.js'

type WebhookWithEvents = queries.webhooks.WebhookWithEvents

export function serializeWebhook (webhook: WebhookWithEvents): WebhookBody {
  return {
    id: webhook.id,
    enabled: webhook.enabled,
    target_url: webhook.target_url,
    all_events: webhook.all_events,
    limit_events: webhook.limit_events,
    action_types: webhook.action_types,
    comment: webhook.comment
  }
}

export function serializeCall (call: WebhookCall): WebhookCallBody {
  return {
    datetime: isoDateTime(call.datetime),
    action_type: call.action_type,
    notification_id: call.notification_id,
    is_retry: call.is_retry,
    execution_time: call.execution_time,
    return_code: call.return_code,
    success: call.success,
    payload: call.payload,
    response_body: call.response_body
  }
}

const tags = ['Webhooks']

/** pretix's webhook resource, organizer-wide (contract section 13); every route needs can_change_organizer_settings. */
export const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  const config = { permission: 'can_change_organizer_settings' as const }
  const allowPrivate = () => app.config.WEBHOOK_ALLOW_PRIVATE

  async function load (organizerId: number, id: number): Promise<WebhookWithEvents> {
    const webhook = await queries.webhooks.findWebhook(app.db, organizerId, id)
    if (!webhook) throw notFound()
    return webhook
  }

  app.get('/', {
    config,
    schema: { tags, summary: 'List webhooks', params: OrganizerParams, querystring: PageQuery, response: { 200: Paginated(WebhookSchema), ...errorResponses } }
  }, async (request) => {
    const organizerId = request.organizer.id
    const count = await queries.webhooks.countWebhooks(app.db, organizerId)
    return await paginate(request, app.config.PUBLIC_ADMIN_URL, count, async (page) =>
      (await queries.webhooks.listWebhooks(app.db, organizerId, page.size, page.offset)).map(serializeWebhook))
  })

  app.get('/:id/', {
    config,
    schema: { tags, summary: 'Webhook detail', params: WebhookParams, response: { 200: WebhookSchema, ...errorResponses } }
  }, async (request) => serializeWebhook(await load(request.organizer.id, request.params.id)))

  app.post('/', {
    config,
    schema: {
      tags,
      summary: 'Create a webhook',
      description: 'The answer carries the signing secret (Standard Webhooks, `whsec_...`); it is shown only this once.',
      params: OrganizerParams,
      body: WebhookCreateSchema,
      response: { 201: WebhookCreatedSchema, ...errorResponses }
    }
  }, async (request, reply) => {
    const created = await createWebhook(app.db, request.organizer.id, request.body, allowPrivate())
    return await reply.code(201).send({ ...serializeWebhook(created), secret: created.secret })
  })

  app.patch('/:id/', {
    config,
    schema: { tags, summary: 'Update a webhook', params: WebhookParams, body: WebhookPatchSchema, response: { 200: WebhookSchema, ...errorResponses } }
  }, async (request) => {
    const webhook = await load(request.organizer.id, request.params.id)
    return serializeWebhook(await updateWebhook(app.db, request.organizer.id, webhook, request.body, allowPrivate()))
  })

  app.delete('/:id/', {
    config,
    schema: { tags, summary: 'Delete a webhook with its delivery log', params: WebhookParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    if (!(await queries.webhooks.deleteWebhook(app.db, request.organizer.id, request.params.id))) throw notFound()
    return await reply.code(204).send(null)
  })

  app.post('/:id/rotate_secret/', {
    config,
    schema: {
      tags,
      summary: 'Replace the signing secret',
      description: 'The old secret stops signing at once.',
      params: WebhookParams,
      response: { 200: WebhookSecretSchema, ...errorResponses }
    }
  }, async (request) => {
    const secret = await rotateSecret(app.db, request.organizer.id, request.params.id)
    if (secret === undefined) throw notFound()
    return { secret }
  })

  app.get('/:id/calls/', {
    config,
    schema: {
      tags,
      summary: 'Delivery log',
      description: 'Every delivery attempt of the last 30 days, newest first.',
      params: WebhookParams,
      querystring: PageQuery,
      response: { 200: Paginated(WebhookCallSchema), ...errorResponses }
    }
  }, async (request) => {
    const webhook = await load(request.organizer.id, request.params.id)
    const count = await queries.webhooks.countCalls(app.db, webhook.id)
    return await paginate(request, app.config.PUBLIC_ADMIN_URL, count, async (page) =>
      (await queries.webhooks.listCalls(app.db, webhook.id, page.size, page.offset)).map(serializeCall))
  })
}

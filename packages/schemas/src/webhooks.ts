import { Type, type Static } from '@sinclair/typebox'
import { IdParam, Nullable } from './common.js'

// pretix's webhook resource (contract section 13), plus what pretix lacks: a signing secret and
// the delivery log.

/** Every notification a webhook may ask for; anything else in `action_types` is a 400. */
export const WEBHOOK_ACTION_TYPES = [
  'pretix.event.order.placed',
  'pretix.event.order.canceled',
  'showfloor.exhibitor.created',
  'showfloor.exhibitor.changed',
  'showfloor.exhibitor.deleted',
  'showfloor.lead.created',
  'showfloor.lead.updated',
  'showfloor.lead.deleted'
] as const
export type WebhookActionType = typeof WEBHOOK_ACTION_TYPES[number]

export const LEAD_ACTION_TYPES: readonly WebhookActionType[] = ['showfloor.lead.created', 'showfloor.lead.updated']

export const WebhookSchema = Type.Object({
  id: Type.Integer(),
  enabled: Type.Boolean(),
  target_url: Type.String(),
  all_events: Type.Boolean(),
  limit_events: Type.Array(Type.String(), { description: 'Event slugs; used when all_events is false' }),
  action_types: Type.Array(Type.String()),
  comment: Nullable(Type.String())
}, { title: 'Webhook' })
export type WebhookBody = Static<typeof WebhookSchema>

/** The created webhook: the only answer that shows its signing secret. */
export const WebhookCreatedSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.String({ description: 'whsec_ and the base64 of 32 random bytes; shown only once' })
}, { title: 'WebhookCreated' })
export type WebhookCreatedBody = Static<typeof WebhookCreatedSchema>

const writable = {
  enabled: Type.Boolean(),
  target_url: Type.String({ minLength: 1, maxLength: 2000, description: 'http or https' }),
  all_events: Type.Boolean(),
  limit_events: Type.Array(Type.String({ maxLength: 50 }), { maxItems: 1000 }),
  action_types: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100, description: WEBHOOK_ACTION_TYPES.join(', ') }),
  comment: Nullable(Type.String({ maxLength: 10000 }))
}

const { target_url: targetUrl, action_types: actionTypes, ...optional } = writable
export const WebhookCreateSchema = Type.Composite([
  Type.Object({ target_url: targetUrl, action_types: actionTypes }),
  Type.Partial(Type.Object(optional))
], {
  examples: [{ enabled: true, target_url: 'https://crm.example.org/showfloor/', all_events: true, limit_events: [], action_types: ['showfloor.lead.created'], comment: null }]
})
export type WebhookCreate = Static<typeof WebhookCreateSchema>

export const WebhookPatchSchema = Type.Partial(Type.Object(writable))
export type WebhookPatch = Static<typeof WebhookPatchSchema>

export const WebhookParams = Type.Object({ organizer: Type.String(), id: IdParam })

export const WebhookSecretSchema = Type.Object({ secret: Type.String() }, { title: 'WebhookSecret' })

/** One delivery attempt, as `webhooks/{id}/calls/` lists it. */
export const WebhookCallSchema = Type.Object({
  datetime: Type.String({ format: 'date-time' }),
  action_type: Type.String(),
  notification_id: Type.String({ format: 'uuid' }),
  is_retry: Type.Boolean(),
  execution_time: Type.Number({ description: 'Seconds' }),
  return_code: Nullable(Type.Integer({ description: 'null when the receiver did not answer' })),
  success: Type.Boolean(),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The JSON object sent' }),
  response_body: Nullable(Type.String({ description: 'The first 1,024 characters' }))
}, { title: 'WebhookCall' })
export type WebhookCallBody = Static<typeof WebhookCallSchema>

/**
 * A notification as the change that causes it writes it to the outbox: the JSON body receivers get
 * is this without `created_at` (the time of the change, for the delivery lag and the 3-day limit).
 */
export const WebhookNotification = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
  organizer: Type.String(),
  event: Type.String(),
  action: Type.Union(WEBHOOK_ACTION_TYPES.map((a) => Type.Literal(a))),
  created_at: Type.String(),
  code: Type.Optional(Type.String()),
  exhibitor: Type.Optional(Type.Integer()),
  attendee_order: Type.Optional(Type.String()),
  attendee_positionid: Type.Optional(Type.Integer())
})
export type WebhookNotification = Static<typeof WebhookNotification>

/** The body of a delivery: `{"notification_id", "organizer", "event", "action", ...ids}`. */
export function webhookPayload (n: WebhookNotification): Record<string, unknown> {
  const { id, created_at: _createdAt, ...rest } = n
  return { notification_id: id, ...rest }
}

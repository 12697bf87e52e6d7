import { randomBytes } from 'node:crypto'
import { queries, type Db } from '@showfloor/db'
import { WEBHOOK_ACTION_TYPES, type WebhookCreate, type WebhookPatch } from '@showfloor/schemas'
import { invalid, refusedAddresses, targetUrlProblem } from '@showfloor/http'

// The webhook rules: known action types, http(s) targets that are not on private networks (unless
// allowed), events of the organizer, and a signing secret shown once.

type WebhookWithEvents = queries.webhooks.WebhookWithEvents

/** `whsec_` and the base64 of 32 random bytes, the Standard Webhooks form of a secret. */
export function generateSecret (): string {
  return 'whsec_' + randomBytes(32).toString('base64')
}

const KNOWN: ReadonlySet<string> = new Set(WEBHOOK_ACTION_TYPES)

/** Checks a body and turns it into column values and event ids (undefined: the events stay). */
async function columnsFrom (db: Db, organizerId: number, body: WebhookPatch, allowPrivate: boolean): Promise<{ values: queries.webhooks.WebhookValues, eventIds: number[] | undefined }> {
  const errors: Record<string, string[]> = {}
  const values: queries.webhooks.WebhookValues = {}

  if (body.target_url !== undefined) {
    const target = body.target_url.trim()
    const problem = targetUrlProblem(target)
    if (problem !== null) {
      errors.target_url = [problem]
    } else if (!allowPrivate) {
      const refused = await refusedAddresses(target)
      if (refused.length > 0) errors.target_url = [`The target resolves to ${refused.join(', ')}: webhooks may only call public addresses.`]
    }
    values.target_url = target
  }
  if (body.action_types !== undefined) {
    const unknown = [...new Set(body.action_types.filter((a) => !KNOWN.has(a)))]
    if (unknown.length > 0) errors.action_types = unknown.map((a) => `"${a}" is not a valid choice.`)
    values.action_types = [...new Set(body.action_types)]
  }
  if (body.enabled !== undefined) values.enabled = body.enabled
  if (body.all_events !== undefined) values.all_events = body.all_events
  if (body.comment !== undefined) values.comment = body.comment

  let eventIds: number[] | undefined
  if (body.limit_events !== undefined) {
    const found = await queries.webhooks.findEventsBySlug(db, organizerId, body.limit_events)
    const bySlug = new Map(found.map((e) => [e.slug, e.id]))
    const unknown = [...new Set(body.limit_events.filter((slug) => !bySlug.has(slug)))]
    if (unknown.length > 0) errors.limit_events = unknown.map((slug) => `Object with slug=${slug} does not exist.`)
    eventIds = body.limit_events.filter((slug) => bySlug.has(slug)).map((slug) => bySlug.get(slug)!)
  }

  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { values, eventIds }
}

/** POST: the webhook and its secret, which is shown this once. */
export async function createWebhook (db: Db, organizerId: number, body: WebhookCreate, allowPrivate: boolean): Promise<WebhookWithEvents> {
  const { values, eventIds } = await columnsFrom(db, organizerId, body, allowPrivate)
  return await queries.webhooks.createWebhook(db, organizerId, { ...values, target_url: values.target_url!, secret: generateSecret() }, eventIds ?? [])
}

/** PATCH: only what is sent changes, in one transaction. */
export async function updateWebhook (db: Db, organizerId: number, webhook: WebhookWithEvents, body: WebhookPatch, allowPrivate: boolean): Promise<WebhookWithEvents> {
  const { values, eventIds } = await columnsFrom(db, organizerId, body, allowPrivate)
  await db.transaction().execute(async (trx) => {
    await queries.webhooks.updateWebhook(trx, webhook.id, values, eventIds)
  })
  return (await queries.webhooks.findWebhook(db, organizerId, webhook.id))!
}

/** A new secret; the old one stops signing at once (every delivery attempt reads the current one). */
export async function rotateSecret (db: Db, organizerId: number, id: number): Promise<string | undefined> {
  const secret = generateSecret()
  return await queries.webhooks.rotateSecret(db, organizerId, id, secret) ? secret : undefined
}

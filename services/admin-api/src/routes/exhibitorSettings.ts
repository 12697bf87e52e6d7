import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries, type ExhibitorSettings } from '@showfloor/db'
import {
  EXHIBITOR_SETTINGS_URL_FIELDS, EventParams, ExhibitorSettingsSchema, ExhibitorSettingsUpdateSchema,
  errorResponses, isLeadFieldId, type ExhibitorSettingsBody, type ExhibitorSettingsUpdate
} from '@showfloor/schemas'
import { invalid } from '@showfloor/http'

export function serializeExhibitorSettings (settings: ExhibitorSettings): ExhibitorSettingsBody {
  return {
    lead_fields: settings.lead_fields,
    lead_tags: settings.lead_tags,
    allow_notes: settings.allow_notes,
    scan_secret: settings.scan_secret,
    imprint_url: settings.imprint_url,
    privacy_url: settings.privacy_url,
    help_url: settings.help_url,
    terms_url: settings.terms_url,
    logo_url: settings.logo_url
  }
}

function isHttpUrl (value: string): boolean {
  if (/\s/.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

function duplicates (values: string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))]
}

/** What the schema cannot say: known field ids, no repeats, real http(s) URLs. All errors at once. */
function check (body: ExhibitorSettingsUpdate) {
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => { (errors[field] ??= []).push(message) }
  if (body.lead_fields !== undefined) {
    for (const id of body.lead_fields) if (!isLeadFieldId(id)) add('lead_fields', `"${id}" is not a valid choice.`)
    for (const id of duplicates(body.lead_fields)) add('lead_fields', `"${id}" is listed more than once.`)
  }
  if (body.lead_tags !== undefined) {
    if (body.lead_tags.some((tag) => tag.trim() === '')) add('lead_tags', 'This field may not be blank.')
    for (const tag of duplicates(body.lead_tags)) add('lead_tags', `"${tag}" is listed more than once.`)
  }
  for (const field of EXHIBITOR_SETTINGS_URL_FIELDS) {
    const value = body[field]
    if (typeof value === 'string' && !isHttpUrl(value)) add(field, 'Enter a valid URL.')
  }
  if (Object.keys(errors).length > 0) throw invalid(errors)
}

const tags = ['Exhibitor settings']

export const exhibitorSettings: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    schema: { tags, summary: 'Exhibitor settings of an event', params: EventParams, response: { 200: ExhibitorSettingsSchema, ...errorResponses } }
  }, async (request) => serializeExhibitorSettings(await queries.exhibitorSettings.getSettings(app.db, request.event.id)))

  app.patch('/', {
    config: { permission: 'can_change_event_settings' },
    schema: { tags, summary: 'Change exhibitor settings', params: EventParams, body: ExhibitorSettingsUpdateSchema, response: { 200: ExhibitorSettingsSchema, ...errorResponses } }
  }, async (request) => {
    const body = request.body
    check(body)
    const updated = await queries.exhibitorSettings.updateSettings(app.db, request.event.id, {
      ...(body.lead_fields !== undefined && { lead_fields: JSON.stringify(body.lead_fields) }),
      ...(body.lead_tags !== undefined && { lead_tags: JSON.stringify(body.lead_tags) }),
      ...(body.allow_notes !== undefined && { allow_notes: body.allow_notes }),
      ...(body.scan_secret !== undefined && { scan_secret: body.scan_secret }),
      ...Object.fromEntries(EXHIBITOR_SETTINGS_URL_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]))
    })
    return serializeExhibitorSettings(updated)
  })
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Db, type Event, type ExhibitorUpdate } from '@showfloor/db'
import {
  EventParams, ExhibitorLeadSchema, ExhibitorParams, ExhibitorPatchSchema, ExhibitorSchema, ExhibitorWriteSchema,
  PageQuery, Paginated, attendeeFields, displayName, errorResponses, isoDateTime,
  type ExhibitorBody, type ExhibitorLeadBody, type ExhibitorPatch
} from '@showfloor/schemas'
import { invalid, notFound, paginate, readPage } from '@showfloor/http'
import type { Permission } from '../plugins/auth.js'
import { exhibitorVouchers } from './exhibitors/vouchers.js'

type ExhibitorWithTags = queries.exhibitors.ExhibitorWithTags
type LeadRow = queries.leads.LeadRow

export function serializeExhibitor (exhibitor: ExhibitorWithTags): ExhibitorBody {
  return {
    id: exhibitor.id,
    name: exhibitor.name,
    internal_id: exhibitor.internal_id,
    contact_name: displayName(exhibitor.contact_name_parts),
    contact_name_parts: exhibitor.contact_name_parts,
    contact_email: exhibitor.contact_email,
    contact_cc_email: exhibitor.contact_cc_email,
    booth: exhibitor.booth,
    locale: exhibitor.locale,
    access_code: exhibitor.access_code,
    lead_scanning_access_code: exhibitor.lead_scanning_access_code,
    lead_scanning_scope_by_device: exhibitor.lead_scanning_scope_by_device,
    allow_lead_scanning: exhibitor.allow_lead_scanning,
    allow_lead_access: exhibitor.allow_lead_access,
    allow_voucher_access: exhibitor.allow_voucher_access,
    comment: exhibitor.comment,
    exhibitor_tags: exhibitor.exhibitor_tags
  }
}

/** A lead as the admin API lists it; `data` is computed now when the enrichment job has not run yet. */
export function serializeLead (lead: LeadRow, leadFields: readonly string[], locale: string): ExhibitorLeadBody {
  return {
    attendee_order: lead.order_code,
    attendee_positionid: lead.positionid,
    rating: lead.rating,
    notes: lead.notes,
    tags: lead.tags,
    first_upload: isoDateTime(lead.first_upload),
    data: lead.data ?? attendeeFields(lead, leadFields, locale),
    device_name: lead.device_name,
    device_uuid: lead.device_uuid
  }
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/
const INVALID_EMAIL = 'Enter a valid email address.'

const DEFAULTS = {
  internal_id: null,
  contact_email: null,
  contact_cc_email: null,
  booth: null,
  allow_lead_scanning: true,
  allow_lead_access: true,
  allow_voucher_access: true,
  lead_scanning_scope_by_device: false,
  comment: ''
} as const

function hasNameParts (parts: Record<string, string> | null | undefined): parts is Record<string, string> {
  return Object.entries(parts ?? {}).some(([key, value]) => key !== '_scheme' && value.trim() !== '')
}

/**
 * Checks a body and turns it into column values. `full` (POST, PUT) means fields not sent take
 * their defaults; otherwise (PATCH) only sent fields change. Tags are resolved by name in the event.
 */
async function columnsFrom (db: Db, event: Event, body: ExhibitorPatch, full: boolean): Promise<{ values: ExhibitorUpdate, tagIds: number[] | undefined }> {
  const errors: Record<string, string[]> = {}
  const values: ExhibitorUpdate = {}
  const sent = (key: keyof ExhibitorPatch) => body[key] !== undefined

  if (body.name !== undefined) {
    const name = body.name.trim()
    if (name === '') errors.name = ['This field may not be blank.']
    values.name = name
  }

  const legacyName = body.contact_name?.trim() ?? ''
  const parts = body.contact_name_parts
  // Both is a contradiction, unless the name is the one the parts give: a body read by GET and
  // sent back by PUT carries both, and must not be refused.
  if (legacyName !== '' && hasNameParts(parts) && legacyName !== displayName(parts)) {
    errors.contact_name = ['Do not specify contact_name if you specified contact_name_parts.']
  } else if (sent('contact_name') || sent('contact_name_parts')) {
    values.contact_name_parts = JSON.stringify(hasNameParts(parts) ? parts : legacyName !== '' ? { _legacy: legacyName } : (parts ?? {}))
  } else if (full) {
    values.contact_name_parts = '{}'
  }

  if (body.contact_email !== undefined) {
    const email = body.contact_email?.trim() ?? ''
    if (email !== '' && !EMAIL.test(email)) errors.contact_email = [INVALID_EMAIL]
    values.contact_email = email === '' ? null : email
  }
  if (body.contact_cc_email !== undefined) {
    const raw = body.contact_cc_email?.trim() ?? ''
    const emails = raw === '' ? [] : raw.split(',').map((e) => e.trim())
    const bad = emails.filter((e) => !EMAIL.test(e))
    if (bad.length > 0) errors.contact_cc_email = bad.map((e) => e === '' ? INVALID_EMAIL : `"${e}" is not a valid email address.`)
    values.contact_cc_email = emails.length === 0 ? null : emails.join(',')
  }

  for (const key of ['internal_id', 'booth', 'locale', 'comment', 'allow_lead_scanning', 'allow_lead_access', 'allow_voucher_access', 'lead_scanning_scope_by_device'] as const) {
    if (body[key] !== undefined) (values as Record<string, unknown>)[key] = body[key]
  }
  if (full) {
    for (const [key, value] of Object.entries(DEFAULTS)) {
      if (!(key in values)) (values as Record<string, unknown>)[key] = value
    }
    values.locale ??= event.locale
  }

  let tagIds: number[] | undefined
  if (body.exhibitor_tags !== undefined || full) {
    const names = body.exhibitor_tags ?? []
    const found = await queries.exhibitors.findTagsByName(db, event.id, names)
    const byName = new Map(found.map((t) => [t.name, t.id]))
    const unknown = [...new Set(names.filter((n) => !byName.has(n)))]
    if (unknown.length > 0) errors.exhibitor_tags = unknown.map((n) => `Object with name=${n} does not exist.`)
    tagIds = names.filter((n) => byName.has(n)).map((n) => byName.get(n)!)
  }

  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { values, tagIds }
}

const tags = ['Exhibitors']

export const exhibitors: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL
  // pretix lets either flag read exhibitors: order viewers see who scanned, settings editors manage them.
  const viewers = { permission: ['can_view_orders', 'can_change_event_settings'] as Permission[] }
  const editors = { permission: 'can_change_event_settings' as Permission }

  async function load (eventId: number, id: number): Promise<ExhibitorWithTags> {
    const exhibitor = await queries.exhibitors.findExhibitor(app.db, eventId, id)
    if (!exhibitor) throw notFound()
    return exhibitor
  }

  app.get('/', {
    config: viewers,
    schema: { tags, summary: 'List exhibitors', params: EventParams, querystring: PageQuery, response: { 200: Paginated(ExhibitorSchema), ...errorResponses } }
  }, async (request) => {
    const eventId = request.event.id
    const count = await queries.exhibitors.countExhibitors(app.db, eventId)
    return await paginate(request, base(), count, async (page) =>
      (await queries.exhibitors.listExhibitors(app.db, eventId, page.size, page.offset)).map(serializeExhibitor))
  })

  app.get('/:id/', {
    config: viewers,
    schema: { tags, summary: 'Exhibitor detail', params: ExhibitorParams, response: { 200: ExhibitorSchema, ...errorResponses } }
  }, async (request) => serializeExhibitor(await load(request.event.id, request.params.id)))

  app.post('/', {
    config: editors,
    schema: { tags, summary: 'Create an exhibitor', params: EventParams, body: ExhibitorWriteSchema, response: { 201: ExhibitorSchema, ...errorResponses } }
  }, async (request, reply) => {
    const event = request.event
    const { values, tagIds } = await columnsFrom(app.db, event, request.body, true)
    const created = await queries.exhibitors.createExhibitor(app.db, { ...values, name: values.name!, event_id: event.id }, tagIds ?? [])
    return await reply.code(201).send(serializeExhibitor(created))
  })

  app.put('/:id/', {
    config: editors,
    schema: { tags, summary: 'Replace an exhibitor (fields not sent are reset to their defaults)', params: ExhibitorParams, body: ExhibitorWriteSchema, response: { 200: ExhibitorSchema, ...errorResponses } }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    const { values, tagIds } = await columnsFrom(app.db, request.event, request.body, true)
    return serializeExhibitor(await queries.exhibitors.updateExhibitor(app.db, exhibitor, values, tagIds))
  })

  app.patch('/:id/', {
    config: editors,
    schema: { tags, summary: 'Update an exhibitor', params: ExhibitorParams, body: ExhibitorPatchSchema, response: { 200: ExhibitorSchema, ...errorResponses } }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    const { values, tagIds } = await columnsFrom(app.db, request.event, request.body, false)
    return serializeExhibitor(await queries.exhibitors.updateExhibitor(app.db, exhibitor, values, tagIds))
  })

  app.delete('/:id/', {
    config: editors,
    schema: { tags, summary: 'Delete an exhibitor with its leads and voucher links (the vouchers stay)', params: ExhibitorParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    const exhibitor = await load(request.event.id, request.params.id)
    await queries.exhibitors.deleteExhibitor(app.db, exhibitor.id)
    return await reply.code(204).send(null)
  })

  app.get('/:id/leads/', {
    config: { permission: 'can_view_orders' },
    schema: { tags, summary: 'List the leads an exhibitor scanned', params: ExhibitorParams, querystring: PageQuery, response: { 200: Paginated(ExhibitorLeadSchema), ...errorResponses } }
  }, async (request) => {
    const event = request.event
    const exhibitor = await load(event.id, request.params.id)
    // Count and page in parallel: with 100,000 leads each takes a few milliseconds (a count and a
    // deep offset over the index), and the answer should not wait for their sum.
    const page = readPage(request)
    const rows = queries.leads.listLeads(app.db, exhibitor.id, page.size, page.offset)
    rows.catch(() => {}) // a page past the end is answered without it; it must not fail unobserved
    const count = await queries.leads.countLeads(app.db, exhibitor.id)
    return await paginate(request, base(), count, async () => {
      const found = await rows
      // The settings are needed only for leads the enrichment job has not reached yet.
      const leadFields = found.some((r) => r.data === null)
        ? (await queries.exhibitorSettings.getSettings(app.db, event.id)).lead_fields
        : []
      return found.map((row) => serializeLead(row, leadFields, event.locale))
    })
  })

  await app.register(exhibitorVouchers, { load })
}

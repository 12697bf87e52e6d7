import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries } from '@showfloor/db'
import {
  EventParams, ExhibitorLeadSchema, ExhibitorParams, ExhibitorPatchSchema, ExhibitorSchema, ExhibitorWriteSchema,
  PageQuery, Paginated, attendeeFields, displayName, errorResponses, isoDateTime,
  type ExhibitorBody, type ExhibitorLeadBody
} from '@showfloor/schemas'
import { notFound, paginate, readPage } from '@showfloor/http'
import { createExhibitor, deleteExhibitor, updateExhibitor } from '../domain/exhibitors.js'
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
    const created = await createExhibitor(app.db, request.event, request.body)
    return await reply.code(201).send(serializeExhibitor(created))
  })

  app.put('/:id/', {
    config: editors,
    schema: { tags, summary: 'Replace an exhibitor (fields not sent are reset to their defaults)', params: ExhibitorParams, body: ExhibitorWriteSchema, response: { 200: ExhibitorSchema, ...errorResponses } }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    return serializeExhibitor(await updateExhibitor(app.db, request.event, exhibitor, request.body, true))
  })

  app.patch('/:id/', {
    config: editors,
    schema: { tags, summary: 'Update an exhibitor', params: ExhibitorParams, body: ExhibitorPatchSchema, response: { 200: ExhibitorSchema, ...errorResponses } }
  }, async (request) => {
    const exhibitor = await load(request.event.id, request.params.id)
    return serializeExhibitor(await updateExhibitor(app.db, request.event, exhibitor, request.body, false))
  })

  app.delete('/:id/', {
    config: editors,
    schema: { tags, summary: 'Delete an exhibitor with its leads and voucher links (the vouchers stay)', params: ExhibitorParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    const exhibitor = await load(request.event.id, request.params.id)
    await deleteExhibitor(app.db, request.event, exhibitor.id)
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

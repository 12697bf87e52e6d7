import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries } from '@showfloor/db'
import { AppLeadSchema, ErrorDetail, errorResponses, LeadUploadSchema, PageQuery, Paginated, attendeeFields, type AppLead } from '@showfloor/schemas'
import { HttpError, fieldError, paginate } from '@showfloor/http'
import { bulkDataDenied } from '../plugins/exhibitorAuth.js'

const tags = ['Leads']
const errors = { 400: errorResponses[400], 401: ErrorDetail, 403: ErrorDetail, 429: ErrorDetail }

/**
 * The scan upload, behind `admitAccessCode` only: its statement finds the exhibitor itself, one
 * round trip on the show floor's hot path.
 */
export const leadUpload: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/leads/', {
    schema: { tags, summary: 'Upload a scanned lead (again)', body: LeadUploadSchema, response: { 200: AppLeadSchema, 201: AppLeadSchema, ...errors } }
  }, async (request, reply) => {
    const body = request.body
    const stored = await queries.leadUpload.uploadLead(app.db, {
      accessCode: request.accessCode,
      code: body.code.trim(),
      scanned: body.scanned,
      rating: body.rating ?? null,
      tags: body.tags ?? null,
      notes: body.notes ?? '',
      deviceName: body.device_name ?? null,
      deviceUuid: body.device_uuid ?? null
    })
    if (!stored) {
      // Which lookup failed: only now is the exhibitor read on its own.
      const exhibitor = await app.accessCodeChecked(request, await queries.accessCodes.findByAccessCode(app.db, request.accessCode))
      if (!exhibitor.allowLeadScanning) throw new HttpError(403, { detail: 'Lead scanning is not enabled for this exhibitor.' })
      throw fieldError('code', 'This code does not belong to any attendee of this event.')
    }
    const recording = app.accessCodeFound(request)
    if (recording !== undefined) await recording
    const lead: AppLead = {
      attendee: { fields: attendeeFields(stored, stored.lead_fields, stored.locale) },
      rating: stored.rating,
      tags: stored.tags,
      notes: stored.notes,
      device_name: stored.device_name,
      device_uuid: stored.device_uuid
    }
    return await reply.code(stored.created ? 201 : 200).send(lead)
  })
}

/** The exhibitor's leads, behind `authenticateExhibitor`. */
export const leads: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/leads/', {
    schema: { tags, summary: 'The exhibitor\'s leads in upload order', querystring: PageQuery, response: { 200: Paginated(AppLeadSchema), ...errors } }
  }, async (request) => {
    const exhibitor = request.exhibitor
    if (!exhibitor.fullAccess || !exhibitor.allowLeadAccess) throw bulkDataDenied()
    const [count, event] = await Promise.all([
      queries.leads.countLeads(app.db, exhibitor.exhibitorId),
      queries.exhibitorApp.eventProfile(app.db, exhibitor.eventId)
    ])
    return await paginate(request, app.appConfig.PUBLIC_APP_URL, count, async (page) => {
      const rows = await queries.leads.listLeads(app.db, exhibitor.exhibitorId, page.size, page.offset)
      return rows.map((row): AppLead => ({
        attendee: { fields: attendeeFields(row, event.lead_fields, exhibitor.locale) },
        rating: row.rating,
        tags: row.tags,
        notes: row.notes,
        device_name: row.device_name,
        device_uuid: row.device_uuid
      }))
    })
  })
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries } from '@showfloor/db'
import { AppProfileSchema, ErrorDetail, isoDateTime } from '@showfloor/schemas'

const SCAN_TYPES = [{ key: 'lead', label: 'Lead Scanning' }]

export const profile: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/profile', {
    schema: { tags: ['Profile'], summary: 'The exhibitor\'s profile and event', response: { 200: AppProfileSchema, 401: ErrorDetail, 429: ErrorDetail } }
  }, async (request) => {
    const exhibitor = request.exhibitor
    const event = await queries.exhibitorApp.eventProfile(app.db, exhibitor.eventId)
    return {
      name: exhibitor.name,
      booth: exhibitor.booth,
      event: {
        name: event.name,
        end_date: isoDateTime(event.date_to ?? event.date_from),
        slug: event.slug,
        imprint_url: event.imprint_url,
        privacy_url: event.privacy_url,
        help_url: event.help_url,
        terms_url: event.terms_url,
        logo_url: event.logo_url,
        organizer: event.organizer
      },
      notes: event.allow_notes,
      tags: event.lead_tags,
      scan_types: SCAN_TYPES
    }
  })
}

import { inTransaction, queries, type Db } from '@showfloor/db'
import { attendeeFields } from '@showfloor/schemas'

export type StoredEnrichment = queries.enrichment.StoredEnrichment
export type LeadDelivery = queries.webhooks.LeadDelivery

/** What one batch enrichment stored: the leads, and the webhook deliveries of their notifications. */
export interface EnrichedBatch { stored: StoredEnrichment[], deliveries: LeadDelivery[] }

/**
 * Enriches a batch of leads in one transaction and a few set-based statements, whatever the batch
 * size: locks the leads and loads their sources (one query), computes each lead's attendee data
 * snapshot (contract section 8, with the event's lead fields and locale as configured now), locks
 * the exhibitors whose count grows, then stores every snapshot and the counts (one statement).
 * Running it twice, or two batches sharing leads at once, gives the same result: a lead counts for
 * its exhibitor only the first time it is enriched. Leads deleted meanwhile are left out. Returns
 * the leads stored, with `created` true for those enriched for the first time, and the webhook
 * deliveries of their notifications, stored in the same transaction: the caller adds their jobs.
 */
export async function enrichLeads (db: Db, leadIds: readonly number[]): Promise<EnrichedBatch> {
  const ids = [...new Set(leadIds)]
  if (ids.length === 0) return { stored: [], deliveries: [] }
  return await inTransaction(db, async (client) => {
    const sources = await queries.enrichment.lockLeadSources(client, ids)
    if (sources.length === 0) return { stored: [], deliveries: [] }
    const growing = [...new Set(sources.filter((s) => s.created).map((s) => s.exhibitor_id))].sort((a, b) => a - b)
    await queries.enrichment.lockExhibitors(client, growing)
    const stored = await queries.enrichment.storeEnrichments(client, sources.map((source) => ({
      leadId: source.id,
      data: attendeeFields(source, source.lead_fields, source.locale),
      created: source.created
    })))
    // Webhook notifications of the leads (showfloor.lead.created / .updated), fanned out to their
    // webhooks' deliveries and committed with the enrichment: nothing is written when no webhook of
    // the organizer listens for lead events. The leads are locked, so every source was stored.
    const deliveries = await queries.webhooks.storeLeadDeliveries(client, sources.map((source) => ({
      lead_id: source.id,
      exhibitor_id: source.exhibitor_id,
      created: source.created,
      organizer_id: source.organizer_id,
      organizer: source.organizer_slug,
      event_id: source.event_id,
      event: source.event_slug,
      attendee_order: source.order_code,
      attendee_positionid: source.positionid
    })))
    return { stored, deliveries }
  })
}

import type { Job } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import { LeadEnrichJob, attendeeFields, parseJob } from '@showfloor/schemas'

export type EnrichmentResult = { enriched: number, fields: number } | { skipped: string }

/**
 * Computes a lead's attendee data snapshot (contract section 8, with the event's lead fields and
 * locale as configured now), stores it with the time, and recounts the exhibitor's leads. Running
 * it twice gives the same result, so a job added twice does no harm. A lead deleted meanwhile
 * leaves nothing to do, and the job succeeds.
 */
export function leadEnrichmentProcessor (db: Db) {
  return async function processLeadEnrichment (job: Job): Promise<EnrichmentResult> {
    const { lead_id: leadId } = parseJob(LeadEnrichJob, job.data)
    const source = await queries.enrichment.loadLeadSource(db, leadId)
    if (!source) return { skipped: 'lead deleted' }
    const data = attendeeFields(source, source.lead_fields, source.locale)
    const notify = queries.webhooks.insertLeadNotifications.bind([{ lead_id: leadId, exhibitor_id: source.exhibitor_id, created: source.enriched_at === null }])
    const stored = await queries.enrichment.storeEnrichment(db, leadId, source.exhibitor_id, data, [notify])
    return stored ? { enriched: leadId, fields: data.length } : { skipped: 'lead deleted' }
  }
}

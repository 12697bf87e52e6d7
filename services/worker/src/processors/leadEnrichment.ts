import type { Job } from 'bullmq'
import type { Db } from '@showfloor/db'
import { JOBS, LeadEnrichBatchJob, LeadEnrichJob, parseJob } from '@showfloor/schemas'
import { enrichLeads } from '../domain/enrichment.js'

export type EnrichmentResult =
  | { enriched: number }
  | { skipped: string }
  | { leads: number, enriched: number, created: number }

/**
 * The lead-enrichment queue's jobs: batches of leads (`lead.enrich.batch`, from the relay and the
 * reconciler) and single leads (`lead.enrich`, as queued before batches). Either way the leads go
 * through one batch enrichment (see enrichLeads), so a job added twice does no harm, and leads
 * deleted meanwhile leave nothing to do: the job succeeds.
 */
export function leadEnrichmentProcessor (db: Db) {
  return async function processLeadEnrichment (job: Job): Promise<EnrichmentResult> {
    if (job.name === JOBS.leadEnrichBatch) {
      const { lead_ids: leadIds } = parseJob(LeadEnrichBatchJob, job.data)
      const stored = await enrichLeads(db, leadIds)
      return { leads: leadIds.length, enriched: stored.length, created: stored.filter((s) => s.created).length }
    }
    const { lead_id: leadId } = parseJob(LeadEnrichJob, job.data)
    const [stored] = await enrichLeads(db, [leadId])
    return stored ? { enriched: leadId } : { skipped: 'lead deleted' }
  }
}

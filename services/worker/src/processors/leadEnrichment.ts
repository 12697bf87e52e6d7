import type { Job, Queue } from 'bullmq'
import type { Db } from '@showfloor/db'
import { JOBS, LeadEnrichBatchJob, LeadEnrichJob, parseJob } from '@showfloor/schemas'
import { enrichLeads, type EnrichedBatch } from '../domain/enrichment.js'
import { deliveryJobs } from './webhookDeliveryBatch.js'

export type EnrichmentResult =
  | { enriched: number }
  | { skipped: string }
  | { leads: number, enriched: number, created: number }

/**
 * The lead-enrichment queue's jobs: batches of leads (`lead.enrich.batch`, from the relay and the
 * reconciler) and single leads (`lead.enrich`, as queued before batches). Either way the leads go
 * through one batch enrichment (see enrichLeads), so a job added twice does no harm, and leads
 * deleted meanwhile leave nothing to do: the job succeeds.
 *
 * The leads' webhook deliveries are stored with their enrichment; once it committed, their batch
 * delivery jobs are added to `deliveries`. Should that fail (Redis away), the job fails and is
 * retried, and the reconciler queues the stored deliveries again once they are long overdue.
 */
export function leadEnrichmentProcessor (db: Db, deliveries: Queue) {
  const enrich = async (leadIds: readonly number[]): Promise<EnrichedBatch> => {
    const batch = await enrichLeads(db, leadIds)
    if (batch.deliveries.length > 0) await deliveries.addBulk(deliveryJobs(batch.deliveries))
    return batch
  }
  return async function processLeadEnrichment (job: Job): Promise<EnrichmentResult> {
    if (job.name === JOBS.leadEnrichBatch) {
      const { lead_ids: leadIds } = parseJob(LeadEnrichBatchJob, job.data)
      const { stored } = await enrich(leadIds)
      return { leads: leadIds.length, enriched: stored.length, created: stored.filter((s) => s.created).length }
    }
    const { lead_id: leadId } = parseJob(LeadEnrichJob, job.data)
    const { stored: [stored] } = await enrich([leadId])
    return stored ? { enriched: leadId } : { skipped: 'lead deleted' }
  }
}

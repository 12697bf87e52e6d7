import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { metricsClient } from '@showfloor/http'

/** The scan upload's route, as Fastify names it. */
export const UPLOAD_ROUTE = '/exhibitors/api/v1/leads/'

/** What became of an upload, by its status code; one label value per kind an operator tells apart. */
export function uploadOutcome (statusCode: number): string {
  switch (statusCode) {
    case 201: return 'created'
    case 200: return 'updated'
    case 400: return 'invalid'
    case 401: case 403: case 404: return 'denied'
    case 429: return 'throttled'
    case 503: return 'unavailable'
    default: return statusCode >= 500 ? 'error' : 'other'
  }
}

/**
 * Uploads per second and their latency, by outcome (`showfloor_lead_uploads_total`,
 * `showfloor_lead_upload_duration_seconds`): what operators watch on a show day. Observed from
 * the response hook that already times every request, so the upload path gains no hook.
 */
export const uploadMetrics = fp(async function uploadMetrics (app: FastifyInstance) {
  const uploads = new metricsClient.Counter({
    name: 'showfloor_lead_uploads_total',
    help: 'Lead uploads (POST /exhibitors/api/v1/leads/) answered, by outcome',
    labelNames: ['outcome'],
    registers: [app.metrics]
  })
  const duration = new metricsClient.Histogram({
    name: 'showfloor_lead_upload_duration_seconds',
    help: 'Time to answer a lead upload, by outcome',
    labelNames: ['outcome'],
    buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [app.metrics]
  })
  // The children are made once, so an upload costs a lookup by status and two increments.
  const byOutcome = new Map<number, { uploads: ReturnType<typeof uploads.labels>, duration: ReturnType<typeof duration.labels> }>()
  app.observeResponses((request, reply, route, seconds) => {
    if (route !== UPLOAD_ROUTE || request.method !== 'POST') return
    const status = reply.statusCode
    let children = byOutcome.get(status)
    if (children === undefined) {
      const outcome = uploadOutcome(status)
      children = { uploads: uploads.labels(outcome), duration: duration.labels(outcome) }
      byOutcome.set(status, children)
    }
    children.uploads.inc()
    children.duration.observe(seconds)
  })
}, { name: 'showfloor-upload-metrics', dependencies: ['showfloor-health'] })

import { queries, type Db } from '@showfloor/db'
import type { MessageKey } from '../i18n/index.js'

type Exhibitor = queries.portalExhibitors.PortalExhibitor
type LeadFilter = queries.portalLeads.LeadFilter
type PortalLeadRow = queries.portalLeads.PortalLeadRow

export const PAGE_SIZE = 50
export const LIMITS = { search: 200, tag: 255, device: 190, notes: 10_000, tags: 100 } as const

/** The leads page's search and filters as the URL (or the export form) carries them, already checked. */
export interface FilterInput {
  q?: string
  tag?: string
  rating?: string
  device?: string
}

/** The query's filter for this exhibitor; `rating` is '', 'none' or '0'-'5' (the schema checked it). */
export function leadFilter (exhibitorId: number, input: FilterInput, changedAfter: Date | null = null): LeadFilter {
  const rating = input.rating === undefined || input.rating === '' ? undefined : input.rating === 'none' ? 'none' : Number(input.rating)
  return {
    exhibitorId,
    search: input.q?.trim() || undefined,
    tag: input.tag || undefined,
    rating,
    device: input.device || undefined,
    changedAfter
  }
}

export interface LeadsPage {
  rows: PortalLeadRow[]
  count: number
  page: number
  pages: number
}

/** One page of the filtered leads, newest first; undefined for a page past the end. */
export async function leadsPage (db: Db, filter: LeadFilter, page: number): Promise<LeadsPage | undefined> {
  const [count, rows] = await Promise.all([
    queries.portalLeads.countLeads(db, filter),
    queries.portalLeads.listLeads(db, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
  ])
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE))
  if (page > pages) return undefined
  return { rows, count, page, pages }
}

/** How long the leads page's filter choices (tags and devices on the leads) are reused. */
const CHOICES_TTL_MS = 30_000

export interface FilterChoices { tags: string[], devices: string[] }

/**
 * The leads page's filter choices: the event's lead tags with the tags on the exhibitor's leads,
 * and the device names on them. Finding those reads every lead of the exhibitor, so each
 * exhibitor's are kept for half a minute (a new tag or device shows in the filter that much later).
 */
export function filterChoices (db: Db): (exhibitor: Exhibitor) => Promise<FilterChoices> {
  const cache = new Map<number, { until: number, choices: Promise<FilterChoices> }>()
  return async (exhibitor) => {
    const now = Date.now()
    const hit = cache.get(exhibitor.id)
    if (hit !== undefined && hit.until > now) return await hit.choices
    if (cache.size > 10_000) cache.clear()
    const choices = Promise.all([
      queries.portalExhibitors.usedTags(db, exhibitor.id),
      queries.portalExhibitors.deviceNames(db, exhibitor.id)
    ]).then(([tags, devices]) => ({ tags: [...new Set([...exhibitor.lead_tags, ...tags])], devices }))
    cache.set(exhibitor.id, { until: now + CHOICES_TTL_MS, choices })
    choices.catch(() => cache.delete(exhibitor.id))
    return await choices
  }
}

/** The tags a lead's form offers: the event's lead tags, then those already on the lead. */
export function tagChoices (exhibitor: Exhibitor, lead: { tags: string[] }): string[] {
  return [...new Set([...exhibitor.lead_tags, ...lead.tags])]
}

export type EditResult = { ok: true, edit: queries.portalLeads.LeadEdit } | { ok: false, errors: Array<{ key: MessageKey, params?: Record<string, string | number> }> }

/** Reads the edit form (rating none or 0-5, tags from the offered ones, notes up to 10,000 characters). */
export function parseEdit (body: Record<string, unknown>, choices: readonly string[], labels: { rating: string, notes: string, tags: string }): EditResult {
  const errors: Extract<EditResult, { ok: false }>['errors'] = []
  const rawRating = body.rating ?? ''
  let rating: number | null = null
  if (typeof rawRating !== 'string' || !/^[0-5]?$/.test(rawRating)) errors.push({ key: 'error.invalid', params: { field: labels.rating } })
  else rating = rawRating === '' ? null : Number(rawRating)
  const rawTags = body.tags === undefined ? [] : Array.isArray(body.tags) ? body.tags : [body.tags]
  const tags = [...new Set(rawTags)]
  if (tags.length > LIMITS.tags) errors.push({ key: 'error.tooMany', params: { field: labels.tags, max: LIMITS.tags } })
  else if (!tags.every((tag): tag is string => typeof tag === 'string' && choices.includes(tag))) errors.push({ key: 'error.tag' })
  const notes = body.notes ?? ''
  if (typeof notes !== 'string') errors.push({ key: 'error.invalid', params: { field: labels.notes } })
  else if (notes.includes('\u0000')) errors.push({ key: 'error.invalid', params: { field: labels.notes } })
  else if (notes.length > LIMITS.notes) errors.push({ key: 'error.tooLong', params: { field: labels.notes, max: LIMITS.notes } })
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, edit: { rating, tags: tags as string[], notes: notes as string } }
}

/**
 * Saves the edit: the three values, the lead's change time and the enrichment outbox row an upload
 * writes, in one statement (one implicit transaction). False when the lead is not the exhibitor's.
 */
export async function saveLead (db: Db, exhibitorId: number, leadId: number, edit: queries.portalLeads.LeadEdit): Promise<boolean> {
  return await queries.portalLeads.saveLead(db, exhibitorId, leadId, edit)
}

import { sql } from 'kysely'
import type { Db } from '../database.js'
import { JOBS } from '@showfloor/schemas'
import type { Answer, AttendeeInput, I18nText } from '../types.js'
import {
  attendeeColumns, fromLeads, orderColumns, pageOfLeads, positionColumns, withAttendee, withItem,
  type AttendeeQuery, type LeadCursor, type LeadQuery
} from './leads.js'

// The exhibitor web area's leads: the list with its search and filters, one lead, its edit, and the
// export's keyset pages. Newest first: by first upload, then id, both descending, which the
// (exhibitor_id, first_upload, id) index serves read backwards.

export interface LeadFilter {
  exhibitorId: number
  /** Matched (case-insensitively, as a substring) against name, company, email and notes. */
  search?: string
  tag?: string
  /** A rating 0-5, or 'none' for leads without one. */
  rating?: number | 'none'
  device?: string
  /** Only leads first uploaded or changed (upload or web edit) after this ("new since my last export"). */
  changedAfter?: Date | null
}

/** A lead with what its attendee fields are computed from. */
export interface PortalLeadRow extends AttendeeInput {
  id: number
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  device_uuid: string | null
  scanned: Date
  first_upload: Date
  last_upload: Date
}

/** `%`, `_` and the backslash stand for themselves in a search. */
function likePattern (search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

const searching = (f: LeadFilter): boolean => f.search !== undefined && f.search !== ''

/** The conditions on the lead's own columns. */
function leadConditions (q: LeadQuery, f: LeadFilter): LeadQuery {
  let out = q.where('l.exhibitor_id', '=', f.exhibitorId)
  if (f.tag !== undefined && f.tag !== '') out = out.where(sql<boolean>`l.tags @> ${JSON.stringify([f.tag])}::jsonb`)
  if (f.rating === 'none') out = out.where('l.rating', 'is', null)
  else if (f.rating !== undefined) out = out.where('l.rating', '=', f.rating)
  if (f.device !== undefined && f.device !== '') out = out.where('l.device_name', '=', f.device)
  if (f.changedAfter) out = out.where('l.last_upload', '>', f.changedAfter)
  return out
}

/**
 * The leads the filter shows. Without a search only the leads table is read (the count and the
 * page's ids then come from its (exhibitor_id, first_upload, id) index); a search joins the
 * attendee's position and order.
 */
function filtered (db: Db, f: LeadFilter): LeadQuery {
  const leads = leadConditions(fromLeads(db), f)
  if (!searching(f)) return leads
  const pattern = likePattern(f.search!)
  return withAttendee(leads)
    .where((eb) => eb.or([
      eb('p.attendee_name', 'ilike', pattern),
      eb('p.company', 'ilike', pattern),
      eb('p.attendee_email', 'ilike', pattern),
      eb('o.email', 'ilike', pattern),
      eb('l.notes', 'ilike', pattern)
    ])) as unknown as LeadQuery
}

const columns = [
  'l.id', 'l.rating', 'l.tags', 'l.notes', 'l.device_name', 'l.device_uuid', 'l.scanned', 'l.first_upload', 'l.last_upload',
  ...attendeeColumns
] as const

/** How many leads the filter shows. */
export async function countLeads (db: Db, f: LeadFilter): Promise<number> {
  const row = await filtered(db, f).select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** One page of the leads the filter shows, newest first. */
export async function listLeads (db: Db, f: LeadFilter, limit: number, offset: number): Promise<PortalLeadRow[]> {
  return await withItem(withAttendee(pageOfLeads(db, filtered(db, f), { order: 'desc', limit, offset })))
    .select(columns)
    .execute()
}

/** A lead as an export writes it (the shape of @showfloor/files' LeadSheetRow), with its keyset cursor. */
export interface ExportLeadRow extends AttendeeInput {
  id: number
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  scanned: Date
  last_changed: Date
  cursor_at: string
}

/**
 * The next `limit` leads the filter shows after `cursor` (newest first), for exports: each page
 * starts where the last ended, so no page re-reads the rows before it. The page's ids come first
 * (from the index when there is no search), then only those rows are joined. Only the columns an
 * export writes are read (answers and item names only when a lead field needs them): at 100,000
 * rows, every parsed value counts.
 */
export async function leadsAfter (db: Db, f: LeadFilter, cursor: LeadCursor | null, limit: number, needs: { answers: boolean, item: boolean }): Promise<ExportLeadRow[]> {
  const page: AttendeeQuery = withAttendee(pageOfLeads(db, filtered(db, f), { order: 'desc', limit, after: cursor }))
  const q = (needs.item ? withItem(page) : page)
    .select(['l.id', 'l.rating', 'l.tags', 'l.notes', 'l.device_name', 'l.scanned', 'l.last_upload as last_changed', ...positionColumns, ...orderColumns])
    .select(sql<string>`l.first_upload::text`.as('cursor_at'))
    .select(needs.answers ? sql<Answer[]>`p.answers`.as('answers') : sql<Answer[]>`'[]'::jsonb`.as('answers'))
    .select(needs.item ? sql.ref<I18nText>('i.name').as('item_name') : sql<I18nText>`'{}'::jsonb`.as('item_name'))
  return await q.execute() as unknown as ExportLeadRow[]
}

/** One of the exhibitor's leads; undefined for another exhibitor's or an unknown id. */
export async function findLead (db: Db, exhibitorId: number, leadId: number): Promise<PortalLeadRow | undefined> {
  return await withItem(withAttendee(fromLeads(db)))
    .select(columns)
    .where('l.exhibitor_id', '=', exhibitorId)
    .where('l.id', '=', leadId)
    .executeTakeFirst()
}

export interface LeadEdit { rating: number | null, tags: string[], notes: string }

/**
 * Replaces the lead's rating, tags and notes, marks it changed now (as an upload does) and writes
 * the enrichment outbox row an upload writes, in one statement. False when the lead is not the
 * exhibitor's (nothing written).
 */
export async function saveLead (db: Db, exhibitorId: number, leadId: number, edit: LeadEdit): Promise<boolean> {
  const row = await db
    .with('up', (qb) => qb.updateTable('leads')
      .set({ rating: edit.rating, tags: JSON.stringify(edit.tags), notes: edit.notes, last_upload: sql<Date>`now()` })
      .where('exhibitor_id', '=', exhibitorId).where('id', '=', leadId)
      .returning('id'))
    .insertInto('outbox').columns(['topic', 'payload'])
    .expression((eb) => eb.selectFrom('up')
      .select((eb) => [sql.lit(JOBS.leadEnrich).as('topic'), eb.fn<string>('jsonb_build_object', [sql.lit('lead_id'), 'up.id']).as('payload')]))
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

import { sql } from 'kysely'
import type { AttendeeInput, ExportParameters, ExportStatus, NameParts } from '@showfloor/schemas'
import type { Db } from '../database.js'
import { attendeeColumns, fromLeads, pageOfLeads, withAttendee, withItem, type LeadCursor } from './leads.js'

// Data exporter runs (contract section 12). An export's status moves, each step one conditional
// UPDATE that names the run it belongs to:
//   waiting → running      a job claims it (run + 1); the same job claims it again after a retry or
//                          after its worker died (BullMQ hands a stalled job on with its id)
//   running → done         the file's last chunk is written and, in the same transaction, the
//                          chunks of every other run are deleted: `done` always names a whole file
//   running → failed       the run gave up for good
//   running → waiting      the reconciler, when the run's heartbeat stopped (its worker is gone)
// A run that finds its step refused (another run took over) stops and leaves the export alone.

const JOB_TOPIC = 'export.run'
const ago = (ms: number) => sql<Date>`now() - make_interval(secs => ${ms / 1000})`

export interface NewExport {
  id: string
  key: string
  eventId: number
  identifier: string
  params: ExportParameters
}

/** Stores a waiting export and the outbox row that gets its job queued. Run it in a transaction. */
export async function createExport (db: Db, values: NewExport): Promise<void> {
  await db.insertInto('exports').values({
    id: values.id,
    key: values.key,
    event_id: values.eventId,
    identifier: values.identifier,
    params: JSON.stringify(values.params),
    status: 'waiting'
  }).execute()
  await db.insertInto('outbox').values({ topic: JOB_TOPIC, payload: JSON.stringify({ export_id: values.id }) }).execute()
}

export interface ExportState {
  status: ExportStatus
  percentage: number | null
  run: number
  message: string | null
  file_name: string | null
  content_type: string | null
  size: number | null
}

/**
 * An export of the event as its download URL names it; undefined when there is none, or when it
 * expired (its row may still wait for the prune job).
 */
export async function findExport (db: Db, eventId: number, identifier: string, id: string, key: string): Promise<ExportState | undefined> {
  return await db.selectFrom('exports')
    .select(['status', 'percentage', 'run', 'message', 'file_name', 'content_type', 'size'])
    .where('id', '=', id).where('key', '=', key)
    .where('event_id', '=', eventId).where('identifier', '=', identifier)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst()
}

/** One chunk of a done export's file, in order from 0; undefined past the last. */
export async function readChunk (db: Db, id: string, run: number, seq: number): Promise<Buffer | undefined> {
  const row = await db.selectFrom('export_chunks').select('data')
    .where('export_id', '=', id).where('run', '=', run).where('seq', '=', seq)
    .executeTakeFirst()
  return row?.data
}

export interface ClaimedExport {
  run: number
  event_id: number
  identifier: string
  params: ExportParameters
}

/**
 * Takes the export for the job `jobId`: a waiting one, or one this job already runs (a retry, or the
 * same job handed on after its worker died). Starts a new run; the previous run's chunks stay until
 * this one is done. Undefined when it is done, failed, gone, or another job runs it.
 */
export async function claimExport (db: Db, id: string, jobId: string): Promise<ClaimedExport | undefined> {
  return await db.updateTable('exports')
    .set((eb) => ({
      status: 'running',
      run: eb('run', '+', 1),
      claimed_by: jobId,
      percentage: null,
      heartbeat_at: sql`now()`
    }))
    .where('id', '=', id)
    .where((eb) => eb.or([
      eb('status', '=', 'waiting'),
      eb.and([eb('status', '=', 'running'), eb('claimed_by', '=', jobId)])
    ]))
    .returning(['run', 'event_id', 'identifier', 'params'])
    .executeTakeFirst()
}

/** Records progress (and that the run is alive). False when the run lost the export. */
export async function reportProgress (db: Db, id: string, run: number, percentage: number | null): Promise<boolean> {
  const result = await db.updateTable('exports')
    .set({ percentage, heartbeat_at: sql`now()` })
    .where('id', '=', id).where('run', '=', run).where('status', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function writeChunk (db: Db, id: string, run: number, seq: number, data: Buffer): Promise<void> {
  await db.insertInto('export_chunks').values({ export_id: id, run, seq, data }).execute()
}

export interface FinishedFile {
  fileName: string
  contentType: string
  size: number
}

/**
 * running → done, with the file of this run, expiring `ttlSeconds` from now; the chunks of other
 * runs go. Run it in the transaction that wrote the last chunk. False (and nothing changed) when
 * the run lost the export.
 */
export async function completeExport (db: Db, id: string, run: number, file: FinishedFile, ttlSeconds: number): Promise<boolean> {
  const result = await db.updateTable('exports')
    .set({
      status: 'done',
      percentage: 100,
      file_name: file.fileName,
      content_type: file.contentType,
      size: file.size,
      heartbeat_at: sql`now()`,
      done_at: sql`now()`,
      expires_at: sql`now() + make_interval(secs => ${ttlSeconds})`
    })
    .where('id', '=', id).where('run', '=', run).where('status', '=', 'running')
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  await db.deleteFrom('export_chunks').where('export_id', '=', id).where('run', '<>', run).execute()
  return true
}

/** running → failed with a message for the client, expiring like a file. False when the run lost the export. */
export async function failExport (db: Db, id: string, run: number, message: string, ttlSeconds: number): Promise<boolean> {
  const result = await db.updateTable('exports')
    .set({
      status: 'failed',
      message,
      percentage: null,
      heartbeat_at: sql`now()`,
      done_at: sql`now()`,
      expires_at: sql`now() + make_interval(secs => ${ttlSeconds})`
    })
    .where('id', '=', id).where('run', '=', run).where('status', '=', 'running')
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  await db.deleteFrom('export_chunks').where('export_id', '=', id).execute()
  return true
}

/** Deletes the chunks a run wrote (a run that lost the export, or a failed attempt). */
export async function deleteRunChunks (db: Db, id: string, run: number): Promise<void> {
  await db.deleteFrom('export_chunks').where('export_id', '=', id).where('run', '=', run).execute()
}

export interface UnfinishedExport {
  id: string
  run: number
}

/**
 * The reconciler's question: exports waiting, or running without a heartbeat, for more than
 * `olderThanMs`. Running ones go back to waiting first (their worker is gone; a late heartbeat of
 * it then finds nothing to change), so the job queued for them can claim them. In heartbeat order,
 * at most `limit`.
 */
export async function requeueStaleExports (db: Db, olderThanMs: number, limit: number): Promise<UnfinishedExport[]> {
  const rows = await db.with('stale', (qb) => qb.selectFrom('exports').select('id')
    .where('status', 'in', ['waiting', 'running'])
    .where('heartbeat_at', '<', ago(olderThanMs))
    .orderBy('heartbeat_at')
    .limit(limit)
    .forUpdate()
    .skipLocked())
    .updateTable('exports')
    .set({ status: 'waiting', claimed_by: null, percentage: null, heartbeat_at: sql`now()` })
    .from('stale')
    .whereRef('exports.id', '=', 'stale.id')
    .returning(['exports.id', 'exports.run'])
    .execute()
  return rows
}

/** Deletes up to `limit` exports (with their files) past their expiry. Returns how many went. */
export async function pruneExpired (db: Db, limit = 100): Promise<number> {
  const result = await db.deleteFrom('exports')
    .where('id', 'in', (eb) => eb.selectFrom('exports').select('id')
      .where('expires_at', '<', sql<Date>`now()`)
      .orderBy('expires_at')
      .limit(limit))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

// What the exporters read, in pages that each take a short statement (the worker's statement
// timeout applies to each), never the whole result at once.

export interface ExportEvent {
  slug: string
  locale: string
  timezone: string
  lead_fields: string[]
}

export async function findExportEvent (db: Db, eventId: number): Promise<ExportEvent | undefined> {
  return await db.selectFrom('events')
    .leftJoin('exhibitor_settings as s', 's.event_id', 'events.id')
    .select(['events.slug', 'events.locale', 'events.timezone',
      sql<string[]>`coalesce(s.lead_fields, '["attendee_name","attendee_email","company"]'::jsonb)`.as('lead_fields')])
    .where('events.id', '=', eventId)
    .executeTakeFirst()
}

/** The ids of the event's exhibitors among `ids` (all when `ids` is undefined), by id. */
export async function exhibitorIds (db: Db, eventId: number, ids?: readonly number[]): Promise<number[]> {
  return (await leadExportExhibitors(db, eventId, ids)).map((row) => row.id)
}

export interface LeadExportExhibitor {
  id: number
  name: string
  booth: string | null
  internal_id: string | null
}

/**
 * The event's exhibitors among `ids` (all when `ids` is undefined), by id, with what each lead row
 * repeats of them: a few short fields per exhibitor, read once for the whole export.
 */
export async function leadExportExhibitors (db: Db, eventId: number, ids?: readonly number[]): Promise<LeadExportExhibitor[]> {
  if (ids !== undefined && ids.length === 0) return []
  let query = db.selectFrom('exhibitors').select(['id', 'name', 'booth', 'internal_id']).where('event_id', '=', eventId)
  if (ids !== undefined) query = query.where('id', 'in', [...ids])
  return await query.orderBy('id').execute()
}

/** How many leads these exhibitors have, changed at or after `since` when given. */
export async function countExportLeads (db: Db, exhibitorIds: readonly number[], since: Date | null): Promise<number> {
  if (exhibitorIds.length === 0) return 0
  let query = db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('exhibitor_id', 'in', [...exhibitorIds])
  if (since !== null) query = query.where('last_upload', '>=', since)
  const row = await query.executeTakeFirstOrThrow()
  return Number(row.count)
}

/** A lead with everything its row of the file is made of. */
export interface LeadExportRow extends AttendeeInput {
  id: number
  rating: number | null
  tags: string[]
  notes: string
  device_name: string | null
  scanned: Date
  last_upload: Date
  /** The page cursor: `first_upload` as text, exact to the microsecond. */
  cursor: string
}

// The lead's own columns of a LeadExportRow, after its id (and, in the cursor's rows, the exhibitor's).
const leadColumns = [
  'l.rating', 'l.tags', 'l.notes', 'l.device_name', 'l.scanned', 'l.last_upload',
  sql<string>`l.first_upload::text`.as('cursor')
] as const

/**
 * One page of an exhibitor's leads in (first_upload, id) order after `after`, read through the
 * (exhibitor_id, first_upload, id) index, so every page costs the same however deep it is.
 */
export async function leadExportPage (db: Db, exhibitorId: number, since: Date | null, after: LeadCursor | null, limit: number): Promise<LeadExportRow[]> {
  let leads = fromLeads(db).where('l.exhibitor_id', '=', exhibitorId)
  if (since !== null) leads = leads.where('l.last_upload', '>=', since)
  const page = pageOfLeads(db, leads, { order: 'asc', limit, after })
  return await withItem(withAttendee(page))
    .select(['l.id', ...leadColumns, ...attendeeColumns])
    .execute()
}

/**
 * Opens a cursor over these exhibitors' leads (changed at or after `since` when given), in the
 * order of leadExportPage, exhibitor after exhibitor: one plan (hash joins, one sort) instead of
 * an index lookup per lead and table, about half the database's work. Run it in a transaction
 * (`db` one) and read it with fetchLeadExportCursor; each fetch is a statement of its own, the
 * first one doing the joins and the sort.
 */
export async function declareLeadExportCursor (db: Db, name: string, eventId: number, exhibitorIds: readonly number[], since: Date | null): Promise<void> {
  // Planned for the whole result, not its first rows, and sorted in memory.
  await sql`set local cursor_tuple_fraction = 1`.execute(db)
  await sql`set local work_mem = '64MB'`.execute(db)
  let query = withItem(withAttendee(fromLeads(db)))
    .select(['l.id', 'l.exhibitor_id', ...leadColumns, ...attendeeColumns])
    .where(sql<boolean>`l.exhibitor_id = any(${sql.val([...exhibitorIds])}::int[])`)
    .where('p.event_id', '=', eventId)
  if (since !== null) query = query.where('l.last_upload', '>=', since)
  query = query.orderBy('l.exhibitor_id').orderBy('l.first_upload').orderBy('l.id')
  await sql`declare ${sql.id(name)} no scroll cursor for ${query}`.execute(db)
}

export type LeadCursorRow = LeadExportRow & { exhibitor_id: number }

/** The next `count` rows of a cursor opened by declareLeadExportCursor; fewer at its end. */
export async function fetchLeadExportCursor (db: Db, name: string, count: number): Promise<LeadCursorRow[]> {
  const result = await sql<LeadCursorRow>`fetch ${sql.raw(String(Math.trunc(count)))} from ${sql.id(name)}`.execute(db)
  return result.rows
}

export interface ExhibitorExportRow {
  id: number
  name: string
  internal_id: string | null
  booth: string | null
  contact_name_parts: NameParts
  contact_email: string | null
  contact_cc_email: string | null
  locale: string
  allow_lead_scanning: boolean
  tags: string[]
  leads: number
  vouchers: number
}

export async function countExportExhibitors (db: Db, eventId: number): Promise<number> {
  const row = await db.selectFrom('exhibitors').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** One page of the event's exhibitors by id after `afterId`, with tag names and lead and voucher counts. */
export async function exhibitorExportPage (db: Db, eventId: number, afterId: number, limit: number): Promise<ExhibitorExportRow[]> {
  return await db.selectFrom('exhibitors as e')
    .select((eb) => [
      'e.id', 'e.name', 'e.internal_id', 'e.booth', 'e.contact_name_parts', 'e.contact_email', 'e.contact_cc_email',
      'e.locale', 'e.allow_lead_scanning',
      sql<string[]>`coalesce((${eb.selectFrom('exhibitor_tag_links as l')
        .innerJoin('exhibitor_tags as t', 't.id', 'l.tag_id')
        .select(sql`json_agg(t.name order by t.name)`.as('names'))
        .whereRef('l.exhibitor_id', '=', 'e.id')}), '[]'::json)`.as('tags'),
      eb.selectFrom('leads').select((c) => c.fn.countAll<number>().as('n')).whereRef('leads.exhibitor_id', '=', 'e.id').as('leads'),
      eb.selectFrom('exhibitor_vouchers as v').select((c) => c.fn.countAll<number>().as('n')).whereRef('v.exhibitor_id', '=', 'e.id').as('vouchers')
    ])
    .where('e.event_id', '=', eventId)
    .where('e.id', '>', afterId)
    .orderBy('e.id')
    .limit(limit)
    .execute() as ExhibitorExportRow[]
}

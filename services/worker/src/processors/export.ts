import { Writable } from 'node:stream'
import { UnrecoverableError, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import { contentTypeOf, fileName, leadCells, leadColumns, writeTable, type Cell, type Column, type FileFormat } from '@showfloor/files'
import { ExportParametersSchema, ExportRunJob, displayName, isExporterId, parseJob, type ExportParameters, type ExporterId } from '@showfloor/schemas'

// Runs a data export (contract section 12): reads the rows in short pages (the statement timeout
// applies to each), writes them through the shared CSV/XLSX writer into chunks stored in
// PostgreSQL as the file grows, and marks the export done in the transaction that stores the last
// chunk. Memory holds one page of rows and one chunk of file, whatever the number of leads.

export interface ExportOptions {
  /** Rows per query. */
  pageSize: number
  /** Bytes of file per stored chunk. */
  chunkBytes: number
  /** Least time between two progress reports (each also tells the reconciler the run is alive). */
  progressEveryMs: number
  /** A done (or failed) export is kept this long. */
  ttlSeconds: number
  /** A run past this many (retries, workers that died, the reconciler's requeues) fails the export. */
  maxRuns: number
  /**
   * Up to this many leads are read through one cursor (its first fetch joins and sorts them all,
   * which must stay well inside the statement timeout); more are read in keyset pages.
   */
  cursorMaxRows: number
}

export const EXPORT_DEFAULTS: ExportOptions = {
  pageSize: 2000,
  chunkBytes: 1024 * 1024,
  progressEveryMs: 500,
  ttlSeconds: 24 * 3600,
  maxRuns: 20,
  cursorMaxRows: 250_000
}

export type ExportResult = { done: string, rows: number, bytes: number } | { skipped: string } | { failed: string }

/** Another run took the export over: this one stops and leaves it alone. */
class Superseded extends Error {}

type Labels = Record<string, string>

// The columns this module adds; the lead columns of section 11 are the writer package's.
const LEAD_LABELS: Record<string, Labels> = {
  en: { exhibitor: 'Exhibitor', booth: 'Booth', internal_id: 'Exhibitor ID' },
  de: { exhibitor: 'Aussteller', booth: 'Stand', internal_id: 'Aussteller-ID' }
}

const EXHIBITOR_LABELS: Record<string, Labels> = {
  en: {
    id: 'ID',
    name: 'Name',
    internal_id: 'Internal ID',
    booth: 'Booth',
    contact_name: 'Contact name',
    contact_email: 'Contact email',
    cc_email: 'CC email',
    locale: 'Locale',
    tags: 'Tags',
    leads: 'Leads',
    vouchers: 'Vouchers',
    lead_scanning: 'Lead scanning'
  },
  de: {
    id: 'ID',
    name: 'Name',
    internal_id: 'Interne ID',
    booth: 'Stand',
    contact_name: 'Kontaktperson',
    contact_email: 'Kontakt-E-Mail',
    cc_email: 'CC-E-Mail',
    locale: 'Sprache',
    tags: 'Tags',
    leads: 'Leads',
    vouchers: 'Gutscheine',
    lead_scanning: 'Lead-Scanning'
  }
}

function labelsFor (table: Record<string, Labels>, locale: string): Labels {
  return table[locale.toLowerCase().split(/[-_]/)[0]] ?? table.en
}

/**
 * A writable that stores what it is given as numbered chunks of one run, `chunkBytes` at a time;
 * the rest stays in hand for the transaction that completes the export (`take`). A chunk that
 * cannot be stored errors the stream, which ends the writing with that error.
 */
class ChunkSink extends Writable {
  private parts: Buffer[] = []
  private buffered = 0
  seq = 0
  bytes = 0

  constructor (private readonly db: Db, private readonly id: string, private readonly run: number, private readonly chunkBytes: number) {
    super()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.parts.push(chunk)
    this.buffered += chunk.length
    this.bytes += chunk.length
    if (this.buffered < this.chunkBytes) {
      callback()
      return
    }
    const data = this.take()
    queries.exports.writeChunk(this.db, this.id, this.run, this.seq++, data).then(() => { callback() }, callback)
  }

  /** What is not stored yet; empty once taken. */
  take (): Buffer {
    const data = Buffer.concat(this.parts, this.buffered)
    this.parts = []
    this.buffered = 0
    return data
  }
}

interface Progress {
  /** Counts rows written; reports progress now and then. Throws Superseded when the run lost the export. */
  row: () => Promise<void>
}

function progress (db: Db, id: string, run: number, total: number, everyMs: number): Progress {
  let done = 0
  let reported = Date.now()
  return {
    row: async () => {
      done++
      if (Date.now() - reported < everyMs) return
      reported = Date.now()
      // 100 only once the file is stored.
      const percentage = total === 0 ? 0 : Math.min(99, Math.floor(done * 100 / total))
      if (!await queries.exports.reportProgress(db, id, run, percentage)) throw new Superseded()
    }
  }
}

interface Table {
  sheetName: string
  timeZone: string
  columns: Column[]
  /** Hands the rows to `write`; resolves when it is done (a cursor's transaction lasts as long). */
  rows: (write: (rows: AsyncIterable<Cell[]>) => Promise<void>) => Promise<void>
  nameParts: string[]
}

type Exhibitor = queries.exports.LeadExportExhibitor
type LeadPage = [Exhibitor, queries.exports.LeadExportRow[]]

/**
 * The exhibitors' leads page by page, each exhibitor's in keyset order, the next page always read
 * while the current one is written: the file waits for the database only when the writer is faster.
 */
async function * leadPages (db: Db, exhibitors: readonly Exhibitor[], since: Date | null, pageSize: number): AsyncIterable<LeadPage> {
  const fetch = (index: number, after: queries.leads.LeadCursor | null): Promise<LeadPage> | null => {
    if (index >= exhibitors.length) return null
    const exhibitor = exhibitors[index]
    const pending = queries.exports.leadExportPage(db, exhibitor.id, since, after, pageSize).then((page): LeadPage => [exhibitor, page])
    pending.catch(() => {}) // awaited below; a failure must not go unobserved meanwhile
    return pending
  }
  let index = 0
  let next = fetch(index, null)
  while (next !== null) {
    const [exhibitor, page] = await next
    if (page.length === pageSize) {
      const last = page[page.length - 1]
      next = fetch(index, { at: last.cursor, id: last.id })
    } else {
      next = fetch(++index, null)
    }
    if (page.length > 0) yield [exhibitor, page]
  }
}

async function leadTable (db: Db, id: string, run: number, eventId: number, params: ExportParameters, options: ExportOptions): Promise<Table> {
  const event = await queries.exports.findExportEvent(db, eventId)
  if (!event) throw new UnrecoverableError('The event no longer exists.')
  const labels = labelsFor(LEAD_LABELS, event.locale)
  const since = params.since !== undefined ? new Date(params.since) : null
  const exhibitors = await queries.exports.leadExportExhibitors(db, eventId, params.exhibitors)
  const total = await queries.exports.countExportLeads(db, exhibitors.map((e) => e.id), since)
  if (!await queries.exports.reportProgress(db, id, run, 0)) throw new Superseded()
  const tick = progress(db, id, run, total, options.progressEveryMs)
  const { lead_fields: leadFields, locale } = event
  const cells = (exhibitor: Exhibitor, lead: queries.exports.LeadExportRow): Cell[] =>
    [exhibitor.name, exhibitor.booth, exhibitor.internal_id, ...leadCells({ ...lead, last_changed: lead.last_upload }, leadFields, locale)]
  async function * paged (): AsyncIterable<Cell[]> {
    for await (const [exhibitor, page] of leadPages(db, exhibitors, since, options.pageSize)) {
      for (const lead of page) {
        yield cells(exhibitor, lead)
        await tick.row()
      }
    }
  }
  async function * cursor (trx: Db): AsyncIterable<Cell[]> {
    const byId = new Map(exhibitors.map((e) => [e.id, e]))
    for (;;) {
      const page = await queries.exports.fetchLeadExportCursor(trx, 'export_leads', options.pageSize)
      for (const lead of page) {
        yield cells(byId.get(lead.exhibitor_id)!, lead)
        await tick.row()
      }
      if (page.length < options.pageSize) return
    }
  }
  const rows = async (write: (rows: AsyncIterable<Cell[]>) => Promise<void>): Promise<void> => {
    if (total > options.cursorMaxRows) {
      await write(paged())
      return
    }
    await db.transaction().execute(async (trx) => {
      await queries.exports.declareLeadExportCursor(trx, 'export_leads', eventId, exhibitors.map((e) => e.id), since)
      await write(cursor(trx))
    })
  }
  return {
    sheetName: 'Leads',
    timeZone: event.timezone,
    columns: [
      { header: labels.exhibitor, kind: 'text' },
      { header: labels.booth, kind: 'text' },
      { header: labels.internal_id, kind: 'text' },
      ...leadColumns(event.lead_fields, event.locale)
    ],
    rows,
    nameParts: [event.slug, 'exhibitor', 'leads']
  }
}

async function exhibitorTable (db: Db, id: string, run: number, eventId: number, options: ExportOptions): Promise<Table> {
  const event = await queries.exports.findExportEvent(db, eventId)
  if (!event) throw new UnrecoverableError('The event no longer exists.')
  const labels = labelsFor(EXHIBITOR_LABELS, event.locale)
  const total = await queries.exports.countExportExhibitors(db, eventId)
  if (!await queries.exports.reportProgress(db, id, run, 0)) throw new Superseded()
  const tick = progress(db, id, run, total, options.progressEveryMs)
  async function * rows (): AsyncIterable<Cell[]> {
    for (let after = 0; ;) {
      const page = await queries.exports.exhibitorExportPage(db, eventId, after, options.pageSize)
      for (const e of page) {
        yield [
          e.id, e.name, e.internal_id, e.booth, displayName(e.contact_name_parts), e.contact_email, e.contact_cc_email,
          e.locale, e.tags.length > 0 ? e.tags.join(', ') : null, Number(e.leads), Number(e.vouchers), e.allow_lead_scanning ? 'yes' : 'no'
        ]
        await tick.row()
      }
      if (page.length < options.pageSize) break
      after = page[page.length - 1].id
    }
  }
  const column = (key: string, kind: Column['kind'] = 'text'): Column => ({ header: labels[key], kind })
  return {
    sheetName: 'Exhibitors',
    timeZone: event.timezone,
    columns: [
      column('id', 'number'), column('name'), column('internal_id'), column('booth'), column('contact_name'),
      column('contact_email'), column('cc_email'), column('locale'), column('tags'), column('leads', 'number'),
      column('vouchers', 'number'), column('lead_scanning')
    ],
    rows: async (write) => { await write(rows()) },
    nameParts: [event.slug, 'exhibitors']
  }
}

/** Writes the whole file of one run; done in the transaction that stores its last chunk. */
async function produce (db: Db, id: string, run: number, eventId: number, identifier: ExporterId, params: ExportParameters, options: ExportOptions): Promise<{ rows: number, bytes: number, fileName: string } | null> {
  const table = identifier === 'exhibitor_leads'
    ? await leadTable(db, id, run, eventId, params, options)
    : await exhibitorTable(db, id, run, eventId, options)
  const format: FileFormat = params._format
  let rows = 0
  const sink = new ChunkSink(db, id, run, options.chunkBytes)
  await table.rows(async (cells) => {
    // Resolves once the sink finished; a chunk that could not be stored rejects it.
    rows = await writeTable(sink, { format, sheetName: table.sheetName, timeZone: table.timeZone, columns: table.columns }, cells)
  })
  const name = fileName(table.nameParts, new Date(), table.timeZone, format)
  const stored = await db.transaction().execute(async (trx) => {
    await queries.exports.writeChunk(trx, id, run, sink.seq, sink.take())
    return await queries.exports.completeExport(trx, id, run, { fileName: name, contentType: contentTypeOf(format), size: sink.bytes }, options.ttlSeconds)
  })
  return stored ? { rows, bytes: sink.bytes, fileName: name } : null
}

function readParameters (identifier: string, params: unknown): { identifier: ExporterId, params: ExportParameters } {
  if (!isExporterId(identifier)) throw new UnrecoverableError(`This exporter is not known: ${identifier}.`)
  try {
    return { identifier, params: parseJob(ExportParametersSchema, params) }
  } catch {
    throw new UnrecoverableError('The export parameters are not valid.')
  }
}

/**
 * The export job. A run claims the export first (a job that finds it done, failed, gone or run by
 * another job does nothing). Failures are retried by BullMQ, each attempt writing the file afresh;
 * one that cannot succeed (an unknown exporter, parameters it cannot read) or the last attempt
 * marks the export failed, which its download URL then answers with 410.
 */
export function exportProcessor (db: Db, log: FastifyBaseLogger, overrides: Partial<ExportOptions> = {}) {
  const options = { ...EXPORT_DEFAULTS, ...overrides }
  return async function runExport (job: Job): Promise<ExportResult> {
    const { export_id: id } = parseJob(ExportRunJob, job.data)
    const claimed = await queries.exports.claimExport(db, id, String(job.id))
    if (!claimed) return { skipped: 'not waiting, or run by another job' }
    const { run } = claimed
    try {
      if (run > options.maxRuns) throw new UnrecoverableError(`The export was started ${options.maxRuns} times without finishing.`)
      const { identifier, params } = readParameters(claimed.identifier, claimed.params)
      const result = await produce(db, id, run, claimed.event_id, identifier, params, options)
      if (result === null) {
        await queries.exports.deleteRunChunks(db, id, run)
        return { skipped: 'taken over by another run' }
      }
      return { done: result.fileName, rows: result.rows, bytes: result.bytes }
    } catch (err) {
      if (err instanceof Superseded) {
        await queries.exports.deleteRunChunks(db, id, run).catch(() => {})
        return { skipped: 'taken over by another run' }
      }
      const permanent = err instanceof UnrecoverableError
      const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      if (last) {
        // Messages of our own are meant for the client; anything else stays in the log.
        const message = permanent ? (err as Error).message : 'The export failed. Please try again later.'
        const failed = await queries.exports.failExport(db, id, run, message, options.ttlSeconds).catch(() => false)
        log.error({ err, exportId: id, run, failed }, 'export failed for good')
      } else {
        await queries.exports.deleteRunChunks(db, id, run).catch(() => {})
      }
      throw err
    }
  }
}

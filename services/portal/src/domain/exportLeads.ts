import { once } from 'node:events'
import { PassThrough, type Writable } from 'node:stream'
import { queries, type Db } from '@showfloor/db'
import type { Cell, FileFormat } from '@showfloor/files'

type Exhibitor = queries.portalExhibitors.PortalExhibitor
type LeadFilter = queries.portalLeads.LeadFilter

/** Rows read per keyset page: few round trips, and never more than this many leads in memory. */
export const EXPORT_PAGE = 500

// The writer (and the spreadsheet library under it) is loaded on the first export, not at start:
// a process that only serves pages stays that much smaller.
const files = async () => await import('@showfloor/files')

/** The filtered leads as export rows, read from PostgreSQL a page at a time as the writer takes them. */
async function * leadRows (db: Db, filter: LeadFilter, leadFieldIds: readonly string[], locale: string): AsyncGenerator<Cell[]> {
  const { leadCells } = await files()
  const needs = { answers: leadFieldIds.some((id) => id.startsWith('question:')), item: leadFieldIds.includes('item') }
  type Page = queries.portalLeads.ExportLeadRow[]
  let next: Promise<Page> | null = queries.portalLeads.leadsAfter(db, filter, null, EXPORT_PAGE, needs)
  while (next !== null) {
    const rows: Page = await next
    const last = rows[rows.length - 1]
    // The next page is read while this one is written: PostgreSQL and the writer work side by side.
    next = rows.length < EXPORT_PAGE ? null : queries.portalLeads.leadsAfter(db, filter, { at: last.cursor_at, id: last.id }, EXPORT_PAGE, needs)
    next?.catch(() => {})
    for (const row of rows) yield leadCells(row, leadFieldIds, locale)
  }
}

export interface LeadExport {
  fileName: string
  contentType: string
  /** Writes the file to `out` (and ends it), then moves the exhibitor's export mark. */
  write: (out: Writable) => Promise<number>
}

/**
 * An export of the leads that `filter` shows (with `onlyNew`, only those first uploaded or changed
 * since the exhibitor's previous export). The mark moves to the moment this export started once the
 * whole file was written, whatever the format; an export that breaks off leaves it where it was.
 * Undefined when the exhibitor is gone.
 */
export async function prepareExport (db: Db, exhibitor: Exhibitor, filter: LeadFilter, onlyNew: boolean, format: FileFormat, locale: string): Promise<LeadExport | undefined> {
  const start = await queries.portalExhibitors.startExport(db, exhibitor.id)
  if (start === undefined) return undefined
  const scoped: LeadFilter = { ...filter, changedAfter: onlyNew ? start.previous : null }
  const { contentTypeOf, fileName, leadColumns, writeTable } = await files()
  const timeZone = exhibitor.timezone
  return {
    fileName: fileName([exhibitor.event_slug, exhibitor.name, 'leads'], new Date(), timeZone, format),
    contentType: contentTypeOf(format),
    write: async (out) => {
      // The file goes through `file`, so `out` ends only once the mark moved: whoever has the
      // whole file finds the mark where this export put it.
      const file = new PassThrough()
      file.pipe(out, { end: false })
      const ended = file.readableEnded ? Promise.resolve() : once(file, 'end')
      ended.catch(() => {})
      try {
        const columns = leadColumns(exhibitor.lead_fields, locale)
        const count = await writeTable(file, { format, sheetName: 'Leads', timeZone, columns }, leadRows(db, scoped, exhibitor.lead_fields, locale))
        await ended
        await queries.portalExhibitors.markExported(db, exhibitor.id, start.startedAt)
        out.end()
        return count
      } catch (err) {
        out.destroy(err as Error)
        throw err
      }
    }
  }
}

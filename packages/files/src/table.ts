import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { stringify } from 'csv-stringify'
import ExcelJS from 'exceljs'
import type { FileFormat } from './formats.js'
import { localMinute, wallClock } from './wallClock.js'

/** A column of a table file; `datetime` cells are written in the table's time zone. */
export interface Column {
  header: string
  kind?: 'text' | 'number' | 'datetime'
  /** Width in characters for XLSX; measured from the header and the first rows when left out. */
  width?: number
}

/** A cell: text, a number, an instant (written as the table's wall-clock time) or empty. */
export type Cell = string | number | Date | null | undefined

export interface TableOptions {
  format: FileFormat
  /** The XLSX sheet's name. */
  sheetName: string
  /** The IANA zone whose wall clock dates are written in. */
  timeZone: string
  columns: readonly Column[]
}

/** Cells that a spreadsheet would read as a formula (or a DDE call) begin with one of these. */
const FORMULA_START = /^[=+\-@\t\r]/

/** CSV text of a cell: times as `YYYY-MM-DD HH:MM`, text that could start a formula behind a `'`. */
function csvCell (cell: Cell, timeZone: string): string {
  if (cell === null || cell === undefined) return ''
  if (cell instanceof Date) return localMinute(cell, timeZone)
  if (typeof cell === 'number') return String(cell)
  return FORMULA_START.test(cell) ? `'${cell}` : cell
}

/** Waits while the destination is full: memory stays flat however many rows come. */
async function drained (out: Writable): Promise<void> {
  if (out.writableNeedDrain) await once(out, 'drain')
}

/** Resolves when `out` finished; handled at once, so a destroyed `out` is no unhandled rejection. */
function finished (out: Writable): { wait: () => Promise<void> } {
  const promise = out.writableFinished ? Promise.resolve() : once(out, 'finish').then(() => undefined)
  promise.catch(() => {})
  return { wait: async () => { await promise } }
}

async function writeCsv (out: Writable, options: TableOptions, rows: AsyncIterable<Cell[]> | Iterable<Cell[]>): Promise<number> {
  // RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF line ends.
  // The BOM lets spreadsheet programs read the file as UTF-8.
  const csv = stringify({ bom: true, record_delimiter: '\r\n', quoted_match: /\r/ })
  csv.pipe(out)
  const done = finished(out)
  let count = 0
  const write = async (record: string[]): Promise<void> => {
    if (!csv.write(record)) await once(csv, 'drain')
  }
  await write(options.columns.map((column) => csvCell(column.header, options.timeZone)))
  for await (const row of rows) {
    await write(row.map((cell) => csvCell(cell, options.timeZone)))
    count++
  }
  csv.end()
  await done.wait()
  return count
}

/** Rows looked at to size XLSX columns whose width is not given. */
const SAMPLE_ROWS = 100
const MAX_WIDTH = 60
const YIELD_EVERY = 50
const DATETIME_FORMAT = 'yyyy-mm-dd hh:mm'

function cellLength (cell: Cell): number {
  if (cell === null || cell === undefined) return 0
  if (cell instanceof Date) return 16
  const text = String(cell)
  const newline = text.indexOf('\n')
  return newline === -1 ? text.length : newline
}

async function writeXlsx (out: Writable, options: TableOptions, rows: AsyncIterable<Cell[]> | Iterable<Cell[]>): Promise<number> {
  // Inline strings (no shared-string table kept in memory) and no formulas: every text is written
  // as a string cell exactly as it is, so nothing in a lead runs when the file is opened.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  const done = finished(out)
  const sheet = workbook.addWorksheet(options.sheetName, { views: [{ state: 'frozen', ySplit: 1 }] })
  const { columns, timeZone } = options
  const toCell = (cell: Cell, index: number): ExcelJS.CellValue => {
    if (cell === null || cell === undefined) return null
    if (cell instanceof Date) return wallClock(cell, timeZone)
    if (columns[index]?.kind === 'number' && typeof cell === 'number') return cell
    return typeof cell === 'number' ? cell : String(cell)
  }

  // Widths come first in the file, so the first rows are held back to measure them.
  const iterator = (Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : (rows as Iterable<Cell[]>)[Symbol.iterator]()) as AsyncIterator<Cell[]> | Iterator<Cell[]>
  const sample: Cell[][] = []
  let next = await iterator.next()
  while (!next.done && sample.length < SAMPLE_ROWS) {
    sample.push(next.value)
    next = await iterator.next()
  }
  sheet.columns = columns.map((column, index) => {
    const measured = Math.max(column.header.length, ...sample.map((row) => cellLength(row[index])))
    return {
      width: column.width ?? Math.min(MAX_WIDTH, Math.max(8, measured + 2)),
      ...(column.kind === 'datetime' && { style: { numFmt: DATETIME_FORMAT } })
    }
  })
  const header = sheet.addRow(columns.map((column) => column.header))
  header.font = { bold: true }
  header.commit()
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: Math.max(1, columns.length) } }

  let count = 0
  const add = async (row: Cell[]): Promise<void> => {
    sheet.addRow(row.map(toCell)).commit()
    count++
    // The zip compresses on the event loop's next turns: give it some every so many rows, or the
    // whole sheet would pile up in memory before the first byte goes out.
    if (count % YIELD_EVERY === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      await drained(out)
    }
  }
  for (const row of sample) await add(row)
  while (!next.done) {
    await add(next.value)
    next = await iterator.next()
  }
  sheet.commit()
  await workbook.commit()
  await done.wait()
  return count
}

/**
 * Writes a table as CSV (UTF-8 with BOM, RFC 4180, CRLF, formula guard) or XLSX (one sheet, bold
 * frozen header, autofilter, string cells only) to `out`, streaming: rows are pulled from `rows` as
 * `out` takes them, so memory does not grow with their number. Ends `out`; resolves with the number
 * of rows written once it finished. When `rows` throws, `out` is destroyed with the error and the
 * error is thrown, so no half file passes for a whole one.
 */
export async function writeTable (out: Writable, options: TableOptions, rows: AsyncIterable<Cell[]> | Iterable<Cell[]>): Promise<number> {
  try {
    return options.format === 'csv' ? await writeCsv(out, options, rows) : await writeXlsx(out, options, rows)
  } catch (err) {
    out.destroy(err as Error)
    throw err
  }
}

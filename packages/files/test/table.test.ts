import { randomBytes } from 'node:crypto'
import { PassThrough, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { writeTable, type Cell, type TableOptions } from '../src/index.js'

/** Collects what a stream receives. */
function sink (): { out: Writable, bytes: () => Buffer } {
  const chunks: Buffer[] = []
  const out = new Writable({
    write (chunk, _encoding, callback) { chunks.push(Buffer.from(chunk)); callback() }
  })
  return { out, bytes: () => Buffer.concat(chunks) }
}

const columns: TableOptions['columns'] = [
  { header: 'Name' },
  { header: 'Rating', kind: 'number' },
  { header: 'Notes' },
  { header: 'First scanned', kind: 'datetime' }
]
// 2026-03-29 00:30 UTC is 01:30 in Berlin (winter time); 2026-03-29 01:30 UTC is 03:30 (summer time).
const rows: Cell[][] = [
  ['Ada Lovelace', 5, 'likes "engines", and more', new Date('2026-03-29T00:30:00Z')],
  ['=HYPERLINK("http://evil")', null, '+1 call back\r\nline two', new Date('2026-03-29T01:30:00Z')],
  ['-minus', 0, '@sum', null],
  ['\tTabbed', 3, 'Zürich ✓', new Date('2026-12-31T23:59:00Z')]
]

t.test('CSV: BOM, header, RFC 4180 quoting, CRLF, wall-clock times, formula guard', async (t) => {
  const { out, bytes } = sink()
  const count = await writeTable(out, { format: 'csv', sheetName: 'Leads', timeZone: 'Europe/Berlin', columns }, rows)
  t.equal(count, 4)
  const file = bytes()
  t.same([...file.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM')
  const text = file.subarray(3).toString('utf8')
  t.equal(text.split('\r\n')[0], 'Name,Rating,Notes,First scanned')
  t.equal(text.split('\r\n')[1], 'Ada Lovelace,5,"likes ""engines"", and more",2026-03-29 01:30')
  t.ok(text.endsWith('\r\n'), 'the last record ends with CRLF too')
  t.same(parse(text, { bom: true, relaxColumnCount: false }), [
    ['Name', 'Rating', 'Notes', 'First scanned'],
    ['Ada Lovelace', '5', 'likes "engines", and more', '2026-03-29 01:30'],
    ["'=HYPERLINK(\"http://evil\")", '', "'+1 call back\r\nline two", '2026-03-29 03:30'],
    ["'-minus", '0', "'@sum", ''],
    ["'\tTabbed", '3', 'Zürich ✓', '2027-01-01 00:59']
  ])
})

t.test('XLSX: one sheet, bold frozen header, autofilter, string cells as they are, wall-clock dates', async (t) => {
  const { out, bytes } = sink()
  const count = await writeTable(out, { format: 'xlsx', sheetName: 'Leads', timeZone: 'Europe/Berlin', columns }, rows)
  t.equal(count, 4)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(bytes() as unknown as ArrayBuffer)
  t.same(workbook.worksheets.map((sheet) => sheet.name), ['Leads'])
  const sheet = workbook.getWorksheet('Leads')!
  t.same(sheet.getRow(1).values, [undefined, 'Name', 'Rating', 'Notes', 'First scanned'])
  t.equal(sheet.getRow(1).getCell(1).font?.bold, true, 'header is bold')
  t.match(sheet.views[0], { state: 'frozen', ySplit: 1 }, 'header row frozen')
  t.equal(sheet.autoFilter, 'A1:D1', 'autofilter over the header')
  t.equal(sheet.rowCount, 5)

  const formula = sheet.getRow(3).getCell(1)
  t.equal(formula.type, ExcelJS.ValueType.String, 'text that looks like a formula is a string cell')
  t.equal(formula.value, '=HYPERLINK("http://evil")', 'written as it is, no quote')
  // XML reads a CR LF inside text back as LF.
  t.equal(sheet.getRow(3).getCell(3).value, '+1 call back\nline two')
  t.equal(sheet.getRow(4).getCell(3).value, '@sum')
  t.equal(sheet.getRow(2).getCell(2).value, 5)
  t.equal(sheet.getRow(3).getCell(2).value, null)

  const scanned = sheet.getRow(2).getCell(4)
  t.equal(scanned.type, ExcelJS.ValueType.Date)
  t.equal((scanned.value as Date).toISOString(), '2026-03-29T01:30:00.000Z', 'holds the Berlin wall clock')
  t.equal((sheet.getRow(3).getCell(4).value as Date).toISOString(), '2026-03-29T03:30:00.000Z', 'after the change to summer time')
  t.equal(scanned.numFmt, 'yyyy-mm-dd hh:mm')
  const widths = sheet.columns.map((column) => column.width ?? 0)
  t.ok(widths[0] >= 'Ada Lovelace'.length && widths[0] <= 60, `name column sized to its content (${widths[0]})`)
})

for (const format of ['csv', 'xlsx'] as const) {
  t.test(`${format}: rows are pulled only as the destination takes them`, async (t) => {
    const total = 50000
    let pulled = 0
    async function * generate (): AsyncGenerator<Cell[]> {
      for (let i = 0; i < total; i++) {
        pulled++
        // Random text: XLSX is compressed, and repeated text would hardly reach the destination.
        yield [`Attendee ${i}`, i % 6, randomBytes(100).toString('base64'), new Date(1_800_000_000_000 + i * 60000)]
      }
    }
    const out = new PassThrough({ highWaterMark: 16 * 1024 })
    const writing = writeTable(out, { format, sheetName: 'Leads', timeZone: 'UTC', columns }, generate())
    await sleep(300)
    t.ok(pulled < total / 5, `nobody reads yet: only ${pulled} of ${total} rows pulled`)
    let size = 0
    out.on('data', (chunk: Buffer) => { size += chunk.length })
    t.equal(await writing, total)
    t.equal(pulled, total)
    t.ok(size > 0)
  })
}

t.test('a failing row source destroys the destination and throws', async (t) => {
  for (const format of ['csv', 'xlsx'] as const) {
    async function * failing (): AsyncGenerator<Cell[]> {
      yield ['one', 1, '', null]
      throw new Error('database went away')
    }
    const out = new PassThrough()
    out.resume()
    await t.rejects(writeTable(out, { format, sheetName: 'Leads', timeZone: 'UTC', columns }, failing()), /database went away/)
    t.ok(out.destroyed, `${format}: destination destroyed`)
  }
})

t.test('an empty table is a header only', async (t) => {
  const { out, bytes } = sink()
  t.equal(await writeTable(out, { format: 'csv', sheetName: 'Leads', timeZone: 'UTC', columns }, []), 0)
  t.equal(bytes().subarray(3).toString(), 'Name,Rating,Notes,First scanned\r\n')
})

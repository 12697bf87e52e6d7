import t from 'tap'
import { contentTypeOf, fileName, isFileFormat, localDate, localMinute, slugify, wallClock } from '../src/index.js'

t.test('slugify keeps lower-case ASCII letters and digits joined by -', async (t) => {
  t.equal(slugify('Müller & Söhne GmbH'), 'muller-sohne-gmbh')
  t.equal(slugify('  DemoCon 2026!  '), 'democon-2026')
  t.equal(slugify('Booth #12 / Hall B'), 'booth-12-hall-b')
  t.equal(slugify('日本'), '')
})

t.test('fileName: slugged parts and the date in the zone', async (t) => {
  // 23:30 UTC on the 30th is already the 1st in Berlin.
  const at = new Date('2026-11-30T23:30:00Z')
  t.equal(fileName(['democon', 'Acme Inc.', 'leads'], at, 'Europe/Berlin', 'csv'), 'democon-acme-inc-leads-2026-12-01.csv')
  t.equal(fileName(['democon', '日本', 'leads'], at, 'UTC', 'xlsx'), 'democon-leads-2026-11-30.xlsx')
})

t.test('wall clock across a change of offset', async (t) => {
  t.equal(localMinute(new Date('2026-10-25T00:59:00Z'), 'Europe/Berlin'), '2026-10-25 02:59', 'summer time')
  t.equal(localMinute(new Date('2026-10-25T01:00:00Z'), 'Europe/Berlin'), '2026-10-25 02:00', 'back to winter time')
  t.equal(localMinute(new Date('2026-06-01T12:00:00Z'), 'Asia/Kolkata'), '2026-06-01 17:30', 'half-hour offset')
  t.equal(localMinute(new Date('2026-06-01T12:00:00Z'), 'Asia/Kathmandu'), '2026-06-01 17:45', 'quarter-hour offset')
  t.equal(localDate(new Date('2026-06-01T02:00:00Z'), 'America/New_York'), '2026-05-31')
  t.equal(wallClock(new Date('2026-06-01T12:00:00Z'), 'UTC').toISOString(), '2026-06-01T12:00:00.000Z')
})

t.test('formats', async (t) => {
  t.equal(contentTypeOf('csv'), 'text/csv; charset=utf-8')
  t.equal(contentTypeOf('xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  t.ok(isFileFormat('xlsx'))
  t.notOk(isFileFormat('pdf'))
})

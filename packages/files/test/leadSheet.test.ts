import t from 'tap'
import { leadCells, leadColumns, type LeadSheetRow } from '../src/index.js'

const lead: LeadSheetRow = {
  attendee_name_parts: { _scheme: 'salutation_title_given_family', title: 'Dr', given_name: 'Ada', family_name: 'Lovelace' },
  attendee_email: null,
  company: 'Analytical Engines Ltd',
  street: null,
  zipcode: null,
  city: 'London',
  country: 'GB',
  answers: [{ question: 'Interest', question_identifier: 'INTEREST', answer: 'Engines' }] as LeadSheetRow['answers'],
  order_code: 'ABC12',
  order_email: 'ada@example.org',
  item_name: { en: 'Day ticket', de: 'Tageskarte' },
  rating: 4,
  tags: ['hot', 'call back'],
  notes: 'wants a demo',
  device_name: 'Booth iPad',
  scanned: new Date('2026-11-30T09:00:00Z'),
  last_changed: new Date('2026-11-30T10:00:00Z')
}
const fields = ['attendee_name', 'attendee_email', 'company', 'zipcode', 'item', 'question:INTEREST']

t.test('columns follow the lead fields, then the exhibitor data, in the locale', async (t) => {
  t.same(leadColumns(fields, 'en').map((c) => c.header), ['Name', 'Email', 'Company', 'ZIP code', 'Product', 'INTEREST', 'Rating', 'Tags', 'Notes', 'Device', 'First scanned', 'Last changed'])
  t.same(leadColumns(fields, 'de').map((c) => c.header), ['Name', 'E-Mail', 'Firma', 'PLZ', 'Produkt', 'INTEREST', 'Bewertung', 'Tags', 'Notizen', 'Gerät', 'Erster Scan', 'Zuletzt geändert'])
  t.same(leadColumns([], 'en').map((c) => c.kind ?? 'text'), ['number', 'text', 'text', 'text', 'datetime', 'datetime'])
})

t.test('cells in the same order; empty fields stay empty', async (t) => {
  t.same(leadCells(lead, fields, 'de'), [
    'Dr Ada Lovelace', 'ada@example.org', 'Analytical Engines Ltd', null, 'Tageskarte', 'Engines',
    4, 'hot, call back', 'wants a demo', 'Booth iPad', lead.scanned, lead.last_changed
  ])
  t.same(leadCells({ ...lead, rating: null, tags: [], device_name: null }, [], 'en'), [null, '', 'wants a demo', null, lead.scanned, lead.last_changed])
})

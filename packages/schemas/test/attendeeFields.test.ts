import t from 'tap'
import { attendeeFields, displayName, type AttendeeInput } from '@showfloor/schemas'

// The pure functions behind the leads' `data` (shared with the App API and the enrichment worker).

const input: AttendeeInput = {
  attendee_name_parts: { _scheme: 'salutation_title_given_family', salutation: 'Ms', title: '', given_name: 'Caroline', family_name: '' },
  attendee_email: '',
  order_email: 'order@example.org',
  company: null,
  street: null,
  zipcode: null,
  city: null,
  country: 'DE',
  order_code: 'ABC12',
  item_name: { fr: 'Billet', nl: 'Kaartje' },
  answers: [{ question_identifier: 'size', question: 'Shirt size', answer: 'L' }]
}

t.test('displayName', async (t) => {
  t.equal(displayName({ _scheme: 'salutation_title_given_family', salutation: 'Mr', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' }), 'Dr Cave Johnson')
  t.equal(displayName({ given_name: '  Cave ', family_name: 'Johnson' }), 'Cave Johnson')
  t.equal(displayName({ salutation: 'Mr' }), null, 'the salutation alone is no name')
  t.equal(displayName({ _legacy: 'Cave Johnson' }), 'Cave Johnson')
  t.equal(displayName({}), null)
  t.equal(displayName(null), null)
})

t.test('attendeeFields', async (t) => {
  const ids = ['attendee_name', 'attendee_email', 'company', 'country', 'item', 'order_code', 'question:size', 'question:none', 'unknown']
  t.same(attendeeFields(input, ids, 'de-formal'), [
    { id: 'attendee_name', label: 'Name', value: 'Caroline', details: [{ label: 'Anrede', value: 'Ms' }, { label: 'Vorname', value: 'Caroline' }] },
    { id: 'attendee_email', label: 'E-Mail', value: 'order@example.org', details: [] },
    { id: 'country', label: 'Land', value: 'DE', details: [] },
    { id: 'item', label: 'Produkt', value: 'Billet', details: [] },
    { id: 'order_code', label: 'Bestellnummer', value: 'ABC12', details: [] },
    { id: 'question:size', label: 'Shirt size', value: 'L', details: [] }
  ], 'a regional locale uses its language; the item falls back to its first name; unknown and empty fields are left out')
  t.same(attendeeFields(input, ['item', 'attendee_email'], 'nl').map((f) => [f.label, f.value]), [['Product', 'Kaartje'], ['Email', 'order@example.org']],
    'labels fall back to English, the item name follows the locale')
  t.same(attendeeFields({ ...input, attendee_name_parts: { _legacy: 'Caroline' } }, ['attendee_name'], 'en'),
    [{ id: 'attendee_name', label: 'Name', value: 'Caroline', details: [] }])
  t.same(attendeeFields({ ...input, attendee_name_parts: {}, attendee_name: 'Stored Name' }, ['attendee_name'], 'en')[0].value, 'Stored Name')
  t.same(attendeeFields(input, [], 'en'), [])
})

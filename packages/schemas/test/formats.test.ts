import t from 'tap'
import { decimal, isoDateTime } from '../src/index.js'

t.test('datetimes leave with a numeric offset', async (t) => {
  t.equal(isoDateTime(new Date('2021-07-06T11:03:31.414Z')), '2021-07-06T11:03:31.414+00:00')
  t.equal(isoDateTime('2021-07-06T12:03:31.414+01:00'), '2021-07-06T11:03:31.414+00:00')
  t.equal(isoDateTime(null), null)
})

t.test('money is a string with two decimals', async (t) => {
  t.equal(decimal(12), '12.00')
  t.equal(decimal('3.5'), '3.50')
  t.equal(decimal('0'), '0.00')
})

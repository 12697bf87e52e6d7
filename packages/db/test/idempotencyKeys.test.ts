import t from 'tap'
import { sql } from 'kysely'
import { queries } from '../src/index.js'
import { createTestDatabase } from '../src/testing.js'

const keys = queries.idempotencyKeys

t.test('idempotency keys: claimed once, stored, expired after a day', async (t) => {
  const test = await createTestDatabase('idem')
  t.teardown(() => test.drop())
  const db = test.db
  t.equal(await keys.claim(db, 'auth', 'k1', 'POST', '/x'), true)
  t.equal(await keys.claim(db, 'auth', 'k1', 'POST', '/x'), false, 'a live claim is not taken twice')
  t.equal(await keys.claim(db, 'other-auth', 'k1', 'POST', '/x'), true, 'keys are per Authorization')
  t.match(await keys.find(db, 'auth', 'k1'), { running: true })
  await keys.store(db, 'auth', 'k1', 201, '{"id":1}', 'application/json')
  t.same(await keys.find(db, 'auth', 'k1'), { running: false, status: 201, body: '{"id":1}', contentType: 'application/json' })

  await db.updateTable('idempotency_keys').set({ created_at: sql`now() - interval '25 hours'` }).where('key', '=', 'k1').where('auth_hash', '=', 'auth').execute()
  t.equal(await keys.claim(db, 'auth', 'k1', 'POST', '/y'), true, 'a key older than a day can be claimed again')
  t.match(await keys.find(db, 'auth', 'k1'), { running: true, status: null })

  await db.updateTable('idempotency_keys').set({ created_at: sql`now() - interval '25 hours'` }).execute()
  await keys.claim(db, 'auth', 'fresh', 'POST', '/z')
  t.equal(await keys.pruneExpired(db), 2, 'the two old keys go')
  t.equal(await keys.pruneExpired(db), 0)
  t.ok(await keys.find(db, 'auth', 'fresh'), 'the fresh one stays')
  await keys.release(db, 'auth', 'fresh', true)
  t.equal(await keys.find(db, 'auth', 'fresh'), undefined)
})

t.test('idempotency keys: a running key whose lease ran out is taken over; only its holder stores it', async (t) => {
  const test = await createTestDatabase('idem_lease')
  t.teardown(() => test.drop())
  const db = test.db
  // Every wait only ever runs long: the check of the renewal comes after the first lease ended
  // (1000 ms) and 800 ms before the renewed one ends; the takeover 300 ms after it ended.
  t.equal(await keys.claim(db, 'auth', 'k', 'POST', '/x', { owner: 'first', ms: 1000 }), true)
  t.equal(await keys.claim(db, 'auth', 'k', 'POST', '/x', { owner: 'second', ms: 1000 }), false, 'held while the lease runs')
  await new Promise((resolve) => setTimeout(resolve, 800))
  t.equal(await keys.renew(db, 'auth', 'k', 'first', 1500), true, 'its holder renews it')
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.equal(await keys.claim(db, 'auth', 'k', 'POST', '/x', { owner: 'second', ms: 1000 }), false, 'still held: renewed')
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal(await keys.claim(db, 'auth', 'k', 'POST', '/x', { owner: 'second', ms: 60_000 }), true, 'taken over once the lease ran out')
  t.equal(await keys.renew(db, 'auth', 'k', 'first', 300), false, 'the former holder lost it')
  await keys.store(db, 'auth', 'k', 500, 'late', 'text/plain', 'first')
  await keys.release(db, 'auth', 'k', true, 'first')
  t.match(await keys.find(db, 'auth', 'k'), { running: true, status: null }, 'the former holder neither stores nor releases it')
  await keys.store(db, 'auth', 'k', 201, '{}', 'application/json', 'second')
  t.same(await keys.find(db, 'auth', 'k'), { running: false, status: 201, body: '{}', contentType: 'application/json' })
  await db.updateTable('idempotency_keys').set({ lease_until: sql`now() - interval '1 hour'` }).execute()
  t.equal(await keys.claim(db, 'auth', 'k', 'POST', '/x', { owner: 'third' }), false, 'a stored response is kept, lease or not')
})

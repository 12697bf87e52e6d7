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

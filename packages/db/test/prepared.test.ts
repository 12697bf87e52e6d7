import t from 'tap'
import { sql } from 'kysely'
import { inTransaction, prepared } from '../src/prepared.js'
import { createDb, poolOf } from '../src/database.js'
import { createTestDatabase } from '../src/testing.js'

const organizerBySlug = prepared('test_organizer_by_slug', (db, p: { slug: string }) => db
  .selectFrom('organizers')
  .select(['id', 'name'])
  .where('slug', '=', p.slug)
  .where('name', '<>', 'hidden'))

// Columns of several types, and a divisor: 0 fails the statement on the server after it was parsed.
const typed = prepared('test_typed', (db, p: { slug: string | string[], divisor: number }) => db
  .selectFrom('organizers')
  .select((eb) => [
    'id', 'name', 'slug',
    sql<number>`(id::bigint * 1000000000)`.as('big'),
    sql<Date>`'2026-12-01T10:00:00Z'::timestamptz`.as('at'),
    sql<{ tags: string[] }>`jsonb_build_object('tags', jsonb_build_array('hot', null))`.as('doc'),
    sql<boolean>`id > 0`.as('positive'),
    sql<number | null>`null::int`.as('nothing'),
    sql<number>`(10 / ${eb.val(p.divisor)}::int)`.as('ratio')
  ])
  .where(sql<boolean>`slug = any(${p.slug}::text[])`))

t.test('prepared statements', async (t) => {
  const test = await createTestDatabase('prepared')
  t.teardown(() => test.drop())
  const db = test.db
  const { id } = await db.insertInto('organizers').values({ slug: 'acme', name: 'Acme' }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('organizers').values({ slug: 'ghost', name: 'hidden' }).execute()

  t.test('arguments go where their stand-ins were, constants stay', async (t) => {
    const bound = organizerBySlug.bind({ slug: 'acme' })
    t.same(bound.values, ['acme', 'hidden'])
    t.match(bound.text, /"slug" = \$1 and "name" <> \$2/)
    t.same(await organizerBySlug(db, { slug: 'acme' }), [{ id, name: 'Acme' }])
    t.same(await organizerBySlug(db, { slug: 'ghost' }), [], 'the constant is bound as well')
  })

  t.test('in a transaction: named statements answer with their rows, commit when the work resolves, roll back when it throws', async (t) => {
    const renamed = await inTransaction(db, async (client) => {
      const [row] = await organizerBySlug.on(client, { slug: 'acme' })
      await client.query('update organizers set name = $1 where id = $2', ['Acme Inc', row.id])
      return await organizerBySlug.on(client, { slug: 'acme' })
    })
    t.same(renamed, [{ id, name: 'Acme Inc' }], 'the rows, read in the transaction after its update')
    t.same(await organizerBySlug(db, { slug: 'acme' }), [{ id, name: 'Acme Inc' }], 'committed')
    await t.rejects(inTransaction(db, async (client) => {
      await client.query('update organizers set name = $1 where id = $2', ['Gone', id])
      await typed.on(client, { slug: '{acme}', divisor: 0 })
    }), /division by zero/)
    t.same(await organizerBySlug(db, { slug: 'acme' }), [{ id, name: 'Acme Inc' }], 'rolled back')
    await db.updateTable('organizers').set({ name: 'Acme' }).where('id', '=', id).execute()
  })

  t.test('a statement asks for its rows\' description once per connection, and reads its rows alike every time', async (t) => {
    // One connection: every call runs where the statement was parsed and described before.
    const single = createDb(test.url, { max: 1 })
    t.teardown(() => single.destroy())
    let descriptions = 0
    poolOf(single).on('connect', (client) => {
      (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('rowDescription', () => { descriptions++ })
    })
    const expected = [{ id, name: 'Acme', slug: 'acme', big: id * 1e9, at: new Date('2026-12-01T10:00:00Z'), doc: { tags: ['hot', null] }, positive: true, nothing: null, ratio: 5 }]
    await single.updateTable('organizers').set({ name: 'Acme' }).where('id', '=', id).execute()
    // An array is not a scalar: that call goes through pg's own query, on the same connection.
    const slugs = (slug: string) => `{${slug}}` as unknown as string
    t.same(await typed(single, { slug: slugs('acme'), divisor: 2 }), expected, 'first call: parsed and described')
    t.same(await typed(single, { slug: slugs('acme'), divisor: 2 }), expected, 'second call: neither')
    t.same(await typed(single, { slug: ['acme'], divisor: 2 }), expected, 'through pg\'s query, which knows the statement is parsed')
    t.same(await typed(single, { slug: slugs('nobody'), divisor: 2 }), [], 'no rows')
    t.equal(descriptions, 2, `rows described ${descriptions} times in four calls: twice expected, at the first call and by pg's own query, which asks every time`)
    await t.rejects(typed(single, { slug: slugs('acme'), divisor: 0 }), /division by zero/, 'an error on the server rejects the call')
    t.same(await typed(single, { slug: slugs('acme'), divisor: 2 }), expected, 'and the pool goes on (on a new connection: pg\'s pool drops one whose query failed)')
    const described = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where name = 'test_typed'`.execute(single)
    t.equal(described.rows[0].n, 1, 'parsed once on that connection')
  })

  t.test('a statement that failed before its rows were described is described at its next run', async (t) => {
    const single = createDb(test.url, { max: 1 })
    t.teardown(() => single.destroy())
    // The first run fails in the bind (an integer that is not one), before any description.
    await t.rejects(typed(single, { slug: '{acme}', divisor: 'x' as unknown as number }), /invalid input syntax/)
    t.match(await typed(single, { slug: '{acme}', divisor: 5 }), [{ id, ratio: 2, at: new Date('2026-12-01T10:00:00Z') }])
  })
})

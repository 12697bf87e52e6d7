import t from 'tap'
import { sql } from 'kysely'
import { prepared, runTogether } from '../src/prepared.js'
import { createDb, poolOf } from '../src/database.js'
import { createTestDatabase } from '../src/testing.js'

const organizerBySlug = prepared('test_organizer_by_slug', (db, p: { slug: string }) => db
  .selectFrom('organizers')
  .select(['id', 'name'])
  .where('slug', '=', p.slug)
  .where('name', '<>', 'hidden'))

const rename = prepared('test_rename_organizer', (db, p: { id: number, name: string }) => db
  .updateTable('organizers').set({ name: p.name }).where('id', '=', p.id))

const lock = prepared('test_lock_organizer', (db, p: { id: number }) => db
  .selectFrom('organizers').select('id').where('id', '=', p.id).forUpdate())

// The organizer's name becomes the number of its events (a count that must see fresh rows).
const nameByCount = prepared('test_name_by_count', (db, p: { id: number }) => db
  .updateTable('organizers')
  .set((eb) => ({ name: eb.selectFrom('events').select(sql<string>`count(*)::text`.as('n')).where('organizer_id', '=', p.id) }))
  .where('id', '=', p.id))

const failing = prepared('test_failing', (db) => db.selectFrom('organizers').select(sql<number>`1 / 0`.as('x')))

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

t.test('prepared statements and batches', async (t) => {
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

  t.test('a batch is one transaction: an error rolls back the statements before it', async (t) => {
    await t.rejects(runTogether(db, [rename.bind({ id, name: 'Renamed' }), failing.bind({})]), /division by zero/)
    t.same(await organizerBySlug(db, { slug: 'acme' }), [{ id, name: 'Acme' }])
    t.same(await runTogether(db, [rename.bind({ id, name: 'Renamed' }), lock.bind({ id })]), [1, 1], 'row counts, in order')
    t.same(await organizerBySlug(db, { slug: 'acme' }), [{ id, name: 'Renamed' }])
  })

  /** Runs `count` while a transaction holds the organizer's lock and adds an event: what did it count? */
  async function countWhileLocked (count: () => Promise<unknown>): Promise<string> {
    await db.deleteFrom('events').execute()
    let counting: Promise<unknown> | undefined
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('organizers').select('id').where('id', '=', id).forUpdate().execute()
      counting = count()
      // Wait until it is blocked on the lock; the event commits with the lock's release (another
      // connection could not insert it meanwhile: its foreign key check waits for the lock too).
      for (let i = 0; ; i++) {
        const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
        if (waiting.rows[0].n > 0) break
        if (i > 500) throw new Error('the count never waited for the lock')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      await trx.insertInto('events').values({ organizer_id: id, slug: 'show', name: '{"en":"Show"}', date_from: '2026-12-01T10:00:00Z' }).execute()
    })
    await counting
    const { name } = await db.selectFrom('organizers').select('name').where('id', '=', id).executeTakeFirstOrThrow()
    return name
  }

  t.test('a statement after a lock sees what committed while the batch waited for it', async (t) => {
    t.equal(await countWhileLocked(async () => await runTogether(db, [lock.bind({ id }), nameByCount.bind({ id })])), '1')
    // The contrast: one statement counts with the snapshot it took before it waited.
    t.equal(await countWhileLocked(async () => await db
      .with('l', (db) => db.selectFrom('organizers').select('id').where('id', '=', id).forUpdate())
      .updateTable('organizers')
      .set((eb) => ({ name: eb.selectFrom('events').select(sql<string>`count(*)::text`.as('n')).where('organizer_id', '=', id) }))
      .where('id', 'in', (eb) => eb.selectFrom('l').select('l.id'))
      .execute()), '0')
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

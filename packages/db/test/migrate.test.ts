import t from 'tap'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { createDb, ensureDatabase, migrateDatabase } from '../src/index.js'
import { dropDatabase } from '../src/testing.js'

function url (name: string): string {
  const u = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/showfloor')
  u.pathname = '/' + name
  return u.toString()
}

const TABLES = [
  'api_tokens', 'events', 'exhibitor_access_codes', 'exhibitor_settings', 'exhibitor_tag_links', 'exhibitor_tags',
  'exhibitor_vouchers', 'exhibitors', 'export_chunks', 'exports', 'idempotency_keys', 'items', 'leads', 'mail_requests', 'order_positions', 'orders',
  'organizers', 'outbox', 'team_events', 'teams', 'vouchers', 'webhook_calls', 'webhook_deliveries', 'webhook_events', 'webhook_fanouts', 'webhooks'
]

t.test('migrations from an empty server: the database is created, then every table', async (t) => {
  const name = `showfloor_migrate_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(name))
  const first = await migrateDatabase(url(name))
  t.equal(first.created, true)
  t.ok(first.applied.length >= 1)
  const db = createDb(url(name))
  t.teardown(() => db.destroy())
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db)
  t.same(rows.map((r) => r.table_name), TABLES)
  const again = await migrateDatabase(url(name))
  t.same(again, { created: false, applied: [] }, 'a second run is a no-op')
})

t.test('concurrent runs apply each migration once', async (t) => {
  const name = `showfloor_migrate_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(name))
  const results = await Promise.all([1, 2, 3].map(async () => await migrateDatabase(url(name))))
  t.equal(results.filter((r) => r.created).length, 1, 'one of them created the database')
  t.equal(results.flatMap((r) => r.applied).length, results.find((r) => r.applied.length > 0)!.applied.length, 'each migration applied by one run')
  t.equal(await ensureDatabase(url(name)), false)
})

t.test('the database enforces what the code relies on', async (t) => {
  const name = `showfloor_migrate_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(name))
  await migrateDatabase(url(name))
  const db = createDb(url(name))
  t.teardown(() => db.destroy())
  const org = await db.insertInto('organizers').values({ slug: 'o', name: 'O' }).returning('id').executeTakeFirstOrThrow()
  const event = await db.insertInto('events').values({ organizer_id: org.id, slug: 'e', name: '{"en":"E"}', date_from: '2026-01-01T00:00:00Z' }).returning('id').executeTakeFirstOrThrow()
  const item = await db.insertInto('items').values({ event_id: event.id, name: '{"en":"I"}', default_price: 1 }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('vouchers').values({ event_id: event.id, code: 'ABCDE' }).execute()
  await t.rejects(db.insertInto('vouchers').values({ event_id: event.id, code: 'abcde' }).execute(), { code: '23505' }, 'voucher codes are unique ignoring case')
  const order = await db.insertInto('orders').values({ event_id: event.id, code: 'AAAAA', total: 1 }).returning('id').executeTakeFirstOrThrow()
  const position = { order_id: order.id, event_id: event.id, item_id: item.id, price: 1, secret: 's1', pseudonymization_id: 'P1' }
  const pos = await db.insertInto('order_positions').values({ ...position, positionid: 1 }).returning('id').executeTakeFirstOrThrow()
  await t.rejects(db.insertInto('order_positions').values({ ...position, positionid: 2, secret: 's2' }).execute(), { code: '23505' }, 'pseudonymization ids are unique per event')
  await t.rejects(db.insertInto('order_positions').values({ ...position, positionid: 2, pseudonymization_id: 'P2' }).execute(), { code: '23505' }, 'secrets are unique per event')
  const ex = await db.insertInto('exhibitors').values({ event_id: event.id, name: 'X', access_code: 'AAAAAAAA', lead_scanning_access_code: 'BBBBBBBB' }).returning('id').executeTakeFirstOrThrow()
  await t.rejects(db.insertInto('exhibitors').values({ event_id: event.id, name: 'Y', access_code: 'CCCCCCCC', lead_scanning_access_code: 'CCCCCCCC' }).execute(), { code: '23514' }, 'the two codes differ')
  const lead = { exhibitor_id: ex.id, position_id: pos.id, scanned: '2026-01-01T00:00:00Z', tags: '[]' }
  await db.insertInto('leads').values(lead).execute()
  await t.rejects(db.insertInto('leads').values(lead).execute(), { code: '23505' }, 'one lead per exhibitor and position')
  await db.insertInto('leads').values({ ...lead, scope_key: 'd8c2ec53-d602-4a08-882d-db4cf54344a2' }).execute()
  t.pass('another device scope is another lead')
  await t.rejects(db.insertInto('leads').values({ ...lead, rating: 6, scope_key: 'x' }).execute(), { code: '23514' }, 'ratings are 0 to 5')
})

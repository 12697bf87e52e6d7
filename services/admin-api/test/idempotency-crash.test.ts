import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { queries } from '@showfloor/db'
import { createTestDatabase, startService, testPrefix } from '@showfloor/db/testing'

// The admin API as its own process, killed with SIGKILL while a request with an idempotency key is
// running: a retry with the key must not be locked out until the key expires.

const LEASE_MS = 1000

// Each process compiles TypeScript on the fly: more than the default budget on a busy machine.
t.setTimeout(180_000)

/** The admin API's server, from source, as an operator starts it; resolves once it listens. */
async function startAdminApi (t: Test, env: Record<string, string>): Promise<{ url: string, kill: () => Promise<void> }> {
  const admin = await startService('services/admin-api/src/server.ts', { ADMIN_API_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, 60_000)
  t.teardown(admin.kill)
  return { url: admin.base, kill: async () => { await admin.stop('SIGKILL') } }
}

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('SIGKILL of the admin API mid-request: a retry with the same key runs once the lease ran out', async (t) => {
  const testDb = await createTestDatabase('admin_idem_crash')
  t.teardown(async () => { await testDb.drop() })
  const db = testDb.db
  const organizer = await queries.organizers.createOrganizer(db, 'demo', 'Demo Organizer')
  const team = await queries.tokens.upsertTeam(db, { organizerId: organizer.id, name: 'all', allEvents: true, eventIds: [], permissions: queries.tokens.TEAM_PERMISSIONS })
  const token = await queries.tokens.createToken(db, team.id)
  const event = await queries.events.createEvent(db, { organizer_id: organizer.id, slug: 'conf', name: JSON.stringify({ en: 'Conf' }), date_from: '2026-12-01T09:00:00Z', locale: 'en' })
  const exhibitor = await queries.exhibitors.createExhibitor(db, { event_id: event.id, name: 'Aperture Science', contact_email: 'cave@aperture.example' }, [])

  const env = { DATABASE_URL: testDb.url, QUEUE_PREFIX: testPrefix('idemcrash'), IDEMPOTENCY_LEASE_MS: String(LEASE_MS) }
  const patch = async (base: string) => await fetch(`${base}/api/v1/organizers/demo/events/conf/exhibitors/${exhibitor.id}/`, {
    method: 'PATCH',
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json', 'x-idempotency-key': 'patch-after-crash' },
    body: JSON.stringify({ booth: 'B7' })
  })

  // The exhibitor's row is held, so the PATCH blocks in the middle of its work.
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let locked!: () => void
  const lockTaken = new Promise<void>((resolve) => { locked = resolve })
  const holder = db.transaction().execute(async (trx) => {
    await sql`select id from exhibitors where id = ${exhibitor.id} for update`.execute(trx)
    locked()
    await released
  })
  t.teardown(async () => { release(); await holder })
  await lockTaken

  const first = await startAdminApi(t, env)
  const stuck = patch(first.url).catch((err: unknown) => err)
  const until = Date.now() + 10_000
  while (!(await db.selectFrom('idempotency_keys').select('key').where('key', '=', 'patch-after-crash').executeTakeFirst())) {
    if (Date.now() > until) throw new Error('the request did not claim its key')
    await sleep(50)
  }

  // Longer than a lease: the running request renews it, so a repeat still waits.
  await sleep(LEASE_MS * 2.5)
  const whileRunning = await patch(first.url)
  t.equal(whileRunning.status, 409, 'a repeat while the first runs gets 409')
  t.ok(whileRunning.headers.get('retry-after'))

  await first.kill()
  t.type(await stuck, Error, 'the killed process never answered')
  release()
  await holder

  const second = await startAdminApi(t, env)
  const started = Date.now()
  let retry = await patch(second.url)
  // The lease (renewed until the kill) may not have run out yet when the new process is up.
  while (retry.status === 409 && Date.now() - started < LEASE_MS + 3000) {
    await sleep(200)
    retry = await patch(second.url)
  }
  t.equal(retry.status, 200, 'the retry runs the request')
  const body = await retry.json() as { id: number, booth: string }
  t.equal(body.id, exhibitor.id)
  t.equal(body.booth, 'B7')
  const stored = await db.selectFrom('exhibitors').select('booth').where('id', '=', exhibitor.id).executeTakeFirstOrThrow()
  t.equal(stored.booth, 'B7')

  const replay = await patch(second.url)
  t.equal(replay.status, 200, 'and its answer is stored: a further repeat replays it')
  t.same(await replay.json(), body)
  await second.kill()
})

import t from 'tap'
import { privateRedis } from '@showfloor/queue/testing'
import { show, upload } from './helper.js'

const url = '/exhibitors/api/v1/profile'

t.test('failed attempts are limited per address, shared through Redis', async (t) => {
  // Every failure must be counted: a limiter whose Redis fails a command (past its timeout, or not
  // connected yet) fails open and counts nothing for a moment, by design, which a busy machine can
  // reach. So a long timeout, and the connection up before the first attempt.
  const s = await show(t, { AUTH_LIMITER_TIMEOUT_MS: '5000' })
  await waitUntil(() => s.app.redis.status === 'ready')
  const from = (ip: string, code: string) => s.app.inject({ method: 'GET', url, remoteAddress: ip, headers: { authorization: `Exhibitor ${code}` } })
  const venue = '203.0.113.7'
  const other = await s.addExhibitor({ name: 'Second booth' })

  t.equal((await from(venue, s.exhibitor.accessCode)).statusCode, 200, 'a device that worked before the flood')
  for (let i = 0; i < 30; i++) {
    t.equal((await from(venue, `GUESS${String(i).padStart(3, '0')}`)).statusCode, 401)
  }
  const limited = await from(venue, 'GUESS999')
  t.equal(limited.statusCode, 429, 'past 30 failures, new codes are refused')
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`)
  t.ok(limited.json().detail)

  t.equal((await from(venue, other.accessCode)).statusCode, 429, 'even a valid code not seen from there before')
  t.equal((await from(venue, s.exhibitor.accessCode)).statusCode, 200, 'a code that worked from there keeps working')
  t.equal((await from('198.51.100.1', other.accessCode)).statusCode, 200, 'other addresses are not affected')

  const keys = await s.app.redis.keys(`${s.app.appConfig.REDIS_PREFIX}:auth:*`)
  t.ok(keys.length >= 2, 'the counts live in Redis, shared by every process')
  t.notOk(keys.some((k) => k.includes(s.exhibitor.accessCode)), 'no access code is written to Redis')
})

t.test('with Redis unreachable the API keeps serving', async (t) => {
  const s = await show(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  for (let i = 0; i < 40; i++) await s.request(`NOPE${i}`, { method: 'GET', url })
  t.equal((await s.request(s.exhibitor.accessCode, { method: 'GET', url })).statusCode, 200)
  t.equal((await s.request('STILLBAD', { method: 'GET', url })).statusCode, 401)
})

t.test('with Redis frozen (SIGSTOP), an upload with a code not seen before answers at once', async (t) => {
  const redis = await privateRedis()
  t.teardown(async () => {
    redis.thaw()
    await redis.stop()
  })
  const s = await show(t, { REDIS_URL: redis.url })
  await waitUntil(() => s.app.redis.status === 'ready')
  const [first, second] = s.attendees
  const fresh = await s.addExhibitor({ name: 'Fresh booth' })

  // A hung host: the connection stays open and nothing answers.
  redis.freeze()
  for (const [code, attendee] of [[s.exhibitor.accessCode, first], [fresh.accessCode, second]] as const) {
    const started = Date.now()
    const res = await s.request(code, { method: 'POST', url: '/exhibitors/api/v1/leads/', payload: upload(attendee.scanCode) })
    const elapsed = Date.now() - started
    t.equal(res.statusCode, 201, 'stored')
    t.ok(elapsed < 2000, `answered in ${elapsed} ms: the limiter failed open instead of waiting for Redis`)
  }
  const stored = await s.db.selectFrom('leads').select('exhibitor_id').orderBy('id').execute()
  t.same(stored.map((row) => row.exhibitor_id), [s.exhibitor.id, fresh.id], 'both leads stored')

  // Thawed, the limiter asks Redis again.
  redis.thaw()
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await s.request('NOPE', { method: 'GET', url })).statusCode, 401)
  await waitUntil(async () => (await s.app.redis.keys(`${s.app.appConfig.REDIS_PREFIX}:auth:fail:*`)).length === 1)
  t.pass('the failure is counted in Redis again')
})

async function waitUntil (check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

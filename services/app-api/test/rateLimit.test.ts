import t from 'tap'
import { show } from './helper.js'

const url = '/exhibitors/api/v1/profile'

t.test('failed attempts are limited per address, shared through Redis', async (t) => {
  const s = await show(t)
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

import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { AccessLimiter } from '../src/index.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const quiet = { debug: () => {} }

async function redisFor (t: Test, target = url): Promise<{ redis: Redis, prefix: string }> {
  const redis = new Redis(target, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, commandTimeout: 500 })
  redis.on('error', () => {})
  await redis.connect().catch(() => {})
  const prefix = `test_access_${randomBytes(4).toString('hex')}`
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}:*`).catch(() => [])
    if (keys.length > 0) await redis.del(...keys).catch(() => {})
    redis.disconnect()
  })
  return { redis, prefix }
}

t.test('failures per address; past the limit only codes that worked from there pass', async (t) => {
  const { redis, prefix } = await redisFor(t)
  const limiter = new AccessLimiter(redis, quiet, { prefix, maxFailures: 3, windowSeconds: 60 })
  const other = new AccessLimiter(redis, quiet, { prefix, maxFailures: 3, windowSeconds: 60 })
  await limiter.recordSuccess('10.0.0.1', 'GOODCODE')
  for (let i = 0; i < 3; i++) t.equal(await limiter.check('10.0.0.1', `BAD${i}`), null)
  for (let i = 0; i < 3; i++) await limiter.recordFailure('10.0.0.1')
  const wait = await other.check('10.0.0.1', 'NEWCODE')
  t.ok(wait !== null && wait > 0 && wait <= 60, `another process refuses an unseen code for ${wait} s`)
  t.equal(await other.check('10.0.0.1', 'GOODCODE'), null, 'a code that worked from there, seen through Redis')
  t.equal(limiter.known('10.0.0.1', 'GOODCODE'), true, 'and remembered by the process that saw it')
  t.equal(other.known('10.0.0.1', 'GOODCODE'), false)
  t.equal(await other.check('10.0.0.2', 'NEWCODE'), null, 'other addresses are not affected')
  t.same((await redis.keys(`${prefix}:*`)).sort(), [`${prefix}:auth:fail:10.0.0.1`, `${prefix}:auth:ok:10.0.0.1`])
  t.notOk((await redis.smembers(`${prefix}:auth:ok:10.0.0.1`)).includes('GOODCODE'), 'only a hash of the code is stored')
})

t.test('with Redis unreachable the limiter fails open at once', async (t) => {
  const { redis, prefix } = await redisFor(t, 'redis://127.0.0.1:1')
  const limiter = new AccessLimiter(redis, quiet, { prefix, maxFailures: 1 })
  const started = Date.now()
  for (let i = 0; i < 10; i++) await limiter.recordFailure('10.0.0.1')
  t.equal(await limiter.check('10.0.0.1', 'ANY'), null)
  t.ok(Date.now() - started < 2000)
})

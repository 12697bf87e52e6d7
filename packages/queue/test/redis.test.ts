import t from 'tap'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { RedisOutageLog, closeRedis, createProducerRedis, createQueue, type QueueLog } from '../src/index.js'
import { privateRedis } from '../src/testing.js'

function recordingLog () {
  const lines: Array<{ level: string, msg: string }> = []
  const log: QueueLog = {
    info: (msg) => { lines.push({ level: 'info', msg }) },
    warn: (_obj, msg) => { lines.push({ level: 'warn', msg }) },
    error: (_obj, msg) => { lines.push({ level: 'error', msg }) }
  }
  return { log, lines }
}

async function until (check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

t.test('a producer fails within its command timeout on a frozen Redis, and works once it thaws', async (t) => {
  const redis = await privateRedis()
  const { log } = recordingLog()
  const outage = new RedisOutageLog(log, 'tests')
  const connection = outage.watch(createProducerRedis(redis.url, { commandTimeoutMs: 300 }))
  const queue = createQueue(QUEUES.email, connection, 'test', outage)
  t.teardown(async () => {
    redis.thaw()
    await queue.close()
    await closeRedis(connection)
    await redis.stop()
  })
  await until(() => connection.status === 'ready')

  redis.freeze()
  const started = Date.now()
  await t.rejects(queue.add(JOBS.accessCodeEmail, { mail_request_id: 'x' }, { jobId: 'frozen' }), /timed out/i)
  const elapsed = Date.now() - started
  t.ok(elapsed < 1500, `failed after ${elapsed} ms, not hanging`)

  redis.thaw()
  const job = await queue.add(JOBS.accessCodeEmail, { mail_request_id: 'y' }, { jobId: 'thawed' })
  t.equal(job.id, 'thawed')
})

t.test('an outage is logged once however many connections and queues retry, and so is the recovery', async (t) => {
  const redis = await privateRedis()
  const { log, lines } = recordingLog()
  const outage = new RedisOutageLog(log, 'emails cannot be queued until it is back')
  const connections = [outage.watch(createProducerRedis(redis.url)), outage.watch(createProducerRedis(redis.url))]
  const queues = connections.map((connection) => createQueue(QUEUES.email, connection, 'test', outage))
  t.teardown(async () => {
    await Promise.all(queues.map(async (queue) => { await queue.close() }))
    await Promise.all(connections.map(async (connection) => { await closeRedis(connection) }))
    await redis.stop()
  })
  await until(() => connections.every((c) => c.status === 'ready'))

  await redis.stop()
  // Several reconnect attempts of each connection (200 ms, 400 ms, ... apart).
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.same(lines, [{ level: 'warn', msg: 'redis unreachable, reconnecting; emails cannot be queued until it is back' }])

  await redis.start()
  await until(() => connections.every((c) => c.status === 'ready'))
  t.same(lines.slice(1), [{ level: 'info', msg: 'redis reachable again' }])

  outage.report(new Error('ERR unknown command'), connections[0])
  t.same(lines.slice(2), [{ level: 'error', msg: 'redis command failed' }], 'an error that is no outage is logged every time')
})

import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { Registry } from 'prom-client'
import { queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, testPrefix, waitFor } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { JOBS, type WebhookActionType } from '@showfloor/schemas'
import { startWorkers, type RunningWorkers } from '../../src/workers.js'
import type { WebhookDeliveryOptions } from '../../src/processors/webhookDelivery.js'
import { inspectQueues, sharedRedisUrl, silentLog } from './queues.js'
import { startReceiver, type Receiver } from './receiver.js'

export const mail = { mailDir: './var/mail', from: 'fair@example.org', appUrl: 'https://app.example.org', sendTimeoutMs: 1000 }

export function newSecret (): string {
  return 'whsec_' + randomBytes(32).toString('base64')
}

export interface HookSpec {
  target: string
  actions: readonly WebhookActionType[]
  allEvents?: boolean
  eventIds?: number[]
  enabled?: boolean
}

/** A webhook stored as the admin API stores it (creation's checks are the admin API's tests). */
export async function createHook (db: Db, organizerId: number, spec: HookSpec): Promise<{ id: number, secret: string }> {
  const secret = newSecret()
  const hook = await queries.webhooks.createWebhook(db, organizerId, {
    target_url: spec.target,
    action_types: [...spec.actions],
    all_events: spec.allEvents ?? true,
    enabled: spec.enabled ?? true,
    secret
  }, spec.eventIds ?? [])
  return { id: hook.id, secret }
}

/** A notification row as a change writes it, without the writer's check for a listening webhook. */
export async function writeNotification (db: Db, organizer: string, event: string, action: WebhookActionType, ids: Record<string, unknown>): Promise<string> {
  const id = crypto.randomUUID()
  await db.insertInto('outbox').values({
    topic: JOBS.webhookNotify,
    payload: JSON.stringify({ id, organizer, event, action, created_at: new Date().toISOString(), ...ids })
  }).execute()
  return id
}

export interface WebhookSetup {
  db: Db
  dbUrl: string
  prefix: string
  running: RunningWorkers
  receiver: Receiver
  registry: Registry
  inspect: ReturnType<typeof inspectQueues>
}

/** A database, a prefix, a receiver and the worker's jobs, all of the test's own, gone in teardown. */
export async function webhookSetup (t: Test, label: string, webhooks: Partial<WebhookDeliveryOptions>): Promise<WebhookSetup> {
  const testDb = await createTestDatabase(label)
  const prefix = testPrefix(label)
  const receiver = await startReceiver()
  const registry = new Registry()
  const redis = createRedis(sharedRedisUrl)
  await redis.connect()
  const inspect = inspectQueues(redis, prefix)
  const running = startWorkers({
    db: testDb.db, redisUrl: sharedRedisUrl, prefix, log: silentLog, mail, relay: { idleMs: 50 }, reconciler: false, webhooks, metrics: registry
  })
  t.teardown(async () => {
    for (const closable of [...running.closables].reverse()) await closable.close()
    await Promise.all(Object.values(inspect).map(async (q) => { await q.close() }))
    await closeRedis(redis)
    await receiver.close()
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  return { db: testDb.db, dbUrl: testDb.url, prefix, running, receiver, registry, inspect }
}

/** The calls of a webhook, oldest first. */
export async function callsOf (db: Db, webhookId: number) {
  return await db.selectFrom('webhook_calls').selectAll().where('webhook_id', '=', webhookId).orderBy('id').execute()
}

export { waitFor }

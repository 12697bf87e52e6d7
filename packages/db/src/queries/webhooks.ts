import { sql, type ExpressionBuilder, type QueryCreator } from 'kysely'
import { JOBS, LEAD_ACTION_TYPES, type WebhookActionType, type WebhookNotification } from '@showfloor/schemas'
import type pg from 'pg'
import { poolOf, type Db } from '../database.js'
import { runBound } from '../prepared.js'
import type { Database, Webhook, WebhookCall, WebhookDelivery, WebhookDeliveryState } from '../types.js'

// Webhooks (contract section 13): the resource, the notifications that changes write to the outbox,
// and what the worker reads and records when it delivers them.

/** A webhook with the slugs of the events it is limited to, as the API shows it. */
export type WebhookWithEvents = Webhook & { limit_events: string[] }

function withEvents (db: Db) {
  return db.selectFrom('webhooks').selectAll('webhooks').select((eb) => [
    sql<string[]>`coalesce((${eb.selectFrom('webhook_events')
      .innerJoin('events', 'events.id', 'webhook_events.event_id')
      .select(sql`json_agg(events.slug order by events.slug)`.as('slugs'))
      .whereRef('webhook_events.webhook_id', '=', 'webhooks.id')}), '[]'::json)`.as('limit_events')
  ])
}

export async function countWebhooks (db: Db, organizerId: number): Promise<number> {
  const row = await db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organizer_id', '=', organizerId).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listWebhooks (db: Db, organizerId: number, limit: number, offset: number): Promise<WebhookWithEvents[]> {
  return await withEvents(db).where('webhooks.organizer_id', '=', organizerId)
    .orderBy('webhooks.id').limit(limit).offset(offset).execute()
}

export async function findWebhook (db: Db, organizerId: number, id: number): Promise<WebhookWithEvents | undefined> {
  return await withEvents(db).where('webhooks.organizer_id', '=', organizerId).where('webhooks.id', '=', id).executeTakeFirst()
}

/** The organizer's events with these slugs (for resolving `limit_events`). */
export async function findEventsBySlug (db: Db, organizerId: number, slugs: readonly string[]): Promise<Array<{ id: number, slug: string }>> {
  if (slugs.length === 0) return []
  return await db.selectFrom('events').select(['id', 'slug'])
    .where('organizer_id', '=', organizerId).where('slug', 'in', [...new Set(slugs)]).execute()
}

export interface WebhookValues {
  enabled?: boolean
  target_url?: string
  all_events?: boolean
  action_types?: string[]
  comment?: string | null
}

/** Creates the webhook with its event links in one statement. */
export async function createWebhook (db: Db, organizerId: number, values: WebhookValues & { target_url: string, secret: string }, eventIds: readonly number[]): Promise<WebhookWithEvents> {
  const row = await db
    .with('w', (qb) => qb.insertInto('webhooks').values({ ...values, organizer_id: organizerId }).returning('id'))
    .with('l', (qb) => qb.insertInto('webhook_events').columns(['webhook_id', 'event_id'])
      .expression(sql`select w.id, e.event_id from w, unnest(${[...new Set(eventIds)]}::int[]) as e(event_id)`))
    .selectFrom('w').select('id')
    .executeTakeFirstOrThrow()
  return (await findWebhook(db, organizerId, row.id))!
}

/** Changes the given columns and, when given, the event links (several statements: run it in a transaction). */
export async function updateWebhook (db: Db, id: number, values: WebhookValues, eventIds: readonly number[] | undefined): Promise<void> {
  if (Object.keys(values).length > 0) await db.updateTable('webhooks').set(values).where('id', '=', id).execute()
  if (eventIds === undefined) return
  await db.deleteFrom('webhook_events').where('webhook_id', '=', id).execute()
  const unique = [...new Set(eventIds)]
  if (unique.length > 0) await db.insertInto('webhook_events').values(unique.map((eventId) => ({ webhook_id: id, event_id: eventId }))).execute()
}

/** Deletes the webhook with its event links and call log; false when there was none. */
export async function deleteWebhook (db: Db, organizerId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('organizer_id', '=', organizerId).where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** Replaces the signing secret; false when there is no such webhook. */
export async function rotateSecret (db: Db, organizerId: number, id: number, secret: string): Promise<boolean> {
  const result = await db.updateTable('webhooks').set({ secret }).where('organizer_id', '=', organizerId).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

const CALL_RETENTION = sql<Date>`now() - interval '30 days'`

export async function countCalls (db: Db, webhookId: number): Promise<number> {
  const row = await db.selectFrom('webhook_calls').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('webhook_id', '=', webhookId).where('datetime', '>', CALL_RETENTION).executeTakeFirstOrThrow()
  return Number(row.count)
}

/** The webhook's delivery attempts of the last 30 days, newest first. */
export async function listCalls (db: Db, webhookId: number, limit: number, offset: number): Promise<WebhookCall[]> {
  return await db.selectFrom('webhook_calls').selectAll()
    .where('webhook_id', '=', webhookId).where('datetime', '>', CALL_RETENTION)
    .orderBy('id', 'desc').limit(limit).offset(offset).execute()
}

/** Whether an enabled webhook of the event's organizer listens for `action` on the event `eventRef`. */
function listening (eb: ExpressionBuilder<Database & { e: Database['events'] }, 'e'>, action: string) {
  return eb.exists(eb.selectFrom('webhooks as w').select('w.id')
    .whereRef('w.organizer_id', '=', 'e.organizer_id')
    .where('w.enabled', '=', true)
    .where(sql<boolean>`${action}::text = any(w.action_types)`)
    .where((w) => w.or([
      w('w.all_events', '=', true),
      w.exists(w.selectFrom('webhook_events as we').select('we.event_id').whereRef('we.webhook_id', '=', 'w.id').whereRef('we.event_id', '=', 'e.id'))
    ])))
}

/**
 * Writes the notification of a change to the outbox, in the caller's transaction, and only when an
 * enabled webhook listens for it: with no webhook, a change costs one indexed look-up more. `ids`
 * are the action's fields of the body (`code`; `exhibitor`). Returns whether a row was written.
 */
export async function insertNotification (db: Db, eventId: number, action: WebhookActionType, ids: Record<string, string | number>): Promise<boolean> {
  const result = await db.insertInto('outbox').columns(['topic', 'payload'])
    .expression(db.selectFrom('events as e')
      .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
      .select([
        sql.lit(JOBS.webhookNotify).as('topic'),
        sql<string>`jsonb_build_object('id', gen_random_uuid(), 'organizer', o.slug, 'event', e.slug, 'action', ${action}::text, 'created_at', now()) || ${JSON.stringify(ids)}::jsonb`.as('payload')
      ])
      .where('e.id', '=', eventId)
      .where((eb) => listening(eb, action)))
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/**
 * A lead whose enrichment is stored, with what its notification names (`created` when it was
 * enriched for the first time) and the organizer and event whose webhooks may listen for it.
 */
export interface EnrichedLead {
  lead_id: number
  exhibitor_id: number
  created: boolean
  organizer_id: number
  organizer: string
  event_id: number
  event: string
  attendee_order: string
  attendee_positionid: number
}

/** A lead's delivery stored by storeLeadDeliveries: its webhook, and the notification its job carries. */
export interface LeadDelivery { webhook_id: number, notification: WebhookNotification }

const LEAD_DELIVERIES = {
  name: 'showfloor_lead_deliveries',
  // The first condition is uncorrelated: PostgreSQL checks it once, before touching any lead, so
  // with no lead webhook anywhere the statement costs one look-up in a small table. `n` is
  // materialized (it calls a volatile function anyway): one notification id per lead, shared by
  // every webhook that gets it.
  text: `with n as materialized (
      select x.*, a.action, gen_random_uuid() as id
      from jsonb_to_recordset($1::jsonb) as x(lead_id bigint, exhibitor_id integer, created boolean, organizer_id integer,
        organizer text, event_id integer, event text, attendee_order text, attendee_positionid integer)
      cross join lateral (select case when x.created then '${LEAD_ACTION_TYPES[0]}' else '${LEAD_ACTION_TYPES[1]}' end as action) as a
      where exists (select 1 from webhooks w where w.enabled and w.action_types && '{${LEAD_ACTION_TYPES.join(',')}}'::text[])
    )
    insert into webhook_deliveries (webhook_id, notification_id, notification)
    select w.id, n.id, jsonb_build_object(
      'id', n.id, 'organizer', n.organizer, 'event', n.event, 'action', n.action, 'created_at', now(),
      'exhibitor', n.exhibitor_id, 'attendee_order', n.attendee_order, 'attendee_positionid', n.attendee_positionid)
    from n join webhooks w on w.organizer_id = n.organizer_id and w.enabled and n.action = any(w.action_types)
    where w.all_events or exists (select 1 from webhook_events we where we.webhook_id = w.id and we.event_id = n.event_id)
    returning webhook_id, notification`
}

/**
 * Fans the `showfloor.lead.created` / `.updated` notifications of leads whose enrichment is stored
 * in the same transaction (`client`'s) out to the webhooks that listen for them (enabled, the
 * action type listed, all events or the lead's event among its events), in one statement: a
 * pending delivery per webhook and lead, one notification id per lead. Nothing is written unless
 * such a webhook exists. The deliveries are the record that survives Redis: the caller adds their
 * jobs once the transaction committed, and the reconciler queues again those it never added. What
 * the notification names comes with the leads, read when they were locked for enrichment. Returns
 * the deliveries in the leads' order, then by webhook.
 */
export async function storeLeadDeliveries (client: pg.ClientBase, leads: readonly EnrichedLead[]): Promise<LeadDelivery[]> {
  if (leads.length === 0) return []
  const rows = await runBound<LeadDelivery>(client, { ...LEAD_DELIVERIES, values: [JSON.stringify(leads)] })
  // A lead is its exhibitor's scan of one attendee position.
  return inBatchOrder(rows, leads.map((lead) => `${lead.exhibitor_id}/${lead.attendee_order}/${lead.attendee_positionid}`),
    ({ notification: n }) => `${n.exhibitor!}/${n.attendee_order!}/${n.attendee_positionid!}`)
}

/**
 * Deliveries as a batch statement returned them, put in the batch's order (`keys`, what each of
 * its items is known by; one given twice counts where it came first), then by webhook.
 */
function inBatchOrder<T extends { webhook_id: number }> (rows: T[], keys: readonly string[], keyOf: (row: T) => string): T[] {
  const order = new Map<string, number>()
  keys.forEach((key, i) => { if (!order.has(key)) order.set(key, i) })
  return rows.sort((a, b) => order.get(keyOf(a))! - order.get(keyOf(b))! || a.webhook_id - b.webhook_id)
}

/**
 * The exhibitor's stored state (its columns and tag ids) as one canonical text, locked when
 * `lock`: compared before and after an update, it tells whether the update changed anything.
 */
export async function exhibitorState (db: Db, exhibitorId: number, lock: boolean): Promise<string | undefined> {
  let query = db.selectFrom('exhibitors as x')
    .select(sql<string>`(to_jsonb(x) - 'lead_count') || jsonb_build_object('tags', array(select tag_id from exhibitor_tag_links t where t.exhibitor_id = x.id order by tag_id))`.as('state'))
    .where('x.id', '=', exhibitorId)
  if (lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row === undefined ? undefined : JSON.stringify(row.state)
}

/** A delivery the fan-out stored (or found still pending): its job is to be added. */
export interface FannedOutDelivery { webhook_id: number, notification_id: string }

/** How long past its due time a pending delivery of an earlier fan-out waits before a fan-out takes it for lost. */
const LOST_AFTER = '30 seconds'

const FAN_OUT = {
  name: 'showfloor_webhook_fan_out',
  // Data-modifying CTEs all run, whether or not the final SELECT reads them. The second branch
  // reads the rows as they were before this statement: the pending deliveries of an earlier
  // fan-out, never one this statement added. (No join to `added`: estimated at one row, it was
  // joined by a nested loop, every row against every row, most of the statement's time.)
  text: `with n as (
      select distinct on (x.notification->>'id') x.notification, (x.notification->>'id')::uuid as id
      from jsonb_array_elements($1::jsonb) with ordinality as x(notification, ord)
      order by x.notification->>'id', x.ord
    ),
    marked as (
      insert into webhook_fanouts (notification_id) select id from n on conflict do nothing
    ),
    matched as (
      select w.id as webhook_id, n.id as notification_id, n.notification
      from n
      join organizers o on o.slug = n.notification->>'organizer'
      join webhooks w on w.organizer_id = o.id and w.enabled and (n.notification->>'action') = any(w.action_types)
      where w.all_events or exists (
        select 1 from webhook_events we join events e on e.id = we.event_id
        where we.webhook_id = w.id and e.organizer_id = w.organizer_id and e.slug = n.notification->>'event')
    ),
    added as (
      insert into webhook_deliveries (webhook_id, notification_id, notification)
      select webhook_id, notification_id, notification from matched
      on conflict do nothing
      returning webhook_id, notification_id
    )
    select webhook_id, notification_id::text as notification_id from added
    union all
    select m.webhook_id, m.notification_id::text from matched m
    join webhook_deliveries d on d.webhook_id = m.webhook_id and d.notification_id = m.notification_id
    where d.state = 'pending' and ($2::boolean or d.next_attempt_at < now() - $3::interval)`
}

/**
 * Fans a batch of notifications out to the webhooks that listen for them (enabled, the action type
 * listed, all events or the notification's event among its events; organizer and event by slug),
 * in one statement: it marks every notification fanned out (one that no webhook listens for too),
 * stores a pending delivery per (webhook, notification) unless one is stored already, and returns
 * the deliveries whose jobs the caller adds: the new ones, and those of an earlier fan-out still
 * pending LOST_AFTER past their due time (that fan-out died before adding their jobs). Deliveries
 * that ended are not returned, so a fan-out that runs again, even after Redis forgot the finished
 * jobs, sends nothing twice; nor are pending ones due lately: their job is queued or waits for its
 * retry, under the id of the batch that queued it, and a second fan-out grouping them otherwise
 * (the relay's page and a single notification) would have sent them twice. A `rerun` of the same
 * fan-out (its job started again: the run before may have died before adding its jobs) gets every
 * pending one: its grouping, and so its batch job ids, are those of that run. In the batch's order,
 * then by webhook.
 */
export async function fanOut (db: Db, notifications: ReadonlyArray<{ id: string }>, rerun = false): Promise<FannedOutDelivery[]> {
  if (notifications.length === 0) return []
  const rows = await runBound<FannedOutDelivery>(poolOf(db), { ...FAN_OUT, values: [JSON.stringify(notifications), rerun, LOST_AFTER] })
  return inBatchOrder(rows, notifications.map((notification) => notification.id), (row) => row.notification_id)
}

/** What one delivery attempt reads: the webhook, and its delivery's state and attempts (null when not stored); undefined when the webhook is gone. */
export async function deliveryTarget (db: Db, webhookId: number, notificationId: string): Promise<(Pick<Webhook, 'id' | 'enabled' | 'target_url' | 'secret'> & {
  state: WebhookDeliveryState | null
  attempts: number | null
}) | undefined> {
  return await db.selectFrom('webhooks as w')
    .leftJoin('webhook_deliveries as d', (join) => join.onRef('d.webhook_id', '=', 'w.id').on('d.notification_id', '=', notificationId))
    .select(['w.id', 'w.enabled', 'w.target_url', 'w.secret', 'd.state', 'd.attempts'])
    .where('w.id', '=', webhookId)
    .executeTakeFirst()
}

export interface CallRecord {
  webhook_id: number
  action_type: string
  notification_id: string
  is_retry: boolean
  execution_time: number
  return_code: number | null
  success: boolean
  payload: Record<string, unknown>
  response_body: string | null
}

/** Where an attempt leaves its delivery. */
export interface DeliveryOutcome {
  /** `disabled`: the receiver answered 410, and the webhook is disabled with it. */
  state: Exclude<WebhookDeliveryState, 'skipped'>
  /** While pending: how long until the next attempt. */
  retryInMs?: number
  /** The notification as the job carries it: stores the delivery should it be missing (a job older than the table). */
  notification: Record<string, unknown>
}

/**
 * Logs one delivery attempt and moves its delivery on, in one statement: to its final state, or,
 * still pending, one attempt more and the next one due after `retryInMs`. A delivery that already
 * ended (another job for it got there first) keeps its state. When the receiver answered 410, the
 * webhook is disabled in the same statement.
 */
export async function recordCall (db: Db, call: CallRecord, outcome: DeliveryOutcome): Promise<void> {
  const delivery = (qb: QueryCreator<Database>) => qb.insertInto('webhook_deliveries')
    .values({
      webhook_id: call.webhook_id,
      notification_id: call.notification_id,
      notification: JSON.stringify(outcome.notification),
      state: outcome.state,
      attempts: 1,
      next_attempt_at: sql`now() + make_interval(secs => ${(outcome.retryInMs ?? 0) / 1000})`,
      updated_at: sql`now()`
    })
    .onConflict((oc) => oc.columns(['webhook_id', 'notification_id'])
      .doUpdateSet((eb) => ({
        state: eb.ref('excluded.state'),
        attempts: sql`webhook_deliveries.attempts + 1`,
        next_attempt_at: eb.ref('excluded.next_attempt_at'),
        updated_at: eb.ref('excluded.updated_at')
      }))
      .where('webhook_deliveries.state', '=', 'pending'))
  const values = { ...call, payload: JSON.stringify(call.payload) }
  if (outcome.state === 'disabled') {
    await db.with('d', delivery)
      .with('w', (qb) => qb.updateTable('webhooks').set({ enabled: false }).where('id', '=', call.webhook_id))
      .insertInto('webhook_calls').values(values)
      .execute()
    return
  }
  await db.with('d', delivery).insertInto('webhook_calls').values(values).execute()
}

/** A delivery of a batch as the batch reads it. */
export interface BatchDelivery { notification_id: string, state: WebhookDeliveryState, attempts: number }

/** What a batch of first attempts reads: the webhook, and its stored deliveries among the batch's notifications. */
export interface BatchTarget extends Pick<Webhook, 'enabled' | 'target_url' | 'secret'> { deliveries: BatchDelivery[] }

// Raw named statements: a batch runs them once each, planned once per connection, with no query
// building per call. The notification ids travel as one comma-separated text (uuids hold no comma).
const BATCH_TARGET = {
  name: 'showfloor_webhook_batch_target',
  text: `select w.enabled, w.target_url, w.secret,
    coalesce((select json_agg(json_build_object('notification_id', d.notification_id, 'state', d.state, 'attempts', d.attempts))
      from webhook_deliveries d
      where d.webhook_id = w.id and d.notification_id = any(string_to_array($2::text, ',')::uuid[])), '[]'::json) as deliveries
    from webhooks w where w.id = $1::integer`
}

/** The webhook of a batch and the batch's stored deliveries, in one statement; undefined when the webhook is gone. */
export async function batchDeliveryTarget (db: Db, webhookId: number, notificationIds: readonly string[]): Promise<BatchTarget | undefined> {
  const [target] = await runBound<BatchTarget>(poolOf(db), { ...BATCH_TARGET, values: [webhookId, notificationIds.join(',')] })
  return target
}

/**
 * Where a batch leaves one of its deliveries: `call` when it was attempted (logged, one attempt
 * more), null when it was ended or kept pending without one.
 */
export interface BatchRecord {
  notification_id: string
  state: WebhookDeliveryState
  /** While pending: how long until the next attempt. */
  retry_ms: number
  call: Omit<CallRecord, 'webhook_id' | 'notification_id'> | null
}

const RECORD_BATCH = {
  name: 'showfloor_webhook_record_batch',
  text: `with r as (
      select * from jsonb_to_recordset($2::jsonb) as r(
        notification_id uuid, state text, retry_ms double precision, attempted boolean, action_type text, is_retry boolean,
        execution_time double precision, return_code integer, success boolean, payload jsonb, response_body text)
    ),
    moved as (
      update webhook_deliveries d
      set state = r.state,
        attempts = d.attempts + case when r.attempted then 1 else 0 end,
        next_attempt_at = now() + make_interval(secs => r.retry_ms / 1000),
        updated_at = now()
      from r
      -- The batch's ids as an array too: looked up by primary key, not by reading every pending
      -- delivery of the webhook (a backlog of thousands) and hashing the batch against them.
      where d.webhook_id = $1::integer and d.notification_id = any(array(select notification_id from r))
        and d.notification_id = r.notification_id and d.state = 'pending'
    ),
    disabled as (
      update webhooks set enabled = false where id = $1::integer and exists (select 1 from r where r.state = 'disabled')
    )
    insert into webhook_calls (webhook_id, action_type, notification_id, is_retry, execution_time, return_code, success, payload, response_body)
    select w.id, r.action_type, r.notification_id, r.is_retry, r.execution_time, r.return_code, r.success, r.payload, r.response_body
    from r join webhooks w on w.id = $1::integer
    where r.attempted`
}

/**
 * Logs the attempts of a batch and moves all its deliveries on, in one statement: each pending
 * delivery to its final state, or, still pending, one attempt more (when attempted) and the next
 * one due after `retry_ms`. A delivery that already ended keeps its state. When a record is
 * `disabled` (the receiver answered 410), the webhook is disabled in the same statement. Calls of a
 * webhook deleted meanwhile are not logged (they would go with it).
 */
export async function recordBatch (db: Db, webhookId: number, records: readonly BatchRecord[]): Promise<void> {
  if (records.length === 0) return
  const rows = records.map(({ notification_id: id, state, retry_ms: retryMs, call }) => call === null
    ? { notification_id: id, state, retry_ms: retryMs, attempted: false }
    : { notification_id: id, state, retry_ms: retryMs, attempted: true, ...call })
  await runBound(poolOf(db), { ...RECORD_BATCH, values: [webhookId, JSON.stringify(rows)] })
}

/** Ends a pending delivery without an attempt (its webhook disabled, or too old to try); false when it was not pending. */
export async function settleDelivery (db: Db, webhookId: number, notificationId: string, state: 'skipped' | 'given_up'): Promise<boolean> {
  const result = await db.updateTable('webhook_deliveries').set({ state, updated_at: sql`now()` })
    .where('webhook_id', '=', webhookId).where('notification_id', '=', notificationId).where('state', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** The deliveries of a notification, by webhook (for tests and support). */
export async function listDeliveries (db: Db, notificationId: string): Promise<WebhookDelivery[]> {
  return await db.selectFrom('webhook_deliveries').selectAll().where('notification_id', '=', notificationId).orderBy('webhook_id').execute()
}

/** Deletes up to `limit` deliveries that ended more than `retentionSeconds` ago, oldest first; pending ones stay. */
export async function pruneDeliveries (db: Db, retentionSeconds: number, limit = 5000): Promise<number> {
  const result = await db.deleteFrom('webhook_deliveries')
    .where((eb) => eb(eb.refTuple('webhook_id', 'notification_id'), 'in',
      eb.selectFrom('webhook_deliveries').select(['webhook_id', 'notification_id'])
        .where('state', '<>', 'pending')
        .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
        .orderBy('updated_at')
        .limit(limit)
        .$asTuple('webhook_id', 'notification_id')))
    .where('state', '<>', 'pending')
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes up to `limit` fan-out marks older than `retentionSeconds`, oldest first. */
export async function pruneFanOuts (db: Db, retentionSeconds: number, limit = 5000): Promise<number> {
  const result = await db.deleteFrom('webhook_fanouts')
    .where('notification_id', 'in', (eb) => eb.selectFrom('webhook_fanouts').select('notification_id')
      .where('fanned_out_at', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
      .orderBy('fanned_out_at')
      .limit(limit))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes up to `limit` calls older than `retentionSeconds`, oldest first; returns how many went. */
export async function pruneCalls (db: Db, retentionSeconds: number, limit = 5000): Promise<number> {
  const result = await db.deleteFrom('webhook_calls')
    .where('id', 'in', (eb) => eb.selectFrom('webhook_calls').select('id')
      .where('datetime', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
      .orderBy('datetime')
      .limit(limit))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

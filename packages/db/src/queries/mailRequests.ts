import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { I18nText, MailRequestStatus, NameParts } from '@showfloor/schemas'

// One row per send_access_code request. Its status moves, each step one conditional UPDATE:
//   pending → sending (the worker claims it, only while the deadline leaves room for a delivery)
//   sending → sent | failed, or back to pending for a retry
//   sending → unconfirmed (the server had the whole message but did not confirm it in time, or the
//             deadline passed while it was being sent: it may or may not have been delivered)
//   pending → abandoned (the API gave up at the deadline) | failed (the worker gave up)
// Whoever moves it first wins, so a request the API answered 503 can never be sent afterwards.

export type { MailRequestStatus }

export const FINAL_STATUSES: readonly MailRequestStatus[] = ['sent', 'failed', 'abandoned', 'unconfirmed']

const ms = (value: number) => sql<Date>`now() + make_interval(secs => ${value / 1000})`

/** A new pending request for the exhibitor, due `timeoutMs` from now (by the database's clock). */
export async function createMailRequest (db: Db, exhibitorId: number, timeoutMs: number): Promise<string> {
  const id = randomUUID()
  await db.insertInto('mail_requests')
    .values({ id, exhibitor_id: exhibitorId, status: 'pending', deadline: ms(timeoutMs) })
    .execute()
  return id
}

export interface MailRequestState {
  status: MailRequestStatus
  /** The deadline has passed (by the database's clock). */
  expired: boolean
}

export async function getMailRequestState (db: Db, id: string): Promise<MailRequestState | undefined> {
  const row = await db.selectFrom('mail_requests')
    .select(['status', sql<boolean>`deadline <= now()`.as('expired')])
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? { status: row.status, expired: row.expired } : undefined
}

/** The API gives up: pending → abandoned. False when the worker claimed or finished it first. */
export async function abandonMailRequest (db: Db, id: string, error: string): Promise<boolean> {
  const result = await db.updateTable('mail_requests')
    .set({ status: 'abandoned', error, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * At the deadline, whatever is still under way is settled: pending → abandoned (no worker can claim
 * it any more), sending → unconfirmed (its worker may have handed the mail over, or died). Returns
 * the status set; undefined when the request was finished first (or its deadline is not over).
 */
export async function settleAtDeadline (db: Db, id: string): Promise<MailRequestStatus | undefined> {
  const row = await db.updateTable('mail_requests')
    .set({
      status: sql<MailRequestStatus>`case status when 'pending' then 'abandoned' else 'unconfirmed' end`,
      error: sql<string>`case status when 'pending' then 'not sent before the deadline' else 'still being sent at the deadline' end`,
      finished_at: sql`now()`
    })
    .where('id', '=', id).where('status', 'in', ['pending', 'sending']).where('deadline', '<=', sql<Date>`now()`)
    .returning('status')
    .executeTakeFirst()
  return row?.status
}

/**
 * Settles up to `limit` requests still under way `graceMs` after their deadline (as
 * settleAtDeadline; for requests whose API process died as well), for a periodic sweep. Returns how
 * many were settled.
 */
export async function settleOverdueMailRequests (db: Db, graceMs: number, limit = 1000): Promise<number> {
  const result = await sql`
    update mail_requests set
      status = case status when 'pending' then 'abandoned' else 'unconfirmed' end,
      error = case status when 'pending' then 'not sent before the deadline' else 'still being sent at the deadline' end,
      finished_at = now()
    where id in (
      select id from mail_requests
      where status in ('pending', 'sending') and deadline < now() - make_interval(secs => ${graceMs / 1000})
      limit ${limit} for update skip locked)
      and status in ('pending', 'sending')`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/**
 * Pending requests created over `olderThanMs` ago whose deadline still leaves more than `marginMs`
 * (the room a delivery needs): work whose job may have been lost, to be queued again (its job id is
 * the request id, so a job still queued is not doubled).
 */
export async function listPendingMailRequests (db: Db, olderThanMs: number, marginMs: number, limit = 1000): Promise<string[]> {
  const rows = await db.selectFrom('mail_requests').select('id')
    .where('status', '=', 'pending')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .where('deadline', '>', ms(marginMs))
    .orderBy('created_at').limit(limit)
    .execute()
  return rows.map((row) => row.id)
}

/** What the access-code mail says, read when it is sent. */
export interface AccessCodeMailData {
  exhibitor_name: string
  contact_name_parts: NameParts
  contact_email: string | null
  contact_cc_email: string | null
  locale: string
  access_code: string
  lead_scanning_access_code: string
  booth: string | null
  event_name: I18nText
  event_slug: string
  organizer_slug: string
  organizer_name: string
}

const MAIL_COLUMNS = [
  'x.name as exhibitor_name', 'x.contact_name_parts', 'x.contact_email', 'x.contact_cc_email', 'x.locale',
  'x.access_code', 'x.lead_scanning_access_code', 'x.booth',
  'e.name as event_name', 'e.slug as event_slug', 'o.slug as organizer_slug', 'o.name as organizer_name'
] as const

/**
 * The worker claims a pending request before sending: only while more than `marginMs` are left
 * before the deadline, the margin covering the longest a delivery may take. Returns what the mail
 * says, read in the same statement; undefined when the request is not pending any more or too
 * close to its deadline.
 */
export async function claimMailRequest (db: Db, id: string, marginMs: number): Promise<ClaimedMailRequest | undefined> {
  const row = await db
    .with('m', (qb) => qb.updateTable('mail_requests')
      .set({ status: 'sending' })
      .where('id', '=', id).where('status', '=', 'pending')
      .where('deadline', '>', ms(marginMs))
      .returning(['exhibitor_id', 'deadline']))
    .selectFrom('m')
    .innerJoin('exhibitors as x', 'x.id', 'm.exhibitor_id')
    .innerJoin('events as e', 'e.id', 'x.event_id')
    .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
    .select(MAIL_COLUMNS)
    .select(sql<number>`extract(epoch from m.deadline - now()) * 1000`.as('ms_left'))
    .executeTakeFirst()
  return row && { ...row, ms_left: Number(row.ms_left) }
}

/** A claimed request: what its mail says, and the time left before its deadline (the database's clock). */
export type ClaimedMailRequest = AccessCodeMailData & { ms_left: number }

/** sending → sent; false when the request was settled meanwhile (the API gave up at the deadline). */
export async function markMailSent (db: Db, id: string): Promise<boolean> {
  const result = await db.updateTable('mail_requests')
    .set({ status: 'sent', error: null, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'sending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** sending → unconfirmed: the server had the whole message but did not confirm it. Never retried. */
export async function markMailUnconfirmed (db: Db, id: string, error: string): Promise<void> {
  await db.updateTable('mail_requests')
    .set({ status: 'unconfirmed', error, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'sending')
    .execute()
}

/**
 * A delivery failed. With `retry` (the deadline still leaves room for another attempt), the request
 * goes back to pending so the next attempt can claim it again; otherwise it is failed for good.
 */
export async function markMailAttemptFailed (db: Db, id: string, error: string, retry: boolean): Promise<void> {
  await db.updateTable('mail_requests')
    .set(retry ? { status: 'pending', error } : { status: 'failed', error, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'sending')
    .execute()
}

/** The worker gives up on a request it could not claim in time: pending → failed. */
export async function failPendingMailRequest (db: Db, id: string, error: string): Promise<void> {
  await db.updateTable('mail_requests')
    .set({ status: 'failed', error, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'pending')
    .execute()
}

/** Whether the deadline still leaves more than `marginMs`, the room another attempt needs. */
export async function mailRequestHasTime (db: Db, id: string, marginMs: number): Promise<boolean> {
  const row = await db.selectFrom('mail_requests').select(sql<boolean>`deadline > ${ms(marginMs)}`.as('ok'))
    .where('id', '=', id).executeTakeFirst()
  return row?.ok ?? false
}

/** What the mail of a request says, without claiming it. */
export async function loadAccessCodeMail (db: Db, id: string): Promise<AccessCodeMailData | undefined> {
  return await db.selectFrom('mail_requests as m')
    .innerJoin('exhibitors as x', 'x.id', 'm.exhibitor_id')
    .innerJoin('events as e', 'e.id', 'x.event_id')
    .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
    .select(MAIL_COLUMNS)
    .where('m.id', '=', id)
    .executeTakeFirst()
}

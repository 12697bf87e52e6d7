import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { I18nText, NameParts } from '../types.js'

// One row per send_access_code request. Its status moves, each step one conditional UPDATE:
//   pending → sending (the worker claims it, only while the deadline leaves room for a delivery)
//   sending → sent | failed, or back to pending for a retry
//   pending → abandoned (the API gave up at the deadline) | failed (the worker gave up)
// Whoever moves it first wins, so a request the API answered 503 can never be sent afterwards.

export type MailRequestStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'abandoned'

export const FINAL_STATUSES: readonly MailRequestStatus[] = ['sent', 'failed', 'abandoned']

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
  return row ? { status: row.status as MailRequestStatus, expired: row.expired } : undefined
}

/** The API gives up: pending → abandoned. False when the worker claimed or finished it first. */
export async function abandonMailRequest (db: Db, id: string, error: string): Promise<boolean> {
  const result = await db.updateTable('mail_requests')
    .set({ status: 'abandoned', error, finished_at: sql`now()` })
    .where('id', '=', id).where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
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
export async function claimMailRequest (db: Db, id: string, marginMs: number): Promise<AccessCodeMailData | undefined> {
  return await db
    .with('m', (qb) => qb.updateTable('mail_requests')
      .set({ status: 'sending' })
      .where('id', '=', id).where('status', '=', 'pending')
      .where('deadline', '>', ms(marginMs))
      .returning('exhibitor_id'))
    .selectFrom('m')
    .innerJoin('exhibitors as x', 'x.id', 'm.exhibitor_id')
    .innerJoin('events as e', 'e.id', 'x.event_id')
    .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
    .select(MAIL_COLUMNS)
    .executeTakeFirst()
}

export async function markMailSent (db: Db, id: string): Promise<void> {
  await db.updateTable('mail_requests')
    .set({ status: 'sent', error: null, finished_at: sql`now()` })
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

import { sql } from 'kysely'
import type { EventListFilter } from '@showfloor/schemas'
import type { Db } from '../database.js'
import type { Event, EventUpdate, NewEvent, Team } from '../types.js'

export async function findEvent (db: Db, organizerId: number, slug: string): Promise<Event | undefined> {
  return await db.selectFrom('events').selectAll()
    .where('organizer_id', '=', organizerId).where('slug', '=', slug).executeTakeFirst()
}

function visibleEvents (db: Db, team: Team, filter: EventFilter = {}) {
  let query = db.selectFrom('events').where('events.organizer_id', '=', team.organizer_id)
  if (!team.all_events) {
    query = query.where('events.id', 'in', db.selectFrom('team_events').select('event_id').where('team_id', '=', team.id))
  }
  // An event ends at date_to, or at date_from when it has none (pretix's reading).
  const end = sql<Date>`coalesce(events.date_to, events.date_from)`
  if (filter.ends_after !== undefined) query = query.where(sql<boolean>`${end} >= ${filter.ends_after}::timestamptz`)
  if (filter.is_past !== undefined) query = query.where(filter.is_past ? sql<boolean>`${end} < now()` : sql<boolean>`${end} >= now()`)
  if (filter.is_future !== undefined) query = query.where(filter.is_future ? sql<boolean>`${end} >= now()` : sql<boolean>`${end} < now()`)
  return query
}

/** The list's filters (pretix's event filter set), read from the query by the schemas package. */
export type EventFilter = EventListFilter

export async function countEvents (db: Db, team: Team, filter: EventFilter = {}): Promise<number> {
  const row = await visibleEvents(db, team, filter).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listEvents (db: Db, team: Team, limit: number, offset: number, filter: EventFilter = {}): Promise<Event[]> {
  return await visibleEvents(db, team, filter).selectAll().orderBy('events.id').limit(limit).offset(offset).execute()
}

/**
 * Creates the event with its exhibitor settings at their defaults, and links it to a team limited
 * to a list of events (such a team reaches the events it creates, as in pretix). One statement, so
 * it is whole or not at all without a transaction of its own.
 */
export async function createEvent (db: Db, values: NewEvent, team?: Team): Promise<Event> {
  const linkTeam = team !== undefined && !team.all_events
  return await db
    .with('e', (qb) => qb.insertInto('events').values(values).returningAll())
    .with('s', (qb) => qb.insertInto('exhibitor_settings').columns(['event_id'])
      .expression((eb) => eb.selectFrom('e').select('e.id')))
    .with('t', (qb) => qb.insertInto('team_events').columns(['team_id', 'event_id'])
      .expression((eb) => eb.selectFrom('e').select([sql<number>`${team?.id ?? 0}::int`.as('team_id'), 'e.id'])
        .where(sql<boolean>`${linkTeam}::boolean`)))
    .selectFrom('e').selectAll()
    .executeTakeFirstOrThrow()
}

export async function updateEvent (db: Db, id: number, values: EventUpdate): Promise<Event> {
  if (Object.keys(values).length === 0) return await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  return await db.updateTable('events').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function deleteEvent (db: Db, id: number): Promise<void> {
  await db.deleteFrom('events').where('id', '=', id).execute()
}

/** An event with orders cannot be deleted (pretix's allow_delete). */
export async function eventHasOrders (db: Db, id: number): Promise<boolean> {
  const row = await db.selectFrom('orders').select('id').where('event_id', '=', id).limit(1).executeTakeFirst()
  return row !== undefined
}

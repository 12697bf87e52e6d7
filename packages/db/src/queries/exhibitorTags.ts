import type { Db } from '../database.js'
import { isUniqueViolation } from '../codes.js'
import type { ExhibitorTag } from '../types.js'

export async function countTags (db: Db, eventId: number): Promise<number> {
  const row = await db.selectFrom('exhibitor_tags').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listTags (db: Db, eventId: number, limit: number, offset: number): Promise<ExhibitorTag[]> {
  return await db.selectFrom('exhibitor_tags').selectAll()
    .where('event_id', '=', eventId).orderBy('id').limit(limit).offset(offset).execute()
}

export async function findTag (db: Db, eventId: number, id: number): Promise<ExhibitorTag | undefined> {
  return await db.selectFrom('exhibitor_tags').selectAll()
    .where('event_id', '=', eventId).where('id', '=', id).executeTakeFirst()
}

/** Creates the tag; undefined when the event already has a tag of that name (also under a race). */
export async function createTag (db: Db, eventId: number, name: string): Promise<ExhibitorTag | undefined> {
  try {
    return await db.insertInto('exhibitor_tags').values({ event_id: eventId, name }).returningAll().executeTakeFirstOrThrow()
  } catch (err) {
    if (isUniqueViolation(err, 'exhibitor_tags_event_name_key')) return undefined
    throw err
  }
}

/** Deletes the tag (its links to exhibitors go by cascade); false when there was none. */
export async function deleteTag (db: Db, eventId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom('exhibitor_tags').where('event_id', '=', eventId).where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

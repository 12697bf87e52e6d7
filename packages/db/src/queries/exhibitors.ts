import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { Exhibitor, ExhibitorUpdate, NewExhibitor } from '../types.js'
import { generateAccessCode, isUniqueViolation } from '../codes.js'

/** An exhibitor with the names of its tags, as the API shows it. */
export type ExhibitorWithTags = Exhibitor & { exhibitor_tags: string[] }

function withTags (db: Db) {
  return db.selectFrom('exhibitors').selectAll('exhibitors').select((eb) => [
    sql<string[]>`coalesce((${eb.selectFrom('exhibitor_tag_links')
      .innerJoin('exhibitor_tags', 'exhibitor_tags.id', 'exhibitor_tag_links.tag_id')
      .select(sql`json_agg(exhibitor_tags.name order by exhibitor_tags.name)`.as('names'))
      .whereRef('exhibitor_tag_links.exhibitor_id', '=', 'exhibitors.id')}), '[]'::json)`.as('exhibitor_tags')
  ])
}

export async function countExhibitors (db: Db, eventId: number): Promise<number> {
  const row = await db.selectFrom('exhibitors').select((eb) => eb.fn.countAll<number>().as('count'))
    .where('event_id', '=', eventId).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function listExhibitors (db: Db, eventId: number, limit: number, offset: number): Promise<ExhibitorWithTags[]> {
  return await withTags(db).where('exhibitors.event_id', '=', eventId)
    .orderBy('exhibitors.id').limit(limit).offset(offset).execute()
}

export async function findExhibitor (db: Db, eventId: number, id: number): Promise<ExhibitorWithTags | undefined> {
  return await withTags(db).where('exhibitors.event_id', '=', eventId).where('exhibitors.id', '=', id).executeTakeFirst()
}

/** The exhibitor tags of the event with these names (for resolving `exhibitor_tags`). */
export async function findTagsByName (db: Db, eventId: number, names: readonly string[]): Promise<Array<{ id: number, name: string }>> {
  if (names.length === 0) return []
  return await db.selectFrom('exhibitor_tags').select(['id', 'name'])
    .where('event_id', '=', eventId).where('name', 'in', [...new Set(names)]).execute()
}

async function linkTags (db: Db, exhibitorId: number, tagIds: readonly number[]): Promise<void> {
  const unique = [...new Set(tagIds)]
  if (unique.length === 0) return
  await db.insertInto('exhibitor_tag_links').values(unique.map((tagId) => ({ exhibitor_id: exhibitorId, tag_id: tagId }))).execute()
}

export type ExhibitorValues = Omit<NewExhibitor, 'access_code' | 'lead_scanning_access_code' | 'id' | 'lead_count' | 'created_at'>

const MAX_CODE_ATTEMPTS = 20

/**
 * Creates the exhibitor with two fresh access codes and its tag links, in one transaction. Both
 * codes also go into `exhibitor_access_codes`, whose key makes every code unique across all
 * exhibitors and both kinds; a collision rolls back and is retried with new codes.
 */
export async function createExhibitor (
  db: Db,
  values: ExhibitorValues,
  tagIds: readonly number[],
  generate: () => string = generateAccessCode
): Promise<ExhibitorWithTags> {
  for (let attempt = 1; ; attempt++) {
    const accessCode = generate()
    let scanningCode = generate()
    while (scanningCode === accessCode) scanningCode = generate()
    try {
      const id = await db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('exhibitors')
          .values({ ...values, access_code: accessCode, lead_scanning_access_code: scanningCode })
          .returning('id').executeTakeFirstOrThrow()
        await trx.insertInto('exhibitor_access_codes').values([
          { code: accessCode, exhibitor_id: row.id, full_access: true },
          { code: scanningCode, exhibitor_id: row.id, full_access: false }
        ]).execute()
        await linkTags(trx, row.id, tagIds)
        return row.id
      })
      return (await findExhibitor(db, values.event_id, id))!
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_CODE_ATTEMPTS) throw err
    }
  }
}

/** Changes the given columns and, when `tagIds` is given, replaces the tag links. */
export async function updateExhibitor (
  db: Db,
  exhibitor: Exhibitor,
  values: ExhibitorUpdate,
  tagIds: readonly number[] | undefined
): Promise<ExhibitorWithTags> {
  await db.transaction().execute(async (trx) => {
    if (Object.keys(values).length > 0) {
      await trx.updateTable('exhibitors').set(values).where('id', '=', exhibitor.id).execute()
    }
    if (tagIds !== undefined) {
      await trx.deleteFrom('exhibitor_tag_links').where('exhibitor_id', '=', exhibitor.id).execute()
      await linkTags(trx, exhibitor.id, tagIds)
    }
  })
  return (await findExhibitor(db, exhibitor.event_id, exhibitor.id))!
}

/**
 * Deletes the exhibitor. Its leads, voucher links, tag links and access codes go with it by
 * cascade in the same statement, so the codes stop working at once; the vouchers stay.
 */
export async function deleteExhibitor (db: Db, id: number): Promise<void> {
  await db.deleteFrom('exhibitors').where('id', '=', id).execute()
}

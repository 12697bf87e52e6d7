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

export type ExhibitorValues = Omit<NewExhibitor, 'access_code' | 'lead_scanning_access_code' | 'id' | 'lead_count' | 'created_at'>

const MAX_CODE_ATTEMPTS = 20

/**
 * Creates the exhibitor with two fresh access codes and its tag links. Both codes also go into
 * `exhibitor_access_codes`, whose key makes every code unique across all exhibitors and both kinds.
 * All rows are written by one statement, so a collision leaves nothing behind and is retried with
 * new codes.
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
      const row = await db
        .with('x', (qb) => qb.insertInto('exhibitors')
          .values({ ...values, access_code: accessCode, lead_scanning_access_code: scanningCode })
          .returning('id'))
        .with('c', (qb) => qb.insertInto('exhibitor_access_codes').columns(['code', 'exhibitor_id', 'full_access'])
          .expression(sql`select c.code, x.id, c.full_access from x, (values (${accessCode}::text, true), (${scanningCode}::text, false)) as c(code, full_access)`))
        .with('l', (qb) => qb.insertInto('exhibitor_tag_links').columns(['exhibitor_id', 'tag_id'])
          .expression(sql`select x.id, t.tag_id from x, unnest(${[...new Set(tagIds)]}::int[]) as t(tag_id)`))
        .selectFrom('x').select('id')
        .executeTakeFirstOrThrow()
      return (await findExhibitor(db, values.event_id, row.id))!
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_CODE_ATTEMPTS) throw err
    }
  }
}

/** Changes the given columns of the exhibitor. */
export async function updateExhibitor (db: Db, id: number, values: ExhibitorUpdate): Promise<void> {
  if (Object.keys(values).length === 0) return
  await db.updateTable('exhibitors').set(values).where('id', '=', id).execute()
}

/** Replaces the exhibitor's tag links (two statements: run it in a transaction). */
export async function replaceTags (db: Db, exhibitorId: number, tagIds: readonly number[]): Promise<void> {
  await db.deleteFrom('exhibitor_tag_links').where('exhibitor_id', '=', exhibitorId).execute()
  const unique = [...new Set(tagIds)]
  if (unique.length === 0) return
  await db.insertInto('exhibitor_tag_links').values(unique.map((tagId) => ({ exhibitor_id: exhibitorId, tag_id: tagId }))).execute()
}

/**
 * Deletes the exhibitor (false when it was gone already). Its leads, voucher links, tag links and access codes go with it by
 * cascade in the same statement, so the codes stop working at once; the vouchers stay.
 */
export async function deleteExhibitor (db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('exhibitors').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

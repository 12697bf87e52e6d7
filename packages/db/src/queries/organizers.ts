import type { Db } from '../database.js'
import type { Organizer } from '../types.js'

export async function createOrganizer (db: Db, slug: string, name: string): Promise<Organizer> {
  return await db.insertInto('organizers').values({ slug, name }).returningAll().executeTakeFirstOrThrow()
}

export async function findOrganizer (db: Db, slug: string): Promise<Organizer | undefined> {
  return await db.selectFrom('organizers').selectAll().where('slug', '=', slug).executeTakeFirst()
}

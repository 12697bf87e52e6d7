import type { Updateable } from 'kysely'
import type { Db } from '../database.js'
import type { ExhibitorSettings, ExhibitorSettingsTable } from '../types.js'

export type ExhibitorSettingsUpdate = Omit<Updateable<ExhibitorSettingsTable>, 'event_id'>

/**
 * The event's exhibitor settings. The row is created with the event; should it be missing (an
 * event inserted by other means), it is created here at its defaults rather than failing.
 */
export async function getSettings (db: Db, eventId: number): Promise<ExhibitorSettings> {
  const found = await db.selectFrom('exhibitor_settings').selectAll().where('event_id', '=', eventId).executeTakeFirst()
  if (found) return found
  await db.insertInto('exhibitor_settings').values({ event_id: eventId })
    .onConflict((oc) => oc.column('event_id').doNothing()).execute()
  return await db.selectFrom('exhibitor_settings').selectAll().where('event_id', '=', eventId).executeTakeFirstOrThrow()
}

/** Changes only the given columns (jsonb ones as JSON strings); an upsert, like getSettings never failing on a missing row. */
export async function updateSettings (db: Db, eventId: number, values: ExhibitorSettingsUpdate): Promise<ExhibitorSettings> {
  if (Object.keys(values).length === 0) return await getSettings(db, eventId)
  return await db.insertInto('exhibitor_settings').values({ ...values, event_id: eventId })
    .onConflict((oc) => oc.column('event_id').doUpdateSet(values))
    .returningAll().executeTakeFirstOrThrow()
}

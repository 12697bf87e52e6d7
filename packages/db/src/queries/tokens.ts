import { createHash, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../database.js'
import type { Team } from '../types.js'

export const TEAM_PERMISSIONS = [
  'can_create_events',
  'can_change_event_settings',
  'can_change_items',
  'can_view_orders',
  'can_change_orders',
  'can_view_vouchers',
  'can_change_vouchers',
  'can_change_organizer_settings'
] as const
export type TeamPermission = typeof TEAM_PERMISSIONS[number]

export function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** 256 random bits, base32-ish lower case like pretix's 64-character tokens. */
export function generateToken (): string {
  return randomBytes(32).toString('hex')
}

export interface TeamSpec {
  organizerId: number
  name: string
  allEvents: boolean
  eventIds: number[]
  permissions: readonly TeamPermission[]
}

/**
 * Creates the team, or updates the one of that name, with exactly these events and permissions.
 * One statement, so it is whole or not at all without a transaction of its own.
 */
export async function upsertTeam (db: Db, spec: TeamSpec): Promise<Team> {
  const flags = Object.fromEntries(TEAM_PERMISSIONS.map((p) => [p, spec.permissions.includes(p)]))
  const eventIds = [...new Set(spec.eventIds)]
  return await db
    .with('t', (qb) => qb.insertInto('teams')
      .values({ organizer_id: spec.organizerId, name: spec.name, all_events: spec.allEvents, ...flags })
      .onConflict((oc) => oc.columns(['organizer_id', 'name']).doUpdateSet({ all_events: spec.allEvents, ...flags }))
      .returningAll())
    .with('d', (qb) => qb.deleteFrom('team_events')
      .where('team_id', 'in', qb.selectFrom('t').select('t.id'))
      .where(sql<boolean>`event_id <> all(${eventIds}::int[])`))
    .with('i', (qb) => qb.insertInto('team_events').columns(['team_id', 'event_id'])
      .expression(sql`select t.id, e.event_id from t, unnest(${eventIds}::int[]) as e(event_id)`)
      .onConflict((oc) => oc.doNothing()))
    .selectFrom('t').selectAll()
    .executeTakeFirstOrThrow()
}

/** Stores a new token for the team and returns it in clear: the only time it is seen. */
export async function createToken (db: Db, teamId: number, name = ''): Promise<string> {
  const token = generateToken()
  await db.insertInto('api_tokens').values({ team_id: teamId, name, token_hash: hashToken(token) }).execute()
  return token
}

export interface TokenAuth {
  tokenId: number
  team: Team
  organizerSlug: string
}

export async function findToken (db: Db, token: string): Promise<TokenAuth | undefined> {
  const row = await db.selectFrom('api_tokens')
    .innerJoin('teams', 'teams.id', 'api_tokens.team_id')
    .innerJoin('organizers', 'organizers.id', 'teams.organizer_id')
    .selectAll('teams')
    .select(['api_tokens.id as token_id', 'organizers.slug as organizer_slug'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .where('api_tokens.active', '=', true)
    .executeTakeFirst()
  if (!row) return undefined
  const { token_id: tokenId, organizer_slug: organizerSlug, ...team } = row
  return { tokenId, team, organizerSlug }
}

/** Whether the team reaches the event: all events of its organizer, or the event is listed. */
export async function teamReachesEvent (db: Db, team: Team, eventId: number): Promise<boolean> {
  if (team.all_events) return true
  const row = await db.selectFrom('team_events').select('event_id')
    .where('team_id', '=', team.id).where('event_id', '=', eventId).executeTakeFirst()
  return row !== undefined
}

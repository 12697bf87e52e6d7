import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { queries, type Db } from '@showfloor/db'
import { createTestDatabase } from '@showfloor/db/testing'
import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

export interface Harness {
  app: FastifyInstance
  db: Db
  /** A token of a team with every permission on all events of organizer `demo`. */
  token: string
  organizerId: number
  /** Creates a token for `demo` (or another organizer) with the given team settings. */
  tokenFor: (opts: { permissions?: readonly queries.tokens.TeamPermission[], allEvents?: boolean, eventIds?: number[], organizerId?: number, team?: string }) => Promise<string>
  request: (token: string | null, opts: InjectOptions) => Promise<LightMyRequestResponse>
  /** Creates an event of `demo` through the API and returns its slug. */
  createEvent: (slug: string, extra?: Record<string, unknown>) => Promise<string>
}

/**
 * A fresh app on a database of its own; everything is dropped in teardown. `env` overrides
 * configuration values (a queue prefix of the test's own, a shorter timeout).
 */
export async function harness (t: Test, env: Record<string, string> = {}): Promise<Harness> {
  const testDb = await createTestDatabase('admin')
  const config = loadConfig(AdminApiEnv, { ...process.env, DATABASE_URL: testDb.url, LOG_LEVEL: 'silent', PUBLIC_ADMIN_URL: '', ...env })
  const app = await buildApp(config)
  t.teardown(async () => {
    await app.close()
    await testDb.drop()
  })
  const db = testDb.db
  const organizer = await queries.organizers.createOrganizer(db, 'demo', 'Demo Organizer')
  let teams = 0
  const tokenFor: Harness['tokenFor'] = async (opts) => {
    const team = await queries.tokens.upsertTeam(db, {
      organizerId: opts.organizerId ?? organizer.id,
      name: opts.team ?? `team-${++teams}`,
      allEvents: opts.allEvents ?? true,
      eventIds: opts.eventIds ?? [],
      permissions: opts.permissions ?? queries.tokens.TEAM_PERMISSIONS
    })
    return await queries.tokens.createToken(db, team.id)
  }
  const token = await tokenFor({})
  const request: Harness['request'] = async (tok, opts) => await app.inject({
    ...opts,
    headers: { ...(tok ? { authorization: `Token ${tok}` } : {}), ...opts.headers }
  })
  const createEvent: Harness['createEvent'] = async (slug, extra = {}) => {
    const res = await request(token, {
      method: 'POST',
      url: '/api/v1/organizers/demo/events/',
      payload: { name: { en: `Event ${slug}` }, slug, date_from: '2026-12-01T09:00:00Z', ...extra }
    })
    if (res.statusCode !== 201) throw new Error(`event create failed: ${res.statusCode} ${res.body}`)
    return slug
  }
  return { app, db, token, organizerId: organizer.id, tokenFor, request, createEvent }
}

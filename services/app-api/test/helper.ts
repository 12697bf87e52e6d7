import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedShow, testPrefix, type ShowAttendee, type ShowExhibitor } from '@showfloor/db/testing'
import { AppApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

export type Attendee = ShowAttendee

export interface Show {
  app: FastifyInstance
  db: Db
  eventId: number
  itemId: number
  /** Exhibitor "Aperture Science" with its two codes. */
  exhibitor: ShowExhibitor
  attendees: Attendee[]
  request: (code: string | null, opts: InjectOptions) => Promise<LightMyRequestResponse>
  addExhibitor: (values?: Record<string, unknown>) => Promise<ShowExhibitor>
  addAttendee: (values?: Record<string, unknown>, orderValues?: Record<string, unknown>) => Promise<Attendee>
}

/**
 * An App API on a database of its own, with one event ("Sample conference", organizer
 * "bigevents"), an item, three attendees and one exhibitor; dropped in teardown.
 */
export async function show (t: Test, env: Record<string, string> = {}): Promise<Show> {
  const testDb = await createTestDatabase('app')
  const config = loadConfig(AppApiEnv, { ...process.env, DATABASE_URL: testDb.url, LOG_LEVEL: 'silent', REDIS_PREFIX: testPrefix('app'), ...env })
  const app = await buildApp(config)
  t.teardown(async () => {
    await removePrefix(config.REDIS_URL, config.REDIS_PREFIX).catch(() => {})
    await app.close()
    await testDb.drop()
  })
  const db = testDb.db
  const { eventId, itemId, addAttendee, addExhibitor } = await seedShow(db, { event: { date_from: '2017-12-27T10:00:00Z', date_to: '2017-12-28T10:00:00Z' } })

  const attendees = [await addAttendee(), await addAttendee(), await addAttendee()]
  const exhibitor = await addExhibitor()
  const request: Show['request'] = async (code, opts) => await app.inject({
    ...opts,
    headers: { ...(code !== null ? { authorization: `Exhibitor ${code}` } : {}), ...opts.headers }
  })
  return { app, db, eventId, itemId, exhibitor, attendees, request, addExhibitor, addAttendee }
}

export function upload (code: string, extra: Record<string, unknown> = {}) {
  return {
    code,
    notes: 'Great customer, wants our newsletter',
    scanned: '2020-10-18T12:24:23.000+00:00',
    scan_type: 'lead',
    tags: ['foo'],
    rating: 4,
    device_name: 'DEV1',
    device_uuid: 'd8c2ec53-d602-4a08-882d-db4cf54344a2',
    ...extra
  }
}

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { generatePseudonymizationId, generateSecret, queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, testPrefix } from '@showfloor/db/testing'
import { AppApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

export interface Attendee { positionId: number, orderId: number, orderCode: string, scanCode: string, secret: string }

export interface Show {
  app: FastifyInstance
  db: Db
  eventId: number
  itemId: number
  /** Exhibitor "Aperture Science" with its two codes. */
  exhibitor: { id: number, accessCode: string, scanCode: string }
  attendees: Attendee[]
  request: (code: string | null, opts: InjectOptions) => Promise<LightMyRequestResponse>
  addExhibitor: (values?: Record<string, unknown>) => Promise<{ id: number, accessCode: string, scanCode: string }>
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
  const organizer = await queries.organizers.createOrganizer(db, 'bigevents', 'Big Events')
  const event = await queries.events.createEvent(db, {
    organizer_id: organizer.id,
    slug: 'sampleconf',
    name: JSON.stringify({ en: 'Sample conference', de: 'Beispielkonferenz' }),
    date_from: '2017-12-27T10:00:00Z',
    date_to: '2017-12-28T10:00:00Z'
  })
  const item = await db.insertInto('items').values({ event_id: event.id, name: JSON.stringify({ en: 'Ticket', de: 'Eintrittskarte' }), default_price: '23.00' })
    .returning('id').executeTakeFirstOrThrow()

  let orders = 0
  const addAttendee: Show['addAttendee'] = async (values = {}, orderValues = {}) => {
    const code = `T${String(++orders).padStart(4, '0')}`
    const order = await db.insertInto('orders').values({ event_id: event.id, code, email: 'orders@example.com', total: '23.00', status: 'p', ...orderValues })
      .returning(['id', 'code']).executeTakeFirstOrThrow()
    const scanCode = generatePseudonymizationId()
    const secret = generateSecret()
    const position = await db.insertInto('order_positions').values({
      order_id: order.id,
      event_id: event.id,
      positionid: 1,
      item_id: item.id,
      price: '23.00',
      attendee_name_parts: JSON.stringify({ _scheme: 'salutation_title_given_family', given_name: 'Jon', family_name: 'Doe' }),
      attendee_name: 'Jon Doe',
      attendee_email: 'test@example.com',
      company: 'Black Mesa',
      secret,
      pseudonymization_id: scanCode,
      ...values
    }).returning('id').executeTakeFirstOrThrow()
    return { positionId: position.id, orderId: order.id, orderCode: order.code, scanCode, secret }
  }

  const addExhibitor: Show['addExhibitor'] = async (values = {}) => {
    const exhibitor = await queries.exhibitors.createExhibitor(db, { event_id: event.id, name: 'Aperture Science', booth: 'A2', locale: 'en', ...values }, [])
    return { id: exhibitor.id, accessCode: exhibitor.access_code, scanCode: exhibitor.lead_scanning_access_code }
  }

  const attendees = [await addAttendee(), await addAttendee(), await addAttendee()]
  const exhibitor = await addExhibitor()
  const request: Show['request'] = async (code, opts) => await app.inject({
    ...opts,
    headers: { ...(code !== null ? { authorization: `Exhibitor ${code}` } : {}), ...opts.headers }
  })
  return { app, db, eventId: event.id, itemId: item.id, exhibitor, attendees, request, addExhibitor, addAttendee }
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

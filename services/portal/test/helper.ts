import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { queries, type Db } from '@showfloor/db'
import { createTestDatabase, removePrefix, seedShow, testPrefix } from '@showfloor/db/testing'
import { loadConfig } from '@showfloor/http'
import { AppApiEnv, PortalEnv } from '@showfloor/schemas'
import { buildApp } from '../src/app.js'

export const SECRET = 'a-test-secret-that-is-long-enough-0123456789'

export interface Attendee { positionId: number, scanCode: string }
export interface Exhibitor { id: number, accessCode: string, scanCode: string }

export interface Show {
  app: FastifyInstance
  db: Db
  config: PortalEnv
  eventId: number
  /** "Aperture Science" at booth A2, with leads and vouchers allowed. */
  exhibitor: Exhibitor
  addExhibitor: (values?: Record<string, unknown>) => Promise<Exhibitor>
  addAttendee: (values?: Record<string, unknown>) => Promise<Attendee>
  /** A stored lead of the exhibitor for the attendee, as an upload leaves it. */
  addLead: (exhibitorId: number, attendee: Attendee, values?: Record<string, unknown>) => Promise<number>
  /** A fresh browser-like visitor (its own cookies). */
  client: (opts?: { ip?: string, acceptLanguage?: string }) => Client
  /** The App API on the same database and Redis prefix (built in this process). */
  appApi: () => Promise<FastifyInstance>
}

/**
 * The portal on a database of its own, with one event (Europe/Berlin, "Sample conference"), an
 * item and one exhibitor (attendees as a test adds them); dropped in teardown, with the Redis keys of its prefix.
 */
export async function show (t: Test, env: Record<string, string> = {}): Promise<Show> {
  const testDb = await createTestDatabase('portal')
  const prefix = testPrefix('portal')
  const config = loadConfig(PortalEnv, { ...process.env, DATABASE_URL: testDb.url, LOG_LEVEL: 'silent', REDIS_PREFIX: prefix, PORTAL_SECRET: SECRET, ...env })
  const app = await buildApp(config)
  const others: FastifyInstance[] = []
  t.teardown(async () => {
    await removePrefix(config.REDIS_URL, prefix).catch(() => {})
    for (const other of others) await other.close()
    await app.close()
    await testDb.drop()
  })
  const db = testDb.db
  const { eventId, addAttendee, addExhibitor } = await seedShow(db, {
    event: { date_from: '2026-12-01T08:00:00Z', date_to: '2026-12-02T17:00:00Z', timezone: 'Europe/Berlin' },
    attendee: (n) => ({
      attendee_name_parts: JSON.stringify({ _scheme: 'salutation_title_given_family', given_name: 'Jon', family_name: `Doe ${n}` }),
      attendee_name: `Jon Doe ${n}`,
      attendee_email: `jon${n}@example.com`
    })
  })
  await queries.exhibitorSettings.updateSettings(db, eventId, { lead_fields: JSON.stringify(['attendee_name', 'attendee_email', 'company']), lead_tags: JSON.stringify(['hot', 'cold']) })

  const addLead: Show['addLead'] = async (exhibitorId, attendee, values = {}) => {
    const row = await db.insertInto('leads').values({
      exhibitor_id: exhibitorId,
      position_id: attendee.positionId,
      rating: 3,
      tags: JSON.stringify(['hot']),
      notes: 'Wants a demo',
      device_name: 'Tablet 1',
      device_uuid: 'd8c2ec53-d602-4a08-882d-db4cf54344a2',
      scanned: '2026-12-01T10:15:00Z',
      ...values
    }).returning('id').executeTakeFirstOrThrow()
    return row.id
  }

  const appApi = async () => {
    const { buildApp: buildAppApi } = await import(new URL('../../app-api/src/app.ts', import.meta.url).href) as { buildApp: (config: AppApiEnv) => Promise<FastifyInstance> }
    const other = await buildAppApi(loadConfig(AppApiEnv, { ...process.env, DATABASE_URL: testDb.url, LOG_LEVEL: 'silent', REDIS_PREFIX: prefix, ...env }))
    others.push(other)
    return other
  }

  const exhibitor = await addExhibitor()
  return { app, db, config, eventId, exhibitor, addExhibitor, addAttendee, addLead, client: (opts) => new Client(app, opts), appApi }
}

/** A visitor with a cookie jar that sends forms with the CSRF token of the last page it saw. */
export class Client {
  readonly cookies = new Map<string, string>()
  csrf = ''
  constructor (readonly app: FastifyInstance, readonly opts: { ip?: string, acceptLanguage?: string } = {}) {}

  private remember (res: LightMyRequestResponse) {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires !== undefined && c.expires.getTime() < Date.now()) || c.maxAge === 0) this.cookies.delete(c.name)
      else this.cookies.set(c.name, c.value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)
    if (token !== null) this.csrf = token[1]
  }

  private headers (extra: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    return { ...(cookie === '' ? {} : { cookie }), ...(this.opts.acceptLanguage === undefined ? {} : { 'accept-language': this.opts.acceptLanguage }), ...extra }
  }

  async get (url: string): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: this.headers(), remoteAddress: this.opts.ip ?? '127.0.0.1' })
    this.remember(res)
    return res
  }

  /** POSTs the form (with the page's CSRF token unless `csrf: false`); repeated keys from arrays. */
  async post (url: string, form: Record<string, string | string[]> = {}, opts: { csrf?: boolean | string } = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams()
    if (opts.csrf !== false) body.set('_csrf', typeof opts.csrf === 'string' ? opts.csrf : this.csrf)
    for (const [key, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, v)
    }
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      payload: body.toString(),
      remoteAddress: this.opts.ip ?? '127.0.0.1'
    })
    this.remember(res)
    return res
  }

  /** Opens the login page and logs in with `code`. */
  async logIn (code: string): Promise<LightMyRequestResponse> {
    await this.get('/')
    return await this.post('/', { access_code: code })
  }
}

/** The text of the page's role="alert" element. */
export function alertOf (body: string): string | null {
  const match = /<[a-z]+ role="alert"[^>]*>([\s\S]*?)<\/[a-z]+>/.exec(body)
  return match === null ? null : match[1].replace(/<[^>]+>/g, '').trim()
}

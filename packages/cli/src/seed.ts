import {
  generateAccessCode, generateOrderCode, generatePseudonymizationId, generateSecret, generateVoucherCode,
  isUniqueViolation, queries, type Db
} from '@showfloor/db'
import { NAME_SCHEME, displayName, type NameParts } from '@showfloor/schemas'

// Demo data for a newcomer to try both APIs with. Written straight into the tables so it depends on
// nothing but the data model.

const ORGANIZER = { slug: 'demo', name: 'Demo Organizer' }
const EVENT = { slug: 'democon', name: { en: 'Demo Conference 2026', de: 'Demo-Konferenz 2026' } }
const TEAM = 'Demo administrators'

export interface DemoUrls { adminApi: string, appApi: string }

export interface DemoSummary {
  organizer: string
  event: string
  token: string
  exhibitors: Array<{ name: string, access_code: string, lead_scanning_access_code: string }>
  attendees: Array<{ name: string | null, scan_code: string }>
  admin_api: string
  app_api: string
}

interface Person { salutation?: string, title?: string, given: string, family: string }

function nameParts (p: Person): NameParts {
  const parts = { _scheme: NAME_SCHEME, salutation: p.salutation, title: p.title, given_name: p.given, family_name: p.family }
  return Object.fromEntries(Object.entries(parts).filter((entry): entry is [string, string] => Boolean(entry[1])))
}

interface Attendee extends Person {
  email: string
  company: string
  street?: string
  zipcode?: string
  city: string
  country: string
  role: string
  /** Index into ITEMS. */
  item: number
  /** Index into VOUCHERS: the voucher this ticket was bought with. */
  voucher?: number
}

const ITEMS = [
  { name: { en: 'Conference ticket', de: 'Konferenzticket' }, price: '249.00' },
  { name: { en: 'Workshop day', de: 'Workshoptag' }, price: '99.00' }
]

// exhibitor: index into EXHIBITORS it is attached to, if any.
const VOUCHERS: Array<{ item: number | null, price_mode: string, value: string | null, tag: string, comment: string, exhibitor?: number, exhibitor_comment?: string }> = [
  { item: 0, price_mode: 'percent', value: '100.00', tag: 'exhibitor-guests', comment: 'Free guest ticket', exhibitor: 0, exhibitor_comment: 'For our best customers' },
  { item: 0, price_mode: 'percent', value: '100.00', tag: 'exhibitor-guests', comment: 'Free guest ticket', exhibitor: 0, exhibitor_comment: 'Reserved for the CEO' },
  { item: 0, price_mode: 'percent', value: '100.00', tag: 'exhibitor-guests', comment: 'Free guest ticket', exhibitor: 0 },
  { item: null, price_mode: 'subtract', value: '50.00', tag: 'exhibitor-discount', comment: '50 off any ticket', exhibitor: 1, exhibitor_comment: 'Newsletter readers' },
  { item: null, price_mode: 'subtract', value: '50.00', tag: 'exhibitor-discount', comment: '50 off any ticket', exhibitor: 1 },
  { item: 1, price_mode: 'set', value: '49.00', tag: 'early-bird', comment: 'Early bird workshop' }
]

const ORDERS: Array<{ status: string, email: string, locale: string, datetime: string, attendees: Attendee[] }> = [
  {
    status: 'p',
    email: 'office@analytical.example',
    locale: 'en',
    datetime: '2026-10-01T10:15:00Z',
    attendees: [
      { salutation: 'Ms', given: 'Ada', family: 'Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines Ltd', street: '12 St James Square', zipcode: 'SW1Y 4JH', city: 'London', country: 'GB', role: 'CTO', item: 0 },
      { title: 'Dr', given: 'Grace', family: 'Hopper', email: 'grace@analytical.example', company: 'Analytical Engines Ltd', city: 'London', country: 'GB', role: 'Engineer', item: 0 },
      { given: 'Charles', family: 'Babbage', email: '', company: 'Analytical Engines Ltd', city: 'London', country: 'GB', role: 'Founder', item: 1 }
    ]
  },
  {
    status: 'p',
    email: 'marie@radium.example',
    locale: 'de',
    datetime: '2026-10-03T14:40:00Z',
    attendees: [
      { salutation: 'Frau', title: 'Dr', given: 'Marie', family: 'Curie', email: 'marie@radium.example', company: 'Radium Institut', street: 'Hauptstraße 1', zipcode: '10115', city: 'Berlin', country: 'DE', role: 'Researcher', item: 0 },
      { given: 'Pierre', family: 'Curie', email: 'pierre@radium.example', company: 'Radium Institut', city: 'Berlin', country: 'DE', role: 'Researcher', item: 0 }
    ]
  },
  {
    status: 'p',
    email: 'katherine@orbit.example',
    locale: 'en',
    datetime: '2026-10-05T09:05:00Z',
    attendees: [
      { given: 'Katherine', family: 'Johnson', email: 'katherine@orbit.example', company: 'Orbit Analytics', city: 'Hampton', country: 'US', role: 'Mathematician', item: 0, voucher: 0 }
    ]
  },
  {
    status: 'p',
    email: 'alan@bletchley.example',
    locale: 'en',
    datetime: '2026-10-06T16:20:00Z',
    attendees: [
      { given: 'Alan', family: 'Turing', email: 'alan@bletchley.example', company: 'Bletchley Computing', city: 'Manchester', country: 'GB', role: 'Head of Research', item: 0, voucher: 3 }
    ]
  },
  {
    status: 'n',
    email: 'tim@web.example',
    locale: 'en',
    datetime: '2026-10-08T11:00:00Z',
    attendees: [
      { given: 'Tim', family: 'Berners-Lee', email: 'tim@web.example', company: 'World Wide Web Consortium', city: 'Geneva', country: 'CH', role: 'Director', item: 1 }
    ]
  }
]

const EXHIBITOR_TAGS = ['Sponsor', 'Startup', 'Hardware']

const EXHIBITORS: Array<{ name: string, booth: string, internal_id: string, contact: Person, email: string, cc?: string, locale: string, tags: string[], allow_voucher_access: boolean, comment: string }> = [
  {
    name: 'Aperture Science',
    booth: 'A1',
    internal_id: 'EX-001',
    contact: { salutation: 'Mr', title: 'Dr', given: 'Cave', family: 'Johnson' },
    email: 'cave@aperture.example',
    cc: 'caroline@aperture.example',
    locale: 'en',
    tags: ['Sponsor', 'Hardware'],
    allow_voucher_access: true,
    comment: 'Gold sponsor'
  },
  {
    name: 'Black Mesa',
    booth: 'B2',
    internal_id: 'EX-002',
    contact: { given: 'Gordon', family: 'Freeman' },
    email: 'gordon@blackmesa.example',
    locale: 'en',
    tags: ['Hardware'],
    allow_voucher_access: true,
    comment: ''
  },
  {
    name: 'Musterfirma GmbH',
    booth: 'C3',
    internal_id: 'EX-003',
    contact: { salutation: 'Frau', given: 'Erika', family: 'Mustermann' },
    email: 'erika@musterfirma.example',
    locale: 'de',
    tags: ['Startup'],
    allow_voucher_access: false,
    comment: 'Startup corner'
  }
]

/** The item's price after the attendee's voucher, as pretix computes it for each price mode. */
function ticketPrice (a: Attendee): string {
  const price = Number(ITEMS[a.item].price)
  const voucher = a.voucher === undefined ? undefined : VOUCHERS[a.voucher]
  const value = Number(voucher?.value ?? 0)
  switch (voucher?.price_mode) {
    case 'set': return value.toFixed(2)
    case 'subtract': return Math.max(0, price - value).toFixed(2)
    case 'percent': return (price * (100 - value) / 100).toFixed(2)
    default: return price.toFixed(2)
  }
}

/** An access code and a scanning-only code, never equal (the table checks that too). */
function accessCodes (): [string, string] {
  const full = generateAccessCode()
  let scanning = generateAccessCode()
  while (scanning === full) scanning = generateAccessCode()
  return [full, scanning]
}

async function insertDemoEvent (trx: Db, organizerId: number): Promise<number> {
  const event = await trx.insertInto('events').values({
    organizer_id: organizerId,
    slug: EVENT.slug,
    name: JSON.stringify(EVENT.name),
    date_from: '2026-12-01T08:00:00Z',
    date_to: '2026-12-03T17:00:00Z',
    currency: 'EUR',
    locale: 'en',
    timezone: 'Europe/Berlin'
  }).returning('id').executeTakeFirstOrThrow()
  await trx.insertInto('exhibitor_settings').values({
    event_id: event.id,
    lead_fields: JSON.stringify(['attendee_name', 'attendee_email', 'company', 'city', 'country', 'question:role']),
    lead_tags: JSON.stringify(['hot', 'follow-up', 'partner']),
    allow_notes: true,
    scan_secret: false,
    imprint_url: 'https://example.com/imprint',
    privacy_url: 'https://example.com/privacy',
    help_url: 'https://example.com/help',
    terms_url: 'https://example.com/terms'
  }).execute()

  const items = await trx.insertInto('items')
    .values(ITEMS.map((item) => ({ event_id: event.id, name: JSON.stringify(item.name), default_price: item.price })))
    .returning('id').execute()

  const redemptions = new Map<number, number>()
  for (const order of ORDERS) {
    for (const a of order.attendees) if (a.voucher !== undefined) redemptions.set(a.voucher, (redemptions.get(a.voucher) ?? 0) + 1)
  }
  const vouchers = await trx.insertInto('vouchers').values(VOUCHERS.map((v, index) => ({
    event_id: event.id,
    code: generateVoucherCode(),
    redeemed: redemptions.get(index) ?? 0,
    price_mode: v.price_mode,
    value: v.value,
    item_id: v.item === null ? null : items[v.item].id,
    tag: v.tag,
    comment: v.comment
  }))).returning('id').execute()

  for (const order of ORDERS) {
    const prices = order.attendees.map(ticketPrice)
    const row = await trx.insertInto('orders').values({
      event_id: event.id,
      code: generateOrderCode(),
      status: order.status,
      email: order.email,
      locale: order.locale,
      datetime: order.datetime,
      total: prices.reduce((sum, price) => sum + Number(price), 0).toFixed(2)
    }).returning('id').executeTakeFirstOrThrow()
    await trx.insertInto('order_positions').values(order.attendees.map((a, index) => ({
      order_id: row.id,
      event_id: event.id,
      positionid: index + 1,
      item_id: items[a.item].id,
      price: prices[index],
      attendee_name_parts: JSON.stringify(nameParts(a)),
      attendee_name: displayName(nameParts(a)),
      attendee_email: a.email || null,
      company: a.company,
      street: a.street ?? null,
      zipcode: a.zipcode ?? null,
      city: a.city,
      country: a.country,
      secret: generateSecret(),
      pseudonymization_id: generatePseudonymizationId(),
      voucher_id: a.voucher === undefined ? null : vouchers[a.voucher].id,
      answers: JSON.stringify([{ question_identifier: 'role', question: 'What is your role?', answer: a.role }])
    }))).execute()
  }

  const tags = await trx.insertInto('exhibitor_tags')
    .values(EXHIBITOR_TAGS.map((name) => ({ event_id: event.id, name }))).returning(['id', 'name']).execute()
  const exhibitorIds: number[] = []
  for (const e of EXHIBITORS) {
    const [full, scanning] = accessCodes()
    const exhibitor = await trx.insertInto('exhibitors').values({
      event_id: event.id,
      name: e.name,
      internal_id: e.internal_id,
      contact_name_parts: JSON.stringify(nameParts(e.contact)),
      contact_email: e.email,
      contact_cc_email: e.cc ?? null,
      booth: e.booth,
      locale: e.locale,
      access_code: full,
      lead_scanning_access_code: scanning,
      allow_voucher_access: e.allow_voucher_access,
      comment: e.comment
    }).returning('id').executeTakeFirstOrThrow()
    exhibitorIds.push(exhibitor.id)
    await trx.insertInto('exhibitor_access_codes').values([
      { code: full, exhibitor_id: exhibitor.id, full_access: true },
      { code: scanning, exhibitor_id: exhibitor.id, full_access: false }
    ]).execute()
    await trx.insertInto('exhibitor_tag_links')
      .values(tags.filter((t) => e.tags.includes(t.name)).map((t) => ({ exhibitor_id: exhibitor.id, tag_id: t.id }))).execute()
  }

  const attached = VOUCHERS.flatMap((v, index) => v.exhibitor === undefined
    ? []
    : [{ voucher_id: vouchers[index].id, exhibitor_id: exhibitorIds[v.exhibitor], exhibitor_comment: v.exhibitor_comment ?? '' }])
  await trx.insertInto('exhibitor_vouchers').values(attached).execute()
  return event.id
}

/** The demo organizer and event, created with all their data in one transaction unless they exist. */
async function ensureDemoEvent (db: Db): Promise<{ organizerId: number, eventId: number }> {
  return await db.transaction().execute(async (trx) => {
    const organizer = await queries.organizers.findOrganizer(trx, ORGANIZER.slug) ??
      await queries.organizers.createOrganizer(trx, ORGANIZER.slug, ORGANIZER.name)
    const event = await queries.events.findEvent(trx, organizer.id, EVENT.slug)
    return { organizerId: organizer.id, eventId: event?.id ?? await insertDemoEvent(trx, organizer.id) }
  })
}

/**
 * Creates the demo data once; later runs (also concurrent ones) find it and answer the same slugs
 * and codes, with a fresh admin token each time.
 */
export async function seedDemo (db: Db, urls: DemoUrls): Promise<DemoSummary> {
  let ids: { organizerId: number, eventId: number } | undefined
  // A concurrent first run (or, most rarely, a random code already taken) loses on a unique
  // index; running again then finds the winner's data or draws new codes.
  for (let attempt = 1; ids === undefined; attempt++) {
    try {
      ids = await ensureDemoEvent(db)
    } catch (err) {
      if (attempt >= 3 || !isUniqueViolation(err)) throw err
    }
  }
  const team = await queries.tokens.upsertTeam(db, {
    organizerId: ids.organizerId,
    name: TEAM,
    allEvents: true,
    eventIds: [],
    permissions: queries.tokens.TEAM_PERMISSIONS
  })
  const token = await queries.tokens.createToken(db, team.id, 'seed-demo')
  const exhibitors = await db.selectFrom('exhibitors').select(['name', 'access_code', 'lead_scanning_access_code'])
    .where('event_id', '=', ids.eventId).orderBy('id').execute()
  const attendees = await db.selectFrom('order_positions').select(['attendee_name as name', 'pseudonymization_id as scan_code'])
    .where('event_id', '=', ids.eventId).orderBy('id').execute()
  return {
    organizer: ORGANIZER.slug,
    event: EVENT.slug,
    token,
    exhibitors,
    attendees,
    admin_api: urls.adminApi,
    app_api: urls.appApi
  }
}

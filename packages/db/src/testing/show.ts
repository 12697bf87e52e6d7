import { generatePseudonymizationId, generateSecret } from '../codes.js'
import type { Db } from '../database.js'
import { queries } from '../index.js'
import type { NewEvent } from '../types.js'

export interface ShowAttendee { positionId: number, orderId: number, orderCode: string, scanCode: string, secret: string }
export interface ShowExhibitor { id: number, accessCode: string, scanCode: string }

/** The services' tests' show: organizer "bigevents", its event "sampleconf" and the event's item. */
export interface SeededShow {
  organizerId: number
  eventId: number
  itemId: number
  /**
   * A paid order (codes T0001, T0002, ... in turn) of one position of the item, attendee Jon Doe
   * of Black Mesa unless `attendee` or `values` say otherwise; `orderValues` go to the order.
   */
  addAttendee: (values?: Record<string, unknown>, orderValues?: Record<string, unknown>) => Promise<ShowAttendee>
  /** Exhibitor "Aperture Science" at booth A2, in English unless `values` say otherwise. */
  addExhibitor: (values?: Record<string, unknown>) => Promise<ShowExhibitor>
}

export interface ShowOptions {
  event: Pick<NewEvent, 'date_from' | 'date_to' | 'timezone'>
  /** The n-th attendee's own position values (n from 1), before the call's `values`. */
  attendee?: (n: number) => Record<string, unknown>
}

/** Seeds the show on a test database: the organizer, the event ("Sample conference") and its item. */
export async function seedShow (db: Db, opts: ShowOptions): Promise<SeededShow> {
  const organizer = await queries.organizers.createOrganizer(db, 'bigevents', 'Big Events')
  const event = await queries.events.createEvent(db, {
    organizer_id: organizer.id,
    slug: 'sampleconf',
    name: JSON.stringify({ en: 'Sample conference', de: 'Beispielkonferenz' }),
    ...opts.event
  })
  const item = await db.insertInto('items').values({ event_id: event.id, name: JSON.stringify({ en: 'Ticket', de: 'Eintrittskarte' }), default_price: '23.00' })
    .returning('id').executeTakeFirstOrThrow()

  let orders = 0
  const addAttendee: SeededShow['addAttendee'] = async (values = {}, orderValues = {}) => {
    const n = ++orders
    const order = await db.insertInto('orders').values({ event_id: event.id, code: `T${String(n).padStart(4, '0')}`, email: 'orders@example.com', total: '23.00', status: 'p', ...orderValues })
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
      ...opts.attendee?.(n),
      ...values
    }).returning('id').executeTakeFirstOrThrow()
    return { positionId: position.id, orderId: order.id, orderCode: order.code, scanCode, secret }
  }

  const addExhibitor: SeededShow['addExhibitor'] = async (values = {}) => {
    const exhibitor = await queries.exhibitors.createExhibitor(db, { event_id: event.id, name: 'Aperture Science', booth: 'A2', locale: 'en', ...values }, [])
    return { id: exhibitor.id, accessCode: exhibitor.access_code, scanCode: exhibitor.lead_scanning_access_code }
  }

  return { organizerId: organizer.id, eventId: event.id, itemId: item.id, addAttendee, addExhibitor }
}

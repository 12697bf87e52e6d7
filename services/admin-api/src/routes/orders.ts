import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries } from '@showfloor/db'
import {
  EventParams, OrderCodeParams, OrderCreateSchema, OrderSchema, PageQuery, Paginated,
  attendeeNameFromParts, errorResponses, serializeOrder,
  type OrderBody, type OrderCreate, type OrderPositionCreate
} from '@showfloor/schemas'
import { HttpError, invalid, notFound, paginate } from '@showfloor/http'

type PositionErrors = queries.orders.PositionErrors

/** A price as a canonical decimal string, or an error message (pretix's DecimalField rules). */
function normalizePrice (value: string | number): string | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { error: 'A valid number is required.' }
    const cents = Math.round(value * 100)
    if (Math.abs(cents - value * 100) > 1e-6) return { error: 'Ensure that there are no more than 2 decimal places.' }
    if (Math.abs(cents) >= 1e13) return { error: 'Ensure that there are no more than 13 digits in total.' }
    return (cents / 100).toFixed(2)
  }
  // The schema's pattern already limits strings to 11 digits and 2 decimals.
  const [whole, frac = ''] = value.split('.')
  return `${whole}.${frac.padEnd(2, '0')}`
}

/** Checks that need no database, then the position in the form the query takes. */
function readPosition (p: OrderPositionCreate, errors: PositionErrors): queries.orders.NewOrderPosition {
  const add = (field: string, message: string) => { (errors[field] ??= []).push(message) }
  if (p.variation != null) add('variation', 'You cannot specify a variation for this item.')
  if (p.subevent != null) add('subevent', 'You cannot set a subevent for this event.')
  if (p.addon_to != null) add('addon_to', 'Add-on products are not supported.')

  let price: string | null = null
  if (p.price != null) {
    const normalized = normalizePrice(p.price)
    if (typeof normalized === 'string') price = normalized
    else add('price', normalized.error)
  }

  const name = p.attendee_name?.trim() || null
  const parts = p.attendee_name_parts ?? {}
  if (name !== null && Object.keys(parts).length > 0) {
    add('attendee_name', 'Do not specify attendee_name if you specified attendee_name_parts.')
  }
  const storedParts = name !== null ? { _legacy: name } : parts

  // pretix takes a string in `voucher` as a code; this system also takes an id there.
  let voucher: queries.orders.NewOrderPosition['voucher'] = null
  let voucherField: 'voucher' | 'voucher_code' = 'voucher'
  if (p.voucher != null && p.voucher_code != null) {
    add('voucher_code', 'Do not specify voucher_code if you specified voucher.')
  } else if (p.voucher != null) {
    voucher = typeof p.voucher === 'number' ? { id: p.voucher } : { code: p.voucher }
  } else if (p.voucher_code != null) {
    voucher = { code: p.voucher_code }
    voucherField = 'voucher_code'
  }

  return {
    item: p.item,
    price,
    attendee_name_parts: storedParts,
    attendee_name: attendeeNameFromParts(storedParts),
    attendee_email: p.attendee_email ?? null,
    company: p.company ?? null,
    street: p.street ?? null,
    zipcode: p.zipcode ?? null,
    city: p.city ?? null,
    country: p.country ?? null,
    secret: p.secret ?? null,
    voucher,
    voucherField,
    answers: (p.answers ?? []).map((a) => ({ question_identifier: a.question_identifier, question: a.question ?? '', answer: a.answer }))
  }
}

function readOrder (body: OrderCreate, eventId: number, eventLocale: string): queries.orders.NewOrder {
  const errors: PositionErrors[] = body.positions.map(() => ({}))
  const positions = body.positions.map((p, i) => readPosition(p, errors[i]))

  // Position ids are optional, but when sent, every position has one and they count up from 1.
  if (body.positions.some((p) => p.positionid !== undefined)) {
    body.positions.forEach((p, i) => {
      if (p.positionid === undefined) (errors[i].positionid ??= []).push('If you set position IDs manually, you need to do so for all positions.')
      else if (p.positionid !== i + 1) (errors[i].positionid ??= []).push('Position IDs need to be consecutive.')
    })
  }
  const seen = new Set<string>()
  body.positions.forEach((p, i) => {
    if (p.secret === undefined) return
    if (seen.has(p.secret)) (errors[i].secret ??= []).push('You cannot assign a position secret that already exists.')
    seen.add(p.secret)
  })
  if (errors.some((e) => Object.keys(e).length > 0)) throw invalid({ positions: errors })

  return {
    eventId,
    status: body.status ?? 'n',
    email: body.email ?? null,
    locale: body.locale ?? eventLocale,
    datetime: body.datetime,
    positions
  }
}

const tags = ['Orders']

export const orders: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL
  const serialize = (order: queries.orders.OrderWithPositions, eventSlug: string): OrderBody =>
    serializeOrder(order, eventSlug, order.positions)

  app.get('/', {
    config: { permission: 'can_view_orders' },
    schema: { tags, summary: 'List orders', params: EventParams, querystring: PageQuery, response: { 200: Paginated(OrderSchema), ...errorResponses } }
  }, async (request) => {
    const event = request.event
    const count = await queries.orders.countOrders(app.db, event.id)
    return await paginate(request, base(), count, async (page) =>
      (await queries.orders.listOrders(app.db, event.id, page.size, page.offset)).map((o) => serialize(o, event.slug)))
  })

  app.get('/:code/', {
    config: { permission: 'can_view_orders' },
    schema: { tags, summary: 'Order detail', params: OrderCodeParams, response: { 200: OrderSchema, ...errorResponses } }
  }, async (request) => {
    const order = await queries.orders.findOrder(app.db, request.event.id, request.params.code)
    if (!order) throw notFound()
    return serialize(order, request.event.slug)
  })

  app.post('/', {
    config: { permission: 'can_change_orders' },
    schema: { tags, summary: 'Create an order', params: EventParams, body: OrderCreateSchema, response: { 201: OrderSchema, ...errorResponses } }
  }, async (request, reply) => {
    const event = request.event
    const result = await queries.orders.createOrder(app.db, readOrder(request.body, event.id, event.locale))
    if (result.errors) throw invalid(result.errors)
    return reply.code(201).send(serialize(result.order, event.slug))
  })

  app.post('/:code/mark_canceled/', {
    config: { permission: 'can_change_orders' },
    schema: { tags, summary: 'Cancel an order (frees its voucher redemptions)', params: OrderCodeParams, response: { 200: OrderSchema, ...errorResponses } }
  }, async (request) => {
    const event = request.event
    const order = await queries.orders.findOrder(app.db, event.id, request.params.code)
    if (!order) throw notFound()
    const canceled = await queries.orders.cancelOrder(app.db, order.id)
    if (!canceled) throw new HttpError(400, { detail: 'The order is not allowed to be canceled.' })
    return serialize(canceled, event.slug)
  })
}

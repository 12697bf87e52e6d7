import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { queries, type OrderPosition } from '@showfloor/db'
import {
  EventParams, OrderCodeParams, OrderCreateSchema, OrderSchema, PageQuery, Paginated, errorResponses, isoDateTime,
  type OrderBody, type OrderPositionBody
} from '@showfloor/schemas'
import { notFound, paginate } from '@showfloor/http'
import { cancelOrder, createOrder } from '../domain/orders.js'

type OrderWithPositions = queries.orders.OrderWithPositions

/** One position in pretix's wire format; `orderCode` is the code of the order it belongs to. */
function serializeOrderPosition (position: OrderPosition, orderCode: string): OrderPositionBody {
  return {
    id: position.id,
    order: orderCode,
    positionid: position.positionid,
    item: position.item_id,
    variation: null,
    price: position.price,
    attendee_name: position.attendee_name,
    attendee_name_parts: position.attendee_name_parts ?? {},
    attendee_email: position.attendee_email,
    company: position.company,
    street: position.street,
    zipcode: position.zipcode,
    city: position.city,
    country: position.country,
    secret: position.secret,
    pseudonymization_id: position.pseudonymization_id,
    voucher: position.voucher_id,
    subevent: null,
    addon_to: null,
    answers: (position.answers ?? []).map((a) => ({ question_identifier: a.question_identifier, question: a.question, answer: a.answer }))
  }
}

/** An order with its positions (in positionid order) in pretix's wire format. */
function serializeOrder (order: OrderWithPositions, eventSlug: string): OrderBody {
  return {
    code: order.code,
    status: order.status,
    event: eventSlug,
    email: order.email,
    locale: order.locale,
    datetime: isoDateTime(order.datetime),
    total: order.total,
    positions: order.positions.map((p) => serializeOrderPosition(p, order.code))
  }
}

const tags = ['Orders']

export const orders: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL

  app.get('/', {
    config: { permission: 'can_view_orders' },
    schema: { tags, summary: 'List orders', params: EventParams, querystring: PageQuery, response: { 200: Paginated(OrderSchema), ...errorResponses } }
  }, async (request) => {
    const event = request.event
    const count = await queries.orders.countOrders(app.db, event.id)
    return await paginate(request, base(), count, async (page) =>
      (await queries.orders.listOrders(app.db, event.id, page.size, page.offset)).map((o) => serializeOrder(o, event.slug)))
  })

  app.get('/:code/', {
    config: { permission: 'can_view_orders' },
    schema: { tags, summary: 'Order detail', params: OrderCodeParams, response: { 200: OrderSchema, ...errorResponses } }
  }, async (request) => {
    const order = await queries.orders.findOrder(app.db, request.event.id, request.params.code)
    if (!order) throw notFound()
    return serializeOrder(order, request.event.slug)
  })

  app.post('/', {
    config: { permission: 'can_change_orders' },
    schema: { tags, summary: 'Create an order', params: EventParams, body: OrderCreateSchema, response: { 201: OrderSchema, ...errorResponses } }
  }, async (request, reply) => {
    const order = await createOrder(app.db, request.event, request.body)
    return reply.code(201).send(serializeOrder(order, request.event.slug))
  })

  app.post('/:code/mark_canceled/', {
    config: { permission: 'can_change_orders' },
    schema: { tags, summary: 'Cancel an order (frees its voucher redemptions)', params: OrderCodeParams, response: { 200: OrderSchema, ...errorResponses } }
  }, async (request) => serializeOrder(await cancelOrder(app.db, request.event.id, request.params.code), request.event.slug))
}

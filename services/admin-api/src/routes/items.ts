import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Item } from '@showfloor/db'
import {
  EventParams, ItemCreateSchema, ItemListQuery, ItemParams, ItemSchema, ItemUpdateSchema, Paginated,
  decimal, errorResponses, parseDecimal, type ItemBody
} from '@showfloor/schemas'
import { HttpError, invalid, notFound, paginate } from '@showfloor/http'

export function serializeItem (item: Item): ItemBody {
  return { id: item.id, name: item.name, default_price: decimal(item.default_price), active: item.active }
}

function nameErrors (name: Record<string, string>): string[] {
  const texts = Object.values(name)
  if (!texts.some((text) => text.trim() !== '')) return ['This field may not be blank.']
  if (texts.some((text) => text.length > 255)) return ['Ensure this field has no more than 255 characters.']
  return []
}

/** django-filter's reading of a boolean query parameter: anything unrecognised filters nothing. */
function booleanFilter (raw: string | undefined): boolean | undefined {
  if (raw === 'true' || raw === 'True' || raw === '1') return true
  if (raw === 'false' || raw === 'False' || raw === '0') return false
  return undefined
}

interface ItemInput { name?: Record<string, string>, default_price?: string | number, active?: boolean }

/** Validates what the schema cannot and returns the column values to write. */
function itemValues (body: ItemInput) {
  const errors: Record<string, string[]> = {}
  const values: { name?: string, default_price?: string, active?: boolean } = {}
  if (body.name !== undefined) {
    const messages = nameErrors(body.name)
    if (messages.length > 0) errors.name = messages
    values.name = JSON.stringify(body.name)
  }
  if (body.default_price !== undefined) {
    const price = parseDecimal(body.default_price, { min: 0 })
    if ('error' in price) errors.default_price = [price.error]
    else values.default_price = price.value
  }
  if (body.active !== undefined) values.active = body.active
  if (Object.keys(errors).length > 0) throw invalid(errors)
  return values
}

const tags = ['Items']

export const items: FastifyPluginAsyncTypebox = async (app) => {
  const base = () => app.config.PUBLIC_ADMIN_URL

  app.get('/', {
    schema: { tags, summary: 'List items', params: EventParams, querystring: ItemListQuery, response: { 200: Paginated(ItemSchema), ...errorResponses } }
  }, async (request) => {
    const filter = { active: booleanFilter(request.query.active) }
    const count = await queries.items.countItems(app.db, request.event.id, filter)
    return await paginate(request, base(), count, async (page) =>
      (await queries.items.listItems(app.db, request.event.id, filter, page.size, page.offset)).map(serializeItem))
  })

  app.get('/:id/', {
    schema: { tags, summary: 'Item detail', params: ItemParams, response: { 200: ItemSchema, ...errorResponses } }
  }, async (request) => {
    const item = await queries.items.findItem(app.db, request.event.id, request.params.id)
    if (!item) throw notFound()
    return serializeItem(item)
  })

  app.post('/', {
    config: { permission: 'can_change_items' },
    schema: { tags, summary: 'Create an item', params: EventParams, body: ItemCreateSchema, response: { 201: ItemSchema, ...errorResponses } }
  }, async (request, reply) => {
    const values = itemValues(request.body)
    const item = await queries.items.createItem(app.db, {
      event_id: request.event.id,
      name: values.name!,
      default_price: values.default_price ?? '0.00',
      active: values.active ?? true
    })
    return await reply.code(201).send(serializeItem(item))
  })

  app.patch('/:id/', {
    config: { permission: 'can_change_items' },
    schema: { tags, summary: 'Update an item', params: ItemParams, body: ItemUpdateSchema, response: { 200: ItemSchema, ...errorResponses } }
  }, async (request) => {
    const item = await queries.items.findItem(app.db, request.event.id, request.params.id)
    if (!item) throw notFound()
    return serializeItem(await queries.items.updateItem(app.db, item.id, itemValues(request.body)))
  })

  app.delete('/:id/', {
    config: { permission: 'can_change_items' },
    schema: { tags, summary: 'Delete an item', params: ItemParams, response: { 204: Type.Null(), ...errorResponses } }
  }, async (request, reply) => {
    const item = await queries.items.findItem(app.db, request.event.id, request.params.id)
    if (!item) throw notFound()
    const usage = await queries.items.itemUsage(app.db, item.id)
    if (usage !== null || !(await queries.items.deleteItem(app.db, item.id))) {
      throw new HttpError(400, {
        detail: usage === 'vouchers'
          ? 'This item cannot be deleted because vouchers refer to it. Delete or change those vouchers first.'
          : 'This item cannot be deleted because it has already been ordered by a user or currently is in a users\'s cart. Please set the item as "inactive" instead.'
      })
    }
    return await reply.code(204).send(null)
  })
}

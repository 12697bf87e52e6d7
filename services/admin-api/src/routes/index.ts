import type { FastifyInstance } from 'fastify'
import { events } from './events.js'
import { items } from './items.js'
import { vouchers } from './vouchers.js'
import { orders } from './orders.js'
import { exhibitorSettings } from './exhibitorSettings.js'
import { exhibitorTags } from './exhibitorTags.js'
import { exhibitors } from './exhibitors.js'
import { sendAccessCode } from './sendAccessCode.js'
import { exporters } from './exporters.js'
import { webhooks } from './webhooks.js'

/** Every admin resource, each a plugin with its own prefix below /api/v1. */
export async function routes (app: FastifyInstance): Promise<void> {
  await app.register(events, { prefix: '/organizers/:organizer/events' })
  await app.register(items, { prefix: '/organizers/:organizer/events/:event/items' })
  await app.register(vouchers, { prefix: '/organizers/:organizer/events/:event/vouchers' })
  await app.register(orders, { prefix: '/organizers/:organizer/events/:event/orders' })
  await app.register(exhibitorSettings, { prefix: '/organizers/:organizer/events/:event/exhibitor_settings' })
  await app.register(exhibitorTags, { prefix: '/organizers/:organizer/events/:event/exhibitor_tags' })
  await app.register(exhibitors, { prefix: '/organizers/:organizer/events/:event/exhibitors' })
  await app.register(sendAccessCode, { prefix: '/organizers/:organizer/events/:event/exhibitors' })
  await app.register(exporters, { prefix: '/organizers/:organizer/events/:event/exporters' })
  await app.register(webhooks, { prefix: '/organizers/:organizer/webhooks' })
}

import type { FastifyInstance } from 'fastify'
import { events } from './events.js'

/** Every admin resource, each a plugin with its own prefix below /api/v1. */
export async function routes (app: FastifyInstance): Promise<void> {
  await app.register(events, { prefix: '/organizers/:organizer/events' })
}

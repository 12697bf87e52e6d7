import type { FastifyInstance } from 'fastify'

/** Every App API resource, each a plugin with its own prefix below /exhibitors/api/v1. */
export async function routes (_app: FastifyInstance): Promise<void> {
  // The App API endpoints (profile, leads, vouchers) are registered here.
}

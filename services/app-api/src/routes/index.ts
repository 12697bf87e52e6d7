import type { FastifyInstance } from 'fastify'
import { exhibitorAuth } from '../plugins/exhibitorAuth.js'
import { leads } from './leads.js'
import { profile } from './profile.js'
import { vouchers } from './vouchers.js'

export interface RoutesOptions {
  redisPrefix: string
}

/** Every App API resource below /exhibitors/api/v1, all behind the exhibitor's access code. */
export async function routes (app: FastifyInstance, opts: RoutesOptions): Promise<void> {
  await app.register(exhibitorAuth, { prefix: opts.redisPrefix })
  await app.register(profile)
  await app.register(leads)
  await app.register(vouchers)
}

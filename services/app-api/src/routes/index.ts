import type { FastifyInstance } from 'fastify'
import { exhibitorAuth } from '../plugins/exhibitorAuth.js'
import { leadUpload, leads } from './leads.js'
import { profile } from './profile.js'
import { vouchers } from './vouchers.js'

export interface RoutesOptions {
  redisPrefix: string
}

/** Every App API resource below /exhibitors/api/v1, all behind the exhibitor's access code. */
export async function routes (app: FastifyInstance, opts: RoutesOptions): Promise<void> {
  await app.register(exhibitorAuth, { prefix: opts.redisPrefix })
  // The scan upload's statement finds the exhibitor itself: its scope only admits the code.
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.admitAccessCode)
    await scope.register(leadUpload)
  })
  // Every other route gets its exhibitor looked up before it runs.
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.authenticateExhibitor)
    await scope.register(profile)
    await scope.register(leads)
    await scope.register(vouchers)
  })
}

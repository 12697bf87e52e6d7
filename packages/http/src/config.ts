import type { TObject, Static } from '@sinclair/typebox'
import { envSchema } from 'env-schema'

/**
 * Reads and validates the environment against a service's schema. A bad value throws an error
 * naming the variable, and the process stops before it listens.
 */
export function loadConfig<T extends TObject> (schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  // Empty values count as unset, as in most shells' "VAR= command" (and as a ConfigMap or a compose
  // file writes an optional variable). Only `data` is read: env-schema would otherwise merge
  // process.env under it again, empty values included.
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  return envSchema<Static<T>>({ schema, data, dotenv: false, env: false })
}

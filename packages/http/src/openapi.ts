import type { FastifySchema } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { errorDetail, errorResponses } from '@showfloor/schemas'

type Responses = Record<string, unknown>

export interface DocumentedErrors {
  /** What the API's own plugins can answer on every operation (its auth: 401, 429). */
  everywhere?: Record<number, TSchema>
  /** What they can answer on every write (POST, PUT, PATCH, DELETE). */
  writes?: Record<number, TSchema>
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The statuses this package's plumbing can answer on an operation, whatever its handler does:
 * requests the HTTP parser refuses, unknown ids and pages, bodies too large or of another type,
 * errors of the server and of the database.
 */
function plumbing (schema: FastifySchema, method: string): Record<number, TSchema> {
  const shared: Record<number, TSchema> = {
    400: errorResponses[400],
    408: errorDetail('The request was not received in time'),
    431: errorDetail('Request header fields are too large'),
    500: errorDetail('Internal server error'),
    503: errorDetail('The database is unreachable or timed out; retry after Retry-After seconds')
  }
  if (schema.params !== undefined || schema.querystring !== undefined) {
    shared[404] = errorDetail('Not found (an unknown or malformed id or slug), or "Invalid page."')
  }
  if (schema.body !== undefined || WRITES.has(method)) {
    shared[413] = errorDetail('The request body is too large')
    shared[415] = errorDetail('The request body is not JSON')
  }
  return shared
}

/**
 * A route's schema as its OpenAPI operation shows it: the responses it declares plus every other
 * status it can answer, so a client (or a fuzzer) meets no undocumented status. Declared
 * responses win; only missing ones are added.
 */
export function documentErrors (schema: FastifySchema | undefined, method: string | string[], errors: DocumentedErrors = {}): FastifySchema | undefined {
  if (schema === undefined || (schema as { hide?: boolean }).hide === true) return schema
  const methods = Array.isArray(method) ? method : [method]
  const added: Record<number, TSchema> = {
    ...plumbing(schema, methods[0]),
    ...errors.everywhere,
    ...(methods.some((m) => WRITES.has(m)) ? errors.writes : {})
  }
  const declared = (schema.response ?? {}) as Responses
  const response: Responses = { ...declared }
  for (const [status, body] of Object.entries(added)) {
    if (!(status in response)) response[status] = body
  }
  return { ...schema, response }
}

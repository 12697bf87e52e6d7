import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'

/** True when a string, or any string or key inside a list or object, holds a NUL character. */
export function containsNul (value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(containsNul)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => key.includes('\u0000') || containsNul(v))
  }
  return false
}

/** The keyword the compiler puts on every field that holds text; its error names that field. */
export const NUL_FREE = 'nulFree'

function ajv (options: Options): Ajv {
  const instance = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: true, strict: false, ...options })
  ;(addFormats as unknown as (a: Ajv) => Ajv)(instance)
  instance.addKeyword({ keyword: NUL_FREE, schemaType: 'boolean', errors: false, validate: (_on: boolean, data: unknown) => !containsNul(data) })
  return instance
}

type Schema = Record<string, any>
const isSchema = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value)

/** A copy of `schema` with `map` applied to its direct subschemas (those of properties, items and unions). */
function mapChildren (schema: Schema, map: (child: Schema) => Schema): Schema {
  const copy: Schema = { ...schema }
  if (isSchema(schema.properties)) copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, map(v)]))
  if (Array.isArray(schema.items)) copy.items = schema.items.map(map)
  else if (isSchema(schema.items)) copy.items = map(schema.items)
  for (const key of ['anyOf', 'allOf', 'oneOf']) if (Array.isArray(schema[key])) copy[key] = schema[key].map(map)
  return copy
}

function hasFields (schema: Schema): boolean {
  if (isSchema(schema.properties)) return true
  const children = [schema.items, schema.anyOf, schema.allOf, schema.oneOf].flat().filter(isSchema)
  return children.some(hasFields)
}

/**
 * PostgreSQL stores no NUL character in text or jsonb, so every field that holds text refuses one
 * with a field error. The error belongs to the field as the client knows it: `name` for a
 * multi-language `name.en`, `tags` for `tags[1]`, `positions[0].attendee_name` for an object in a list.
 */
function rejectNul (schema: Schema): Schema {
  return hasFields(schema) ? mapChildren(schema, rejectNul) : { ...schema, [NUL_FREE]: true }
}

// An integer in a URL is written in digits, as pretix's `\d+` routes: Ajv alone would also turn
// "5.0", "+5", " 5" and "1e3" into numbers.
const DIGITS = { type: 'string', pattern: '^[0-9]+$' }
function digitsOnly (schema: Schema): Schema {
  if (schema.type === 'integer') return { allOf: [DIGITS, schema] }
  return mapChildren(schema, digitsOnly)
}

// JSON bodies are typed: "5" is not an integer and null is not 0. URL parts are always text, so
// ids and query values are converted to what their schema says.
const bodies = ajv({ coerceTypes: false })
const urlParts = ajv({ coerceTypes: 'array' })

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const s = schema as Schema
  // Path segments with a NUL character never get here (see errorHandler); query filters keep
  // theirs: such a filter matches nothing and stores nothing.
  return httpPart === 'body' ? bodies.compile(rejectNul(s)) : urlParts.compile(digitsOnly(s))
}

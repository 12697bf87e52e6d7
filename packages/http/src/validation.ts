import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'

function ajv (options: Options): Ajv {
  const instance = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: true, strict: false, ...options })
  ;(addFormats as unknown as (a: Ajv) => Ajv)(instance)
  return instance
}

// JSON bodies are typed: "5" is not an integer and null is not 0. URL parts are always text, so
// ids and query values are converted to what their schema says.
const bodies = ajv({ coerceTypes: false })
const urlParts = ajv({ coerceTypes: 'array' })

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  return (httpPart === 'body' ? bodies : urlParts).compile(schema as object)
}

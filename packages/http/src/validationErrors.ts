import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import { NUL_FREE } from './validation.js'

// Messages in the words pretix's serializers use, so clients that show them read the same.
function message (error: FastifySchemaValidationError, value: unknown): string {
  const params = error.params as Record<string, any>
  switch (error.keyword) {
    case 'required': return 'This field is required.'
    case 'type': {
      if (value === null) return 'This field may not be null.'
      const type = String(params.type).split(',')[0]
      if (type === 'integer') return 'A valid integer is required.'
      if (type === 'number') return 'A valid number is required.'
      if (type === 'boolean') return 'Must be a valid boolean.'
      if (type === 'string') return 'Not a valid string.'
      if (type === 'array') return `Expected a list of items but got type "${typeName(value)}".`
      if (type === 'object') return `Invalid data. Expected a dictionary, but got ${typeName(value)}.`
      if (type === 'null') return 'This field must be null.'
      return 'Invalid value.'
    }
    case 'maxLength': return `Ensure this field has no more than ${params.limit} characters.`
    case 'minLength': return params.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${params.limit} characters.`
    case 'maximum': return `Ensure this value is less than or equal to ${params.limit}.`
    case 'minimum': return `Ensure this value is greater than or equal to ${params.limit}.`
    case 'maxItems': return `Ensure this field has no more than ${params.limit} elements.`
    case 'minItems': return params.limit === 1 ? 'This list may not be empty.' : `Ensure this field has at least ${params.limit} elements.`
    case 'enum': case 'const': return `"${String(value)}" is not a valid choice.`
    case 'format':
      if (params.format === 'email') return 'Enter a valid email address.'
      if (params.format === 'date-time') return 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'
      if (params.format === 'date') return 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'
      if (params.format === 'uuid') return 'Must be a valid UUID.'
      return `Enter a valid ${String(params.format)}.`
    case 'pattern': return 'This value does not match the required pattern.'
    case 'additionalProperties': return 'Unknown field.'
    case NUL_FREE: return 'Null characters are not allowed.'
    default: return error.message ?? 'Invalid value.'
  }
}

function typeName (value: unknown): string {
  if (Array.isArray(value)) return 'list'
  if (value === null) return 'NoneType'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (typeof value === 'boolean') return 'bool'
  return 'dict'
}

function decodePointer (pointer: string): string[] {
  if (!pointer) return []
  return pointer.slice(1).split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function valueAt (root: unknown, path: string[]): unknown {
  let current: any = root
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = current[key]
  }
  return current
}

/**
 * Turns Ajv's errors into pretix's shape: {"field": ["msg"]}, nested for nested objects
 * ({"positions": [{}, {"item": ["msg"]}]}), a list in input order for a list body.
 */
export function pretixValidationErrors (errors: FastifySchemaValidationError[], body: unknown): Record<string, unknown> | unknown[] {
  // Union schemas report one error per branch; the first error of a path says it best.
  const seen = new Set<string>()
  // A list where one object was expected is a single error, not a list of them.
  const wrongRoot = errors.find((e) => e.instancePath === '' && e.keyword === 'type')
  if (wrongRoot) return { non_field_errors: [message(wrongRoot, body)] }
  const root: any = Array.isArray(body) ? body.map(() => ({})) : {}
  // A nullable field (X | null) that fails as X also fails the null branch; that second error says
  // nothing useful, so it goes whenever another error speaks for the same place or below it.
  const useful = errors.filter((e) => !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null' &&
    errors.some((o) => o !== e && o.keyword !== 'anyOf' && (o.instancePath === e.instancePath || o.instancePath.startsWith(e.instancePath + '/')))))
  for (const error of useful) {
    const path = decodePointer(error.instancePath)
    const params = error.params as Record<string, any>
    if (error.keyword === 'required') path.push(String(params.missingProperty))
    if (error.keyword === 'additionalProperties') path.push(String(params.additionalProperty))
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue
    const key = path.join('/')
    if (seen.has(key)) continue
    seen.add(key)
    const value = valueAt(body, path)
    if (path.length === 0) {
      if (Array.isArray(root)) continue
      ;(root.non_field_errors ??= []).push(message(error, value))
      continue
    }
    // An entry of a list body that is not an object at all: its error is the entry's own.
    if (Array.isArray(root) && path.length === 1) path.push('non_field_errors')
    let target = root
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i]
      if (target[segment] === undefined || (Array.isArray(target[segment]) && typeof target[segment][0] === 'string')) {
        const container = valueAt(body, path.slice(0, i + 1))
        target[segment] = Array.isArray(container) ? container.map(() => ({})) : {}
      }
      target = target[segment]
    }
    const last = path[path.length - 1]
    if (!Array.isArray(target[last])) target[last] = []
    target[last].push(message(error, value))
  }
  if (Array.isArray(root) && root.every((e: object) => Object.keys(e).length === 0)) {
    return { non_field_errors: ['Invalid data.'] }
  }
  return root
}

import { Type } from '@sinclair/typebox'

/** 401, 403, 404, 409, 413, 429 and 5xx bodies: {"detail": "..."}. */
export const ErrorDetail = Type.Object({ detail: Type.String() }, { title: 'ErrorDetail', description: 'Error with a message' })

/** 400 bodies: {"field": ["message", ...]}, non-field errors under non_field_errors. Bulk: a list of these. */
export const ValidationErrors = Type.Record(Type.String(), Type.Unknown(), {
  title: 'ValidationErrors',
  description: 'Field errors: each key a field name (or non_field_errors), each value a list of messages',
  examples: [{ slug: ['This field is required.'] }]
})

/** An ErrorDetail answer documented with what it means. */
export const errorDetail = (description: string) => Type.Object({ detail: Type.String() }, { title: 'ErrorDetail', description })

export const errorResponses = {
  400: Type.Unknown({ description: 'Validation errors: {"field": ["message"]}, a list of such objects for a list body, or {"detail": "..."}' }),
  401: ErrorDetail,
  403: ErrorDetail,
  404: ErrorDetail
} as const

export const Messages = {
  notAuthenticated: 'Authentication credentials were not provided.',
  invalidToken: 'Invalid token.',
  permissionDenied: 'You do not have permission to perform this action.',
  notFound: 'Not found.',
  invalidPage: 'Invalid page.',
  required: 'This field is required.',
  notNull: 'This field may not be null.',
  blank: 'This field may not be blank.'
} as const

import { Type } from '@sinclair/typebox'

/** 401, 403, 404, 409, 413, 429 and 5xx bodies: {"detail": "..."}. */
export const ErrorDetail = Type.Object({ detail: Type.String() }, { title: 'ErrorDetail', description: 'Error with a message' })

/** An ErrorDetail answer documented with what it means. */
export const errorDetail = (description: string) => Type.Object({ detail: Type.String() }, { title: 'ErrorDetail', description })

export const errorResponses = {
  400: Type.Unknown({ description: 'Validation errors: {"field": ["message"]}, a list of such objects for a list body, or {"detail": "..."}' }),
  401: ErrorDetail,
  403: ErrorDetail,
  404: ErrorDetail
} as const

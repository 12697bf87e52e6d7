/** An error that answers with a given status and a pretix-shaped body. */
export class HttpError extends Error {
  constructor (readonly statusCode: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {
    super(typeof body === 'object' && body !== null && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${statusCode}`)
  }
}

export const notFound = (): HttpError => new HttpError(404, { detail: 'Not found.' })
export const forbidden = (detail = 'You do not have permission to perform this action.'): HttpError => new HttpError(403, { detail })
/** 400 with field errors: {"field": ["message"]}. */
export const invalid = (errors: Record<string, unknown> | unknown[]): HttpError => new HttpError(400, errors)
export const fieldError = (field: string, message: string): HttpError => invalid({ [field]: [message] })

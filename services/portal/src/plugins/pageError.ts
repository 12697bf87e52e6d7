import type { MessageKey } from '../i18n/index.js'

/** An answer the pages show as an error page: a status and a catalogue message. */
export class PageError extends Error {
  constructor (
    readonly statusCode: number,
    readonly key: MessageKey,
    readonly params: Record<string, string | number> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(key)
  }
}

export const pageNotFound = (): PageError => new PageError(404, 'error.notFound')

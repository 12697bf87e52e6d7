import type { FastifyRequest } from 'fastify'
import { MAX_PAGE_SIZE } from '@showfloor/schemas'
import { HttpError } from './httpError.js'

export interface Page { page: number, size: number, offset: number }

export interface PageResult<T> { count: number, next: string | null, previous: string | null, results: T[] }

function positiveInt (raw: unknown): number | null {
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return null
  const n = Number(raw)
  return n >= 1 ? n : null
}

/** Reads ?page and ?page_size (default and cap 50); a page that is not a positive number is invalid. */
export function readPage (request: FastifyRequest): Page {
  const query = request.query as Record<string, unknown>
  const page = query.page === undefined ? 1 : positiveInt(query.page)
  if (page === null) throw new HttpError(404, { detail: 'Invalid page.' })
  const requested = query.page_size === undefined ? MAX_PAGE_SIZE : positiveInt(query.page_size)
  const size = Math.min(requested ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE)
  return { page, size, offset: (page - 1) * size }
}

function pageLink (request: FastifyRequest, baseUrl: string | undefined, page: number): string {
  const base = baseUrl ?? `${request.protocol}://${request.host}`
  const url = new URL(request.url, base.endsWith('/') ? base : base + '/')
  if (baseUrl) {
    // A configured base may carry a path prefix (behind a proxy): keep it.
    const prefix = new URL(baseUrl).pathname.replace(/\/$/, '')
    url.pathname = prefix + new URL(request.url, 'http://x').pathname
  }
  if (page === 1) url.searchParams.delete('page')
  else url.searchParams.set('page', String(page))
  return url.toString()
}

/**
 * Builds pretix's list envelope. `load` fetches one page; the count decides whether the page exists
 * (page 1 of an empty list does; any page past the end is 404 "Invalid page.").
 */
export async function paginate<T> (
  request: FastifyRequest,
  baseUrl: string | undefined,
  count: number,
  load: (page: Page) => Promise<T[]>
): Promise<PageResult<T>> {
  const page = readPage(request)
  const last = Math.max(1, Math.ceil(count / page.size))
  if (page.page > last) throw new HttpError(404, { detail: 'Invalid page.' })
  const results = count === 0 ? [] : await load(page)
  return {
    count,
    next: page.page < last ? pageLink(request, baseUrl, page.page + 1) : null,
    previous: page.page > 1 ? pageLink(request, baseUrl, page.page - 1) : null,
    results
  }
}

import type { FastifyReply, FastifyRequest } from 'fastify'

/** Seconds a client is asked to wait before it retries a request PostgreSQL could not serve. */
const RETRY_AFTER_SECONDS = 5

// Socket errors of a connection that could not be made or was lost.
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

// What pg and pg-pool say when a connection or a statement runs out of time or is lost.
const driverMessages = /^(timeout exceeded when trying to connect|Connection terminated|timeout expired|Query read timeout|Client has encountered a connection error)/

/**
 * SQLSTATEs of a server that cannot serve now: connection exceptions (08), shutdown, restart and
 * statement timeout (57P01, 57P02, 57P03, 57014), too many connections (53300).
 */
function unavailableState (code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '57014' || code === '53300'
}

/** Whether an error means that PostgreSQL was unreachable or did not answer in time. */
export function isDatabaseUnavailable (error: unknown): boolean {
  // Fastify's own errors carry their status (a client that hung up while sending is ECONNRESET too).
  if (typeof (error as { statusCode?: unknown }).statusCode === 'number') return false
  for (let e = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (networkCodes.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))) return true
    if (driverMessages.test(e.message)) return true
  }
  return false
}

/** 503 with Retry-After: the request may well succeed once the database answers again. */
export function databaseUnavailable (error: Error, request: FastifyRequest, reply: FastifyReply) {
  request.log.warn({ err: error }, 'database unavailable')
  return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS))
    .send({ detail: 'The service is temporarily unavailable. Please try again later.' })
}

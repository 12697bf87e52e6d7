import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { loggerOptions, requestLogger, RequestLog, type LogOptions } from './logging.js'

/**
 * Query strings as pretix (Django's QueryDict) reads them: a repeated parameter counts with its
 * last value. No query parameter of either API is a list.
 */
export function parseQuery (query: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null)
  for (const [key, value] of new URLSearchParams(query)) values[key] = value
  return values
}

/**
 * Errors the router meets before any route runs: a malformed percent-encoding or an over-long
 * path segment. Either names nothing that exists, so the answer is the one for unknown ids.
 */
function frameworkErrors (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(404).send({ detail: 'Not found.' })
  }
  reply.log.error({ err: error }, 'routing failed')
  return reply.code(500).send({ detail: 'Internal server error.' })
}

/** Answers of the HTTP parser (Node's) to requests it cannot read, in pretix's shape. */
const clientErrors: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time.'],
  HPE_HEADER_OVERFLOW: [431, 'Request header fields are too large.']
}

/**
 * Requests Node's HTTP parser refuses (a NUL byte or a line break in a header, broken framing)
 * never reach Fastify; this writes the answer on the socket itself, then closes it as Node does.
 */
function clientErrorHandler (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, detail] = clientErrors[err.code ?? ''] ?? [400, 'Malformed request.']
  this.log.debug({ err }, 'client error')
  if (socket.writable) {
    const body = JSON.stringify({ detail })
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/**
 * Fastify options every Showfloor HTTP service shares: 1 MiB bodies, URLs with or without their
 * trailing slash, one log line per request, pretix's error shape even for requests that reach no
 * route. X-Forwarded-* headers are believed only behind a proxy the operator names (TRUST_PROXY),
 * or any client could pick the address the auth limiter counts against. While closing, a request
 * that arrives on an open connection is still processed and answered with `Connection: close`
 * (see serve()), not refused with 503 after it was sent.
 */
export function httpServerOptions (logLevel: string, trustProxy: boolean | string = false, log: LogOptions = {}) {
  return {
    logger: loggerOptions(logLevel, log),
    logController: new RequestLog(),
    childLoggerFactory: requestLogger,
    return503OnClosing: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseQuery },
    frameworkErrors,
    clientErrorHandler,
    trustProxy: trustProxy === 'true' ? true : trustProxy === 'false' ? false : trustProxy
  } as const
}

export type { FastifyInstance }

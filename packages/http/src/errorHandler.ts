import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { HttpError, notFound } from './httpError.js'
import { databaseUnavailable, isDatabaseUnavailable } from './databaseUnavailable.js'
import { pretixValidationErrors } from './validationErrors.js'
import { containsNul, validatorCompiler } from './validation.js'

function handle (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) {
    return reply.code(error.statusCode).headers(error.headers).send(error.body)
  }
  if (error.validation) {
    // A malformed id in the URL names no object; anything else is the client's data.
    if (error.validationContext === 'params') return reply.code(404).send({ detail: 'Not found.' })
    const source = error.validationContext === 'querystring' ? request.query : request.body
    return reply.code(400).send(pretixValidationErrors(error.validation, source))
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply.code(413).send({ detail: 'Request body is too large.' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply.code(415).send({ detail: `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.` })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply.code(400).send({ detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' })
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply.code(400).send({ detail: 'Invalid Content-Length.' })
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error, request, reply)
  // PostgreSQL's data exceptions (class 22: a NUL byte in text, a date out of range, a number too
  // large) are caused by the input that reached it, never by the server.
  if (typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code)) {
    return reply.code(400).send({ detail: 'Invalid input: a value could not be stored.' })
  }
  const status = error.statusCode ?? 500
  if (error instanceof SyntaxError || (status === 400 && /JSON/i.test(error.message))) {
    return reply.code(400).send({ detail: `JSON parse error - ${error.message}` })
  }
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ detail: error.message })
  }
  request.log.error({ err: error }, 'request failed')
  return reply.code(500).send({ detail: 'Internal server error.' })
}

/**
 * pretix's conventions for input and errors: typed bodies, converted URL parts, pretix's error
 * shapes for every error and for unknown routes; 5xx messages are never shown.
 */
export const errorHandler = fp(async function errorHandler (app: FastifyInstance) {
  app.setValidatorCompiler(validatorCompiler)
  app.setErrorHandler(handle)
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: 'Not found.' }))
  // A NUL character in a path segment names nothing; without this, the slug lookups that auth runs
  // before validation would hand it to PostgreSQL, which refuses it.
  // A callback hook, as every request passes it: no promise for the common answer.
  app.addHook('onRequest', (request, _reply, done) => { done(containsNul(request.params) ? notFound() : undefined) })
}, { name: 'showfloor-error-handler' })

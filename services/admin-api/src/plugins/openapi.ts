import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { documentErrors } from '@showfloor/http'
import { errorDetail } from '@showfloor/schemas'

// The idempotency plugin answers 409 to a repeat while the first request with its key still runs.
const writes = { 409: errorDetail('A request with this idempotency key is still being processed; retry after Retry-After seconds') }

/** The OpenAPI 3 document, generated from the routes' TypeBox schemas, at /api/openapi.json and /api/docs. */
export const openapi = fp(async function openapi (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Showfloor admin REST API',
        description: 'Organizers, events, items, vouchers, orders and exhibitors, wire-compatible with pretix\'s REST API.',
        version: '1.0.0'
      },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <your API token>' }
        }
      },
      security: [{ token: [] }]
    },
    // pretix's URLs end with a slash; a route registered as a prefix's '/' is reported without it.
    transform: ({ schema, url, route }) => ({
      schema: documentErrors(schema, route.method, { writes }) as typeof schema,
      url: url.endsWith('/') ? url : url + '/'
    })
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs' })
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}, { name: 'showfloor-admin-openapi' })

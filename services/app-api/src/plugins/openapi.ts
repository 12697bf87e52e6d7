import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import { documentErrors } from '@showfloor/http'
import { ErrorDetail, errorDetail } from '@showfloor/schemas'

// The access-code check runs on every route: a missing or wrong code, and too many wrong ones.
const everywhere = { 401: ErrorDetail, 429: errorDetail('Request was throttled; retry after Retry-After seconds') }

/** The OpenAPI 3 document of the App API, generated from the routes' TypeBox schemas. */
export const openapi = fp(async function openapi (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Showfloor App API',
        description: 'The exhibitor app API (profile, lead scanning, leads, vouchers), wire-compatible with pretix\'s exhibitors plugin.',
        version: '1.0.0'
      },
      components: {
        securitySchemes: {
          exhibitor: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Exhibitor <access code>' }
        }
      },
      security: [{ exhibitor: [] }]
    },
    transform: ({ schema, url, route }) => ({ schema: documentErrors(schema, route.method, { everywhere }) as typeof schema, url })
  })
  app.get('/exhibitors/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}, { name: 'showfloor-app-openapi' })

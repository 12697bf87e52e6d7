import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'

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
    }
  })
  app.get('/exhibitors/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}, { name: 'showfloor-app-openapi' })

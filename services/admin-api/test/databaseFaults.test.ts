import t from 'tap'
import { databaseOutageTests } from '@showfloor/db/testing'
import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'

const headers = { authorization: 'Token abcdefghijklmnop' }

databaseOutageTests(t, {
  appOn: async (databaseUrl, bounds) => {
    const app = await buildApp(loadConfig(AdminApiEnv, {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_CONNECT_TIMEOUT_MS: String(bounds.connectMs),
      DATABASE_STATEMENT_TIMEOUT_MS: String(bounds.statementMs),
      LOG_LEVEL: 'silent',
      PUBLIC_ADMIN_URL: ''
    }))
    await app.ready()
    return app
  },
  requests: [
    { method: 'GET', url: '/api/v1/organizers/demo/events/', headers },
    { method: 'POST', url: '/api/v1/organizers/demo/events/', payload: { name: { en: 'X' }, slug: 'x', date_from: '2026-12-01T09:00:00Z' }, headers: { ...headers, 'x-idempotency-key': 'k1' } }
  ]
})

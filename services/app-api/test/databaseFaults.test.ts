import t from 'tap'
import { databaseOutageTests, testPrefix } from '@showfloor/db/testing'
import { AppApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { buildApp } from '../src/app.js'
import { upload } from './helper.js'

const headers = { authorization: 'Exhibitor ABCDEFGHJK' }

databaseOutageTests(t, {
  appOn: async (databaseUrl, bounds) => {
    const app = await buildApp(loadConfig(AppApiEnv, {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_CONNECT_TIMEOUT_MS: String(bounds.connectMs),
      DATABASE_STATEMENT_TIMEOUT_MS: String(bounds.statementMs),
      LOG_LEVEL: 'silent',
      REDIS_PREFIX: testPrefix('app-dbfaults')
    }))
    await app.ready()
    return app
  },
  requests: [
    { method: 'POST', url: '/exhibitors/api/v1/leads/', payload: upload('ABCDEFGHJKLMNOPQ'), headers },
    { method: 'GET', url: '/exhibitors/api/v1/profile', headers }
  ]
})

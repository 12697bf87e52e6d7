import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig, serve } from '@showfloor/http'
import { buildApp } from './app.js'

const config = loadConfig(AdminApiEnv)
const app = await buildApp(config)
await serve(app, config.ADMIN_API_PORT, config.HOST)

import { AppApiEnv } from '@showfloor/schemas'
import { loadConfig, serve } from '@showfloor/http'
import { buildApp } from './app.js'

const config = loadConfig(AppApiEnv)
const app = await buildApp(config)
await serve(app, config.APP_API_PORT, config.HOST)

import { PortalEnv } from '@showfloor/schemas'
import { loadConfig, serve } from '@showfloor/http'
import { buildApp } from './app.js'

const config = loadConfig(PortalEnv)
const app = await buildApp(config)
await serve(app, config.PORTAL_PORT, config.HOST)

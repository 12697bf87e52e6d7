import type { FastifyInstance } from 'fastify'
import { queries } from '@showfloor/db'
import { dashboardPage } from '../views/dashboard.js'
import { pageContext, sendPage } from './page.js'

export async function dashboard (app: FastifyInstance): Promise<void> {
  app.get('/dashboard', { config: { access: 'session' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const figures = await queries.portalExhibitors.dashboardFigures(app.db, exhibitor.id)
    return sendPage(reply, dashboardPage(pageContext(request, reply), exhibitor, figures))
  })
}

import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { queries } from '@showfloor/db'
import { newStaffCode } from '../domain/staffCode.js'
import { devicesPage } from '../views/devices.js'
import { pageContext, seeOther, sendPage } from './page.js'

const Query = Type.Object({ replaced: Type.Optional(Type.Literal('1')) })

export async function devices (app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Static<typeof Query> }>('/devices/', { schema: { querystring: Query }, config: { access: 'session' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const rows = await queries.portalExhibitors.listDevices(app.db, exhibitor.id)
    return sendPage(reply, devicesPage(pageContext(request, reply), rows, exhibitor.lead_scanning_access_code, request.query.replaced === '1', exhibitor.timezone))
  })

  app.post('/devices/staff-code', { config: { access: 'session' } }, async (request, reply) => {
    await newStaffCode(app.db, request.exhibitor!.id)
    return seeOther(reply, '/devices/?replaced=1')
  })
}

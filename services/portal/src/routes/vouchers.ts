import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { queries } from '@showfloor/db'
import { pageNotFound } from '../plugins/pageError.js'
import { vouchersPage } from '../views/vouchers.js'
import { pageContext, sendPage } from './page.js'

const PAGE_SIZE = 50
const Query = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) })

export async function vouchers (app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Static<typeof Query> }>('/vouchers/', { schema: { querystring: Query }, config: { access: 'vouchers' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const page = request.query.page ?? 1
    const [count, rows] = await Promise.all([
      queries.exhibitorApp.countVouchers(app.db, exhibitor.id),
      queries.exhibitorApp.listVouchers(app.db, exhibitor.id, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })
    ])
    const pages = Math.max(1, Math.ceil(Number(count) / PAGE_SIZE))
    if (page > pages) throw pageNotFound()
    return sendPage(reply, vouchersPage(pageContext(request, reply), rows, exhibitor.timezone, { page, pages }))
  })
}

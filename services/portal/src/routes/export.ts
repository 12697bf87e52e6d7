import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { prepareExport } from '../domain/exportLeads.js'
import { leadFilter } from '../domain/leads.js'
import { pageNotFound } from '../plugins/pageError.js'
import { FilterQuery } from './leads.js'

const ExportBody = Type.Composite([FilterQuery, Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  since: Type.Optional(Type.Literal('1')),
  _csrf: Type.Optional(Type.String())
})])

/**
 * The leads page's downloads: a form (it moves the exhibitor's export mark, so it posts with a CSRF
 * token) whose buttons pick the format. The file streams from PostgreSQL through the writer to the
 * response.
 */
export async function exportRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: Static<typeof ExportBody> }>('/leads/export', { schema: { body: ExportBody }, config: { access: 'leads' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const { format, since, _csrf: _token, ...filter } = request.body
    const job = await prepareExport(app.db, exhibitor, leadFilter(exhibitor.id, filter), since === '1', format, request.lang)
    if (job === undefined) throw pageNotFound()
    const out = new PassThrough()
    job.write(out).catch((err) => { request.log.warn({ err }, 'export broke off') })
    return reply
      .header('Content-Type', job.contentType)
      .header('Content-Disposition', `attachment; filename="${job.fileName}"`)
      .header('Cache-Control', 'no-store')
      .send(out)
  })
}

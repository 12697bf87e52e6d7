import { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { queries, type Db } from '@showfloor/db'
import {
  EXPORTERS, EventParams, ExportDownloadParams, ExportFailedSchema, ExportPendingSchema, ExportRunSchema,
  ExportStartedSchema, ExporterParams, ExporterSchema, PageQuery, Paginated, errorDetail, errorResponses, isExporterId
} from '@showfloor/schemas'
import { notFound, paginate } from '@showfloor/http'
import { startExport } from '../domain/exports.js'

const tags = ['Data exporters']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** An absolute URL of this API: below PUBLIC_ADMIN_URL (keeping its path prefix) when set, else the request's own host. */
function absoluteUrl (request: FastifyRequest, configured: string | undefined, path: string): string {
  if (configured) {
    const base = new URL(configured)
    return `${base.origin}${base.pathname.replace(/\/$/, '')}${path}`
  }
  return `${request.protocol}://${request.host}${path}`
}

/** The file's chunks one after another, each read when the client is ready for it. */
function fileStream (db: Db, id: string, run: number): Readable {
  return Readable.from((async function * () {
    for (let seq = 0; ; seq++) {
      const chunk = await queries.exports.readChunk(db, id, run, seq)
      if (chunk === undefined) return
      yield chunk
    }
  })(), { objectMode: false })
}

const File = Type.String({ format: 'binary' })

export const exporters: FastifyPluginAsyncTypebox = async (app) => {
  const permission = { permission: 'can_view_orders' as const }

  app.get('/', {
    config: permission,
    schema: {
      tags,
      summary: 'List the data exporters of the event',
      params: EventParams,
      querystring: PageQuery,
      response: { 200: Paginated(ExporterSchema), ...errorResponses }
    }
  }, async (request) => await paginate(request, app.config.PUBLIC_ADMIN_URL, EXPORTERS.length,
    async (page) => EXPORTERS.slice(page.offset, page.offset + page.size)))

  app.post('/:identifier/run/', {
    config: permission,
    // An unknown exporter is 404 whatever the body says, so it is looked at before the body is.
    preValidation: async (request) => {
      if (!isExporterId((request.params as { identifier: string }).identifier)) throw notFound()
    },
    schema: {
      tags,
      summary: 'Start an export; the answer names the URL to download the result from',
      params: ExporterParams,
      body: ExportRunSchema,
      response: { 202: ExportStartedSchema, ...errorResponses }
    }
  }, async (request, reply) => {
    const { identifier } = request.params
    if (!isExporterId(identifier)) throw notFound()
    const started = await startExport(app.db, request.event, identifier, request.body)
    const path = `/api/v1/organizers/${encodeURIComponent(request.organizer.slug)}/events/${encodeURIComponent(request.event.slug)}` +
      `/exporters/${identifier}/download/${started.id}/${started.key}/`
    return await reply.code(202).send({ download: absoluteUrl(request, app.config.PUBLIC_ADMIN_URL, path) })
  })

  app.get('/:identifier/download/:export/:key/', {
    config: permission,
    schema: {
      tags,
      summary: 'Download the result of an export',
      description: '200 with the file when it is done; 409 while it waits or runs (retry after a second or more); ' +
        '410 when it failed for good; 404 when there is no such export or it expired (24 hours after it was done).',
      params: ExportDownloadParams,
      response: {
        200: {
          description: 'The file',
          content: {
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: File },
            'text/csv; charset=utf-8': { schema: File }
          }
        },
        409: ExportPendingSchema,
        410: ExportFailedSchema,
        ...errorResponses,
        404: errorDetail('No such export, or it expired')
      }
    }
  }, async (request, reply) => {
    const { identifier, export: id, key } = request.params
    if (!isExporterId(identifier) || !UUID.test(id) || !UUID.test(key)) throw notFound()
    const found = await queries.exports.findExport(app.db, request.event.id, identifier, id, key)
    if (!found) throw notFound()
    switch (found.status) {
      case 'waiting':
      case 'running':
        return await reply.code(409).header('retry-after', '1').send({ status: found.status, percentage: found.percentage })
      case 'failed':
        return await reply.code(410).send({ status: 'failed', message: found.message ?? 'The export failed.' })
    }
    return await reply
      .header('content-type', found.content_type ?? 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${found.file_name ?? 'export'}"`)
      .header('content-length', String(found.size ?? 0))
      .send(fileStream(app.db, id, found.run))
  })
}

import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'

/** The pages' one stylesheet, read once at start and served by the portal itself (the CSP allows no other host). */
export async function stylesheet (app: FastifyInstance): Promise<void> {
  const css = await readFile(new URL('../static/portal.css', import.meta.url))
  const etag = `"${createHash('sha256').update(css).digest('base64url').slice(0, 16)}"`
  app.get('/static/portal.css', async (request, reply) => {
    reply.header('Cache-Control', 'public, max-age=3600').header('ETag', etag)
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.type('text/css; charset=utf-8').send(css)
  })
}

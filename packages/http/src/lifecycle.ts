import type { Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import closeWithGrace from 'close-with-grace'

/** How long a connection between requests may stay open after the signal: its next request may be on its way. */
const IDLE_GRACE_MS = 1000

/**
 * Closing without resetting a request that is being answered or is on its way. Node's
 * server.close() destroys at once every connection it counts as between requests, which includes
 * one whose last response is written but not yet flushed, and one whose client is sending the
 * next request right now. Instead: a response still being made gets `Connection: close`, and so
 * does every request that arrives from now on (Fastify's own header while closing; it is processed,
 * see return503OnClosing in httpServerOptions); a connection between requests is closed only once
 * it has stayed truly idle (no response in progress, nothing received) for a moment.
 *
 * Only connections are tracked (one listener each, not one per request, so keep-alive traffic pays
 * nothing for it); the response a connection is writing is Node's `socket._httpMessage`, read only
 * once closing has begun.
 */
function closeOnlyIdleConnections (server: Server): void {
  const sockets = new Set<Socket>()
  const responseOf = (socket: Socket) => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null

  const closeWhenIdle = (socket: Socket) => {
    if (socket.destroyed) return
    const read = socket.bytesRead
    setTimeout(() => {
      if (socket.destroyed) return
      const response = responseOf(socket)
      // A response in progress, or bytes of a request that came in: wait for it (it is answered
      // with Connection: close) or for more silence.
      if ((response !== null && !response.writableFinished) || socket.bytesRead !== read || socket.writableLength > 0) closeWhenIdle(socket)
      else socket.destroy()
    }, IDLE_GRACE_MS).unref()
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  // Node's server.close() calls this (Fastify itself only with a serverFactory).
  server.closeIdleConnections = () => {
    for (const socket of sockets) {
      const response = responseOf(socket)
      if (response !== null && !response.headersSent) response.setHeader('Connection', 'close')
      closeWhenIdle(socket)
    }
  }
}

/** Listens, and on SIGTERM/SIGINT closes the app (in-flight requests finish, pools close) before exiting. */
export async function serve (app: FastifyInstance, port: number, host: string): Promise<void> {
  closeOnlyIdleConnections(app.server)
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an error')
    else app.log.info({ signal }, 'stopping')
    await app.close()
  })
  await app.listen({ port, host })
}

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
 * it has stayed truly idle (nothing pending, nothing received) for a moment.
 */
function closeOnlyIdleConnections (server: Server): void {
  /** Per connection, its responses not yet handed to the OS. */
  const connections = new Map<Socket, Set<ServerResponse>>()
  let closing = false

  const closeWhenIdle = (socket: Socket, pending: Set<ServerResponse>) => {
    if (pending.size > 0 || socket.destroyed) return
    const read = socket.bytesRead
    setTimeout(() => {
      if (pending.size > 0) return
      // Bytes of a request came in: wait for it (it is answered with Connection: close) or for more silence.
      if (socket.bytesRead !== read || socket.writableLength > 0) closeWhenIdle(socket, pending)
      else socket.destroy()
    }, IDLE_GRACE_MS).unref()
  }

  server.on('connection', (socket: Socket) => {
    connections.set(socket, new Set())
    socket.once('close', () => connections.delete(socket))
  })
  server.on('request', (request, response: ServerResponse) => {
    const socket = request.socket
    const pending = connections.get(socket)
    if (pending === undefined) return
    pending.add(response)
    response.once('finish', () => {
      pending.delete(response)
      if (closing) closeWhenIdle(socket, pending)
    })
    response.once('close', () => pending.delete(response))
  })

  // Node's server.close() calls this (Fastify itself only with a serverFactory).
  server.closeIdleConnections = () => {
    closing = true
    for (const [socket, pending] of connections) {
      for (const response of pending) {
        if (!response.headersSent) response.setHeader('Connection', 'close')
      }
      closeWhenIdle(socket, pending)
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

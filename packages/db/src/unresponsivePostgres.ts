import { createServer, type Socket } from 'node:net'

export interface UnresponsivePostgres {
  /** A DATABASE_URL pointing at it. */
  url: string
  close: () => Promise<void>
}

/**
 * A PostgreSQL that does not answer, for fault tests. `silent` accepts connections and never says a
 * word (a hung host); `stalled` completes the startup handshake (no password asked) and then never
 * answers a statement (a server frozen while connections were open).
 */
export async function unresponsivePostgres (mode: 'silent' | 'stalled'): Promise<UnresponsivePostgres> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (mode === 'stalled') {
      // The client speaks first (the startup message); answer AuthenticationOk and ReadyForQuery once.
      socket.once('data', () => {
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]))
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/showfloor`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A DATABASE_URL on a port where nothing listens (a stopped server: connections are refused). */
export async function refusingPostgresUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `postgres://postgres@127.0.0.1:${address.port}/showfloor`
}

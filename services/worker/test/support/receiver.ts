import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

/** One request the receiver got, with what a Standard Webhooks library said of its signature. */
export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** The parsed body when the signature checked out with the path's secret; null otherwise. */
  verified: Record<string, unknown> | null
  at: number
}

/** How a path answers: a status (and after how long), decided per request. */
export type Answer = (request: Received, nth: number) => { status: number, delayMs?: number, body?: string, headers?: Record<string, string> }

/**
 * A webhook receiver on 127.0.0.1 (port 0), as an organizer's system would run it: it verifies
 * every request with the `standardwebhooks` library and the secret set for its path.
 */
export async function startReceiver () {
  const received: Received[] = []
  const secrets = new Map<string, string>()
  const answers = new Map<string, Answer>()
  const counts = new Map<string, number>()
  const open = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const path = req.url ?? '/'
      const key = path.split('?')[0]
      let verified: Record<string, unknown> | null = null
      const secret = secrets.get(key)
      if (secret) {
        try {
          verified = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Record<string, unknown>
        } catch {
          verified = null
        }
      }
      const entry: Received = { path, headers: req.headers, body, verified, at: Date.now() }
      received.push(entry)
      const nth = (counts.get(key) ?? 0) + 1
      counts.set(key, nth)
      const answer: ReturnType<Answer> = (answers.get(key) ?? (() => ({ status: 200 })))(entry, nth)
      open.add(res)
      res.on('close', () => open.delete(res))
      const reply = () => {
        if (res.destroyed) return
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
        res.end(answer.body ?? `ok ${nth}`)
      }
      if (answer.delayMs) setTimeout(reply, answer.delayMs)
      else reply()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** The requests of one path. */
    at: (path: string) => received.filter((r) => r.path.split('?')[0] === path),
    setSecret: (path: string, secret: string) => { secrets.set(path, secret) },
    answer: (path: string, answer: Answer) => { answers.set(path, answer) },
    close: async () => {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>

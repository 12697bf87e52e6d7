import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One delivery: the lead it told of (`exhibitor id/attendee order code`) and when it arrived (ms since the epoch). */
export interface Arrival { lead: string, at: number }

export interface WebhookReceiver {
  /** The webhook target URL. */
  url: string
  /** Every delivery received, in the order it arrived (a repeat of a lead included). */
  arrivals: Arrival[]
  close: () => Promise<void>
}

/**
 * A webhook target on this machine: answers every POST with 204 and records when each delivery
 * arrived; a GET answers how many arrived (`{"arrivals": n}`), for a receiver run as a process of
 * its own (receiverProcess.ts).
 */
export async function startReceiver (port = 0): Promise<WebhookReceiver> {
  const arrivals: Arrival[] = []
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ arrivals: arrivals.length }))
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = Date.now()
      let lead = ''
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { exhibitor: number, attendee_order: string }
        lead = `${body.exhibitor}/${body.attendee_order}`
      } catch {}
      arrivals.push({ lead, at })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

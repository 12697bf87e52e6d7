import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { createDb, queries } from '@showfloor/db'
import { removePrefix } from '@showfloor/db/testing'
import { benchDatabase, seedShow } from './seed.js'
import { cpuSeconds, freePort, startFlags, startService, type Service } from './processes.js'
import { startReceiver } from './receiver.js'
import { ratio, type Benchmark, type Row } from './table.js'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 500)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const EXHIBITORS = 100

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/**
 * Contract section 13's latency budget: first uploads at a steady 500/s (the upload statement the
 * App API runs) with one webhook on `showfloor.lead.created`, the worker running relay, enrichment,
 * fan-out and delivery to a local receiver; upload-to-delivery latency per lead. Set beside the
 * upload-to-enrichment latency of the same leads in the same run (the part a webhook cannot beat).
 */
export const webhookLatency: Benchmark = {
  name: 'webhook-latency',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('webhooks')
    const total = RATE * SECONDS
    const db = createDb(bench.url, { max: 10 })
    const uploads = createDb(bench.url, { max: 8 })
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    const receiver = await startReceiver()
    // When each lead's delivery arrived (its last, should one come twice).
    const arrived = () => new Map(receiver.arrivals.map((a) => [a.lead, a.at]))
    let service: Service | undefined
    try {
      // Two rounds of first uploads on different attendees: without a webhook (the reference),
      // then with one.
      const show = await seedShow(db, 2 * total, EXHIBITORS)
      const organizer = (await queries.organizers.findOrganizer(db, 'bench'))!
      // The worker as in production: a process of its own.
      const port = await freePort()
      service = await startService([...startFlags('worker'), 'services/worker/dist/main.js'], {
        DATABASE_URL: bench.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, WORKER_PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true'
      }, port)
      const pid = service.child.pid!

      const unenriched = async () => Number((await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('enriched_at', 'is', null).executeTakeFirstOrThrow()).n)
      /** Uploads attendees [from, from + total) at RATE per second; returns when each was uploaded. */
      const round = async (from: number): Promise<{ uploadedAt: Map<string, number>, rate: number }> => {
        const uploadedAt = new Map<string, number>()
        const started = Date.now()
        const inFlight: Array<Promise<unknown>> = []
        // Ticks of 20 ms, each starting the uploads due by then: a steady rate, not a burst.
        for (let sent = 0; sent < total;) {
          const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE))
          for (; sent < due; sent++) {
            const exhibitor = show.exhibitors[sent % EXHIBITORS]
            uploadedAt.set(`${exhibitor.id}/O${from + sent + 1}`, Date.now())
            inFlight.push(queries.leadUpload.uploadLead(uploads, {
              accessCode: exhibitor.accessCode, code: show.scanCodes[from + sent], scanned: new Date().toISOString(), rating: null, tags: null, notes: '', deviceName: null, deviceUuid: null
            }))
          }
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        await Promise.all(inFlight)
        return { uploadedAt, rate: total / ((Date.now() - started) / 1000) }
      }
      const until = async (what: string, check: () => Promise<boolean>) => {
        const deadline = Date.now() + 180_000
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`${what}: not done in time`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      const enrichLag = async (firstOrder: number) => {
        const { rows } = await sql<{ ms: number }>`
          select extract(epoch from (l.enriched_at - l.first_upload)) * 1000 as ms
          from leads l join order_positions p on p.id = l.position_id join orders o on o.id = p.order_id
          where substr(o.code, 2)::int >= ${firstOrder}`.execute(db)
        return rows.map((r) => Number(r.ms))
      }

      let cpu = cpuSeconds(pid)
      const plain = await round(0)
      await until('enrichment without a webhook', async () => (await unenriched()) === 0)
      const plainCpuMs = (cpuSeconds(pid) - cpu) * 1000 / total
      const plainLag = await enrichLag(1)

      await queries.webhooks.createWebhook(db, organizer.id, {
        target_url: receiver.url,
        action_types: ['showfloor.lead.created'],
        secret: 'whsec_' + randomBytes(32).toString('base64')
      }, [])
      cpu = cpuSeconds(pid)
      const hooked = await round(total)
      await until('deliveries', async () => arrived().size === total)
      const hookedCpuMs = (cpuSeconds(pid) - cpu) * 1000 / total
      const hookedLag = await enrichLag(total + 1)
      const arrivedAt = arrived()
      const latencies = [...hooked.uploadedAt].map(([key, at]) => arrivedAt.get(key)! - at)

      return [
        {
          benchmark: 'webhook-latency',
          metric: `upload → delivery p50 (${total} first uploads at ${hooked.rate.toFixed(0)}/s, 1 webhook; enriched p50 ${percentile(hookedLag, 50).toFixed(0)} ms)`,
          value: `${percentile(latencies, 50).toFixed(0)} ms`,
          reference: `${percentile(plainLag, 50).toFixed(0)} ms (upload → enriched, no webhook, ${plain.rate.toFixed(0)}/s)`,
          goal: '< 1000 ms'
        },
        {
          benchmark: 'webhook-latency',
          metric: `upload → delivery p99 (enriched p99 ${percentile(hookedLag, 99).toFixed(0)} ms)`,
          value: `${percentile(latencies, 99).toFixed(0)} ms`,
          reference: `${percentile(plainLag, 99).toFixed(0)} ms (upload → enriched, no webhook)`,
          goal: '< 3000 ms'
        },
        {
          benchmark: 'webhook-latency',
          metric: 'worker CPU per lead (/proc utime+stime)',
          value: `${hookedCpuMs.toFixed(2)} ms (with the webhook)`,
          reference: `${plainCpuMs.toFixed(2)} ms (no webhook)`,
          ratio: ratio(hookedCpuMs, plainCpuMs),
          goal: 'report'
        }
      ]
    } finally {
      await service?.stop()
      await receiver.close()
      await removePrefix(redisUrl, prefix)
      await uploads.destroy()
      await db.destroy()
      await bench.drop()
    }
  }
}

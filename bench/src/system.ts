import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { removePrefix } from '@showfloor/db/testing'
import { benchDatabase, seedShow, type Show } from './seed.js'
import { ATTENDEES, DURATION, EXHIBITORS, ROUNDS, WARM, load, uploads, warmUp, type Load } from './leadUpload.js'
import { cpuSeconds, freePort, peakRssMb, startFlags, startService, type Service } from './processes.js'
import { startReceiver } from './receiver.js'
import { ratio, type Benchmark, type Row } from './table.js'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Leads as a show day leaves them: the warm ones uploaded and enriched, no work pending. */
async function resetShow (db: Db, show: Show): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000))
  // Outbox ids go on from where they were: the worker's BullMQ jobs of earlier runs keep their ids.
  await sql`truncate leads, outbox`.execute(db)
  await sql`
    insert into leads (exhibitor_id, position_id, rating, tags, notes, scanned, data, enriched_at)
    select e.id, op.id, 3, '["warm"]'::jsonb, 'seeded', now(), '[]'::jsonb, now()
    from generate_series(0, ${WARM - 1}) g
    join order_positions op on op.event_id = ${show.eventId} and op.pseudonymization_id = 'P' || lpad((g + 1)::text, 9, '0')
    join exhibitors e on e.id = (${sql.raw(`array[${show.exhibitors.map((x) => x.id).join(',')}]`)})[(g % ${EXHIBITORS}) + 1]
    on conflict do nothing`.execute(db)
  await sql`update exhibitors e set lead_count = (select count(*) from leads l where l.exhibitor_id = e.id)`.execute(db)
  await sql`vacuum analyze leads`.execute(db)
  await sql`vacuum analyze exhibitors`.execute(db)
}

interface Backlog { pending: number, behind: number }

/** Where a service's memory is, from its /metrics: resident, V8's heap spaces (committed/used), and memory outside the heap. */
async function heapOf (port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0) / 2 ** 20
  const space = (name: string) => `${value(new RegExp(`nodejs_heap_space_size_total_bytes\\{space="${name}"[^}]*\\} (\\d+)`)).toFixed(0)}/` +
    `${value(new RegExp(`nodejs_heap_space_size_used_bytes\\{space="${name}"[^}]*\\} (\\d+)`)).toFixed(0)} MB`
  return `RSS ${value(/process_resident_memory_bytes\{[^}]*\} (\d+)/).toFixed(0)} MB: new space ${space('new')}, old space ${space('old')}, ` +
    `code ${space('code')}, outside the heap ${value(/nodejs_external_memory_bytes\{[^}]*\} (\d+)/).toFixed(0)} MB`
}

/** The worker's backlog: outbox rows not relayed yet, and leads whose last upload is not enriched yet. */
async function backlog (db: Db): Promise<Backlog> {
  const { rows: [row] } = await sql<Backlog>`
    select (select count(*) from outbox where relayed_at is null)::int as pending,
           (select count(*) from leads where enriched_at is null or enriched_at < last_upload)::int as behind`.execute(db)
  return row
}

const total = (b: Backlog): number => b.pending + b.behind

/** Webhook work not done yet: notifications not fanned out, deliveries still pending. */
async function webhooksBehind (db: Db): Promise<number> {
  const { rows: [row] } = await sql<{ behind: number }>`
    select ((select count(*) from outbox o where o.topic = 'webhook.notify'
               and not exists (select 1 from webhook_fanouts f where f.notification_id = (o.payload->>'id')::uuid))
          + (select count(*) from webhook_deliveries where state = 'pending'))::int as behind`.execute(db)
  return row.behind
}

/**
 * CPU seconds used so far by the PostgreSQL backends connected to the benchmark's database (the
 * server runs on this machine): the database's share of the work, which the app-api, the worker and
 * the reference all cause; the benchmark's own connections are left out. Backends that ended are no longer counted, so take it around runs whose
 * connections stay open (pools).
 */
async function databaseCpu (db: Db): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and application_name <> 'showfloor-bench'`.execute(db)
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    try { cpu.set(pid, cpuSeconds(pid)) } catch {}
  }
  return cpu
}

/** CPU the database's backends used between two readings (backends that appeared meanwhile count from zero). */
function databaseCpuSince (before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0)
  return sum
}

interface SystemRound {
  ref: Load
  ours: Load
  /** Worker CPU seconds per upload of the measured run, until it had caught up. */
  workerCpu: number
  /** The backlog sampled during the run, then at its end. */
  samples: Backlog[]
  drainSeconds: number
  lagging: boolean
  /** PostgreSQL CPU seconds per upload: the reference's run, and the system's until the worker caught up. */
  refDb: number
  ourDb: number
}

/**
 * The whole system at show-day rates (contract section 10): one app-api process and one worker
 * process, each a process of its own, under the lead-upload load (64 connections, half first
 * uploads, half re-uploads), beside the one-statement reference measured in the same run. The
 * worker must keep up: its backlog (outbox rows not relayed, leads not enriched since their last
 * upload) is sampled during the run and must not grow. CPU per upload and per lead come from /proc.
 */
export const systemLoad: Benchmark = {
  name: 'system',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('system')
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    const services: Service[] = []
    try {
      console.error(`  seeding ${ATTENDEES} attendees and ${EXHIBITORS} exhibitors`)
      const show = await seedShow(bench.db, ATTENDEES, EXHIBITORS)
      const env = { DATABASE_URL: bench.url, REDIS_URL: redisUrl, LOG_LEVEL: 'warn', REDIS_PREFIX: `bench-${bench.name}`, QUEUE_PREFIX: prefix, HOST: '127.0.0.1' }
      const start = async (args: string[], portVar: string, readyPath?: string, extra: Record<string, string> = {}) => {
        const port = await freePort()
        const service = await startService(args, { ...env, ...extra, [portVar]: String(port) }, port, readyPath)
        services.push(service)
        return service
      }
      const reference = await start(['--conditions=@showfloor/source', '--import', 'tsx', 'bench/src/reference.ts'], 'PORT', '/exhibitors/api/v1/leads/')
      const app = await start([...startFlags('app-api'), 'services/app-api/dist/server.js'], 'APP_API_PORT')
      // Private targets allowed: the webhook phase delivers to a receiver on this machine.
      const worker = await start(['services/worker/dist/main.js'], 'WORKER_PORT', undefined, { WEBHOOK_ALLOW_PRIVATE: 'true' })

      const caughtUp = async (timeoutMs: number): Promise<boolean> => {
        const end = Date.now() + timeoutMs
        while (Date.now() < end) {
          if (total(await backlog(bench.db)) === 0) return true
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        return false
      }

      const rounds: SystemRound[] = []
      for (let round = 1; round <= ROUNDS; round++) {
        console.error(`  round ${round}/${ROUNDS}: reference, then app-api with the worker`)
        await resetShow(bench.db, show)
        let next = uploads(show)
        if (round === 1) await warmUp([reference.port], next)
        await load([reference.port], next, 2)
        const refDbBefore = await databaseCpu(bench.db)
        const ref = await load([reference.port], next, DURATION, undefined, [reference.child.pid!])
        const refDb = databaseCpuSince(refDbBefore, await databaseCpu(bench.db)) / ref.requests

        await resetShow(bench.db, show)
        next = uploads(show)
        // Warm-up: JIT, pools, prepared statements, the limiter's record, the worker too.
        if (round === 1) await warmUp([app.port], next)
        await load([app.port], next, 2)
        if (!await caughtUp(60_000)) throw new Error('the worker did not catch up with the warm-up')
        const workerBefore = cpuSeconds(worker.child.pid!)
        const dbBefore = await databaseCpu(bench.db)
        const samples: Backlog[] = []
        const sampling = { on: true }
        const sampler = (async () => {
          while (sampling.on) {
            await new Promise((resolve) => setTimeout(resolve, 2000))
            if (sampling.on) samples.push(await backlog(bench.db))
          }
        })()
        const ours = await load([app.port], next, DURATION, undefined, [app.child.pid!])
        sampling.on = false
        await sampler
        samples.push(await backlog(bench.db))
        const loadEnded = Date.now()
        const lagging = !await caughtUp(120_000)
        const drainSeconds = (Date.now() - loadEnded) / 1000
        const workerCpu = (cpuSeconds(worker.child.pid!) - workerBefore) / ours.requests
        const ourDb = databaseCpuSince(dbBefore, await databaseCpu(bench.db)) / ours.requests
        console.error(`    backlog during the run: ${samples.map(total).join(', ')}; caught up ${drainSeconds.toFixed(1)} s after it`)
        rounds.push({ ref, ours, workerCpu, samples, drainSeconds, lagging, refDb, ourDb })
      }

      // Section 13: the same load with one webhook on showfloor.lead.created, so every first upload
      // (half of them) is also delivered, signed, to a receiver; the worker must still keep up.
      console.error('  with one webhook on showfloor.lead.created')
      const receiver = await startReceiver()
      let hooked: Load
      let hookedWorkerCpu: number
      let hookedLagging: boolean
      let hookedDrain: number
      try {
        const organizer = (await queries.organizers.findOrganizer(bench.db, 'bench'))!
        await queries.webhooks.createWebhook(bench.db, organizer.id, {
          target_url: receiver.url, action_types: ['showfloor.lead.created'], secret: 'whsec_' + randomBytes(32).toString('base64')
        }, [])
        await resetShow(bench.db, show)
        const next = uploads(show)
        await load([app.port], next, 2)
        const done = async (timeoutMs: number) => {
          const end = Date.now() + timeoutMs
          while (Date.now() < end) {
            if (total(await backlog(bench.db)) + await webhooksBehind(bench.db) === 0) return true
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
          return false
        }
        if (!await done(60_000)) throw new Error('the worker did not catch up with the warm-up')
        const workerBefore = cpuSeconds(worker.child.pid!)
        hooked = await load([app.port], next, DURATION, undefined, [app.child.pid!])
        const loadEnded = Date.now()
        hookedLagging = !await done(120_000)
        hookedDrain = (Date.now() - loadEnded) / 1000
        hookedWorkerCpu = (cpuSeconds(worker.child.pid!) - workerBefore) / hooked.requests
      } finally {
        await receiver.close()
      }

      const median = <T>(values: T[], key: (v: T) => number): T => [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)]
      const byThroughput = median(rounds, (r) => r.ours.throughput / r.ref.throughput)
      const appCpu = median(rounds, (r) => r.ours.cpuPerRequest!)
      const refCpu = median(rounds, (r) => r.ref.cpuPerRequest!)
      const workerCpu = median(rounds, (r) => r.workerCpu)
      const perLead = median(rounds, (r) => r.workerCpu / r.ours.cpuPerRequest!)
      const dbCpu = median(rounds, (r) => r.ourDb / r.refDb)
      const counts = await sql<{ wrong: number }>`
        select count(*)::int as wrong from exhibitors e
        where lead_count <> (select count(*) from leads l where l.exhibitor_id = e.id and l.enriched_at is not null)`.execute(bench.db)
      const heap = await heapOf(app.port)
      const us = (seconds: number) => `${(seconds * 1e6).toFixed(0)} µs`
      const rps = (l: Load) => `${Math.round(l.throughput)}/s`
      const b = 'system (app-api + worker)'
      return [
        { benchmark: b, metric: 'throughput, worker running', value: rps(byThroughput.ours), reference: rps(byThroughput.ref), ratio: ratio(byThroughput.ours.throughput, byThroughput.ref.throughput), goal: '>= 0.8' },
        { benchmark: b, metric: 'app-api CPU per upload', value: us(appCpu.ours.cpuPerRequest!), reference: us(refCpu.ref.cpuPerRequest!), ratio: ratio(appCpu.ours.cpuPerRequest!, refCpu.ref.cpuPerRequest!), goal: 'report' },
        { benchmark: b, metric: 'worker CPU per lead (until caught up)', value: us(workerCpu.workerCpu), reference: `${us(perLead.ours.cpuPerRequest!)} (app-api per upload)`, ratio: ratio(perLead.workerCpu, perLead.ours.cpuPerRequest!), goal: '<= 0.25' },
        { benchmark: b, metric: 'PostgreSQL CPU per upload (its backends, from /proc)', value: us(dbCpu.ourDb), reference: us(dbCpu.refDb), ratio: ratio(dbCpu.ourDb, dbCpu.refDb), goal: 'report' },
        {
          benchmark: b,
          metric: 'backlog (outbox rows + leads behind), every 2 s',
          value: rounds.map((r) => r.samples.map(total).join(' → ')).join('; '),
          goal: 'does not grow'
        },
        { benchmark: b, metric: 'caught up after the load', value: rounds.map((r) => r.lagging ? 'no (120 s)' : `${r.drainSeconds.toFixed(1)} s`).join(', ') },
        {
          benchmark: b,
          metric: 'throughput, worker running, 1 webhook on lead.created',
          value: rps(hooked),
          reference: rps(byThroughput.ref),
          ratio: ratio(hooked.throughput, byThroughput.ref.throughput),
          goal: '>= 0.8'
        },
        {
          benchmark: b,
          metric: 'with the webhook: worker CPU per upload; deliveries caught up after the load',
          value: `${us(hookedWorkerCpu)}; ${hookedLagging ? 'no (120 s)' : `${hookedDrain.toFixed(1)} s`} (${receiver.arrivals.length} deliveries received)`,
          reference: `${us(workerCpu.workerCpu)} (no webhook)`,
          ratio: ratio(hookedWorkerCpu, workerCpu.workerCpu),
          goal: 'report'
        },
        { benchmark: b, metric: 'exhibitors whose lead_count is wrong', value: String(counts.rows[0].wrong), goal: '0' },
        {
          benchmark: b,
          metric: 'peak RSS',
          value: `app-api ${peakRssMb(app.child.pid!).toFixed(0)} MB, worker ${peakRssMb(worker.child.pid!).toFixed(0)} MB`,
          reference: `${peakRssMb(reference.child.pid!).toFixed(0)} MB`,
          goal: '< 150 MB'
        },
        { benchmark: b, metric: 'app-api memory after the runs (its /metrics)', value: heap, goal: 'report' },
        { benchmark: b, metric: 'failed or non-2xx requests', value: String(rounds.reduce((n, r) => n + r.ours.errors + r.ours.non2xx, 0) + hooked.errors + hooked.non2xx), reference: String(rounds.reduce((n, r) => n + r.ref.errors + r.ref.non2xx, 0)) }
      ]
    } finally {
      for (const s of [...services].reverse()) await s.stop().catch(() => {})
      await removePrefix(redisUrl, prefix)
      await bench.drop()
    }
  }
}

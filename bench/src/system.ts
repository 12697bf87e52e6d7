import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { queries, type Db } from '@showfloor/db'
import { removePrefix } from '@showfloor/db/testing'
import { closeRedis, createRedis } from '@showfloor/queue'
import { benchDatabase, seedShow, type Show } from './seed.js'
import { ATTENDEES, DURATION, EXHIBITORS, ROUNDS, WARM, load, uploads, warmUp, type Load } from './leadUpload.js'
import { cpuSeconds, freePort, parentPid, peakRssMb, startFlags, startService, treeCpuSeconds, type Service } from './processes.js'
import { ms, ratio, type Benchmark, type Row } from './table.js'

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
async function databaseCpu (db: Db): Promise<Map<number, { app: string, seconds: number }>> {
  const { rows } = await sql<{ pid: number, app: string }>`
    select pid, application_name as app from pg_stat_activity where datname = current_database() and application_name <> 'showfloor-bench'`.execute(db)
  const cpu = new Map<number, { app: string, seconds: number }>()
  for (const { pid, app } of rows) {
    try { cpu.set(pid, { app, seconds: cpuSeconds(pid) }) } catch {}
  }
  return cpu
}

/** CPU the database's backends used between two readings, in all and by application name (backends that appeared meanwhile count from zero). */
function databaseCpuSince (before: Map<number, { seconds: number }>, after: Map<number, { app: string, seconds: number }>): { sum: number, byApp: Map<string, number> } {
  let sum = 0
  const byApp = new Map<string, number>()
  for (const [pid, { app, seconds }] of after) {
    const used = seconds - (before.get(pid)?.seconds ?? 0)
    sum += used
    byApp.set(app, (byApp.get(app) ?? 0) + used)
  }
  return { sum, byApp }
}

/** CPU seconds the Redis server used so far (INFO cpu: its main thread and the others). */
async function redisCpu (redis: ReturnType<typeof createRedis>): Promise<number> {
  const info = await redis.info('cpu')
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return value('used_cpu_sys') + value('used_cpu_user')
}

/** Context switches on the whole machine so far (/proc/stat): every process's, the kernel's too. */
function contextSwitches (): number {
  return Number(/^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0)
}

/** The WAL the whole server wrote so far (pg_stat_wal): bytes, and full-page images among them. */
async function walWritten (db: Db): Promise<{ bytes: number, fpi: number }> {
  const { rows: [row] } = await sql<{ bytes: string, fpi: string }>`select wal_bytes::text as bytes, wal_fpi::text as fpi from pg_stat_wal`.execute(db)
  return { bytes: Number(row.bytes), fpi: Number(row.fpi) }
}

/** One target's measured run, and the work it left the worker. */
interface Phase {
  load: Load
  /** Worker CPU seconds per upload of the measured run, until it had caught up. */
  workerCpu: number
  /** PostgreSQL CPU seconds per upload (its backends), until the worker had caught up. */
  dbCpu: number
  /** The same by the backends' application name (the app-api's, the worker's). */
  dbByApp: Map<string, number>
  /** The whole PostgreSQL server's CPU seconds per upload: backends, autovacuum, WAL writer, checkpointer. */
  serverCpu: number
  /** The Redis server's CPU seconds per upload. */
  redisCpu: number
  /** WAL bytes per upload, and full-page images per upload (a page's first change after a checkpoint). */
  walBytes: number
  walFpi: number
  /** Context switches on the machine per upload. */
  switches: number
  /** The load generator's (this process's) CPU seconds per upload, while it sent them. */
  loadCpu: number
  /** The work left (see `behind`) sampled during the run, then at its end. */
  samples: number[]
  drainSeconds: number
  lagging: boolean
}

interface SystemRound {
  ref: Phase
  ours: Phase
  /** The system again, with one webhook on showfloor.lead.created. */
  hooked: Phase & { receiverCpu: number, delivered: number }
}

/**
 * The whole system at show-day rates (contract sections 10 and 13): one app-api process and one
 * worker process, each a process of its own, under the lead-upload load (64 connections, half
 * first uploads, half re-uploads), beside the one-statement reference measured in the same run.
 * The worker must keep up: its backlog (outbox rows not relayed, leads not enriched since their
 * last upload) is sampled during the run and must not grow. Each round measures the system, the
 * reference, then the system with one webhook on lead creation (every first upload, half of them,
 * is also delivered, signed, to a receiver in a process of its own), one after the other on the
 * same show; each ratio is taken within its round, and the median round counts. CPU per upload and
 * per lead come from /proc.
 */
export const systemLoad: Benchmark = {
  name: 'system',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('system')
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    const services: Service[] = []
    const redis = createRedis(redisUrl)
    try {
      await redis.connect()
      // The PostgreSQL server runs on this machine: its postmaster is the parent of every backend.
      const postmaster = parentPid((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(bench.db)).rows[0].pid)
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
      const worker = await start([...startFlags('worker'), 'services/worker/dist/main.js'], 'WORKER_PORT', undefined, { WEBHOOK_ALLOW_PRIVATE: 'true' })
      const receiver = await start(['--import', 'tsx', 'bench/src/receiverProcess.ts'], 'PORT')
      const delivered = async () => ((await (await fetch(`http://127.0.0.1:${receiver.port}/`)).json()) as { arrivals: number }).arrivals

      // The webhook exists from the start, enabled only for the runs that measure it.
      const organizer = (await queries.organizers.findOrganizer(bench.db, 'bench'))!
      const webhook = await queries.webhooks.createWebhook(bench.db, organizer.id, {
        target_url: `http://127.0.0.1:${receiver.port}/hook`, action_types: ['showfloor.lead.created'], enabled: false, secret: 'whsec_' + randomBytes(32).toString('base64')
      }, [])
      const hook = async (enabled: boolean) => { await bench.db.updateTable('webhooks').set({ enabled }).where('id', '=', webhook.id).execute() }

      // Work left: outbox rows, leads not enriched, notifications not fanned out, deliveries pending.
      const behind = async () => total(await backlog(bench.db)) + await webhooksBehind(bench.db)
      const caughtUp = async (timeoutMs: number): Promise<boolean> => {
        const end = Date.now() + timeoutMs
        while (Date.now() < end) {
          if (await behind() === 0) return true
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        return false
      }

      const warm = new Set<Service>()
      /** One measured run of `target` on a reset show, and the worker's work until it caught up. */
      const phase = async (target: Service): Promise<Phase> => {
        await resetShow(bench.db, show)
        const next = uploads(show)
        // Warm-up: JIT, pools, prepared statements, the limiter's record, the worker too.
        if (!warm.has(target)) {
          await warmUp([target.port], next)
          warm.add(target)
        }
        await load([target.port], next, 2)
        if (!await caughtUp(60_000)) throw new Error('the worker did not catch up with the warm-up')
        const workerBefore = cpuSeconds(worker.child.pid!)
        const dbBefore = await databaseCpu(bench.db)
        const serverBefore = treeCpuSeconds(postmaster)
        const redisBefore = await redisCpu(redis)
        const walBefore = await walWritten(bench.db)
        const switchesBefore = contextSwitches()
        const loadBefore = process.cpuUsage()
        const samples: number[] = []
        const sampling = { on: true }
        const sampler = (async () => {
          while (sampling.on) {
            await new Promise((resolve) => setTimeout(resolve, 2000))
            if (sampling.on) samples.push(await behind())
          }
        })()
        const measured = await load([target.port], next, DURATION, undefined, [target.child.pid!])
        const loadUsed = process.cpuUsage(loadBefore)
        sampling.on = false
        await sampler
        samples.push(await behind())
        const loadEnded = Date.now()
        const lagging = !await caughtUp(120_000)
        const drainSeconds = (Date.now() - loadEnded) / 1000
        const database = databaseCpuSince(dbBefore, await databaseCpu(bench.db))
        const walAfter = await walWritten(bench.db)
        const switches = contextSwitches() - switchesBefore
        return {
          load: measured,
          workerCpu: (cpuSeconds(worker.child.pid!) - workerBefore) / measured.requests,
          dbCpu: database.sum / measured.requests,
          dbByApp: new Map([...database.byApp].map(([app, seconds]) => [app, seconds / measured.requests])),
          serverCpu: (treeCpuSeconds(postmaster) - serverBefore) / measured.requests,
          redisCpu: (await redisCpu(redis) - redisBefore) / measured.requests,
          walBytes: (walAfter.bytes - walBefore.bytes) / measured.requests,
          walFpi: (walAfter.fpi - walBefore.fpi) / measured.requests,
          switches: switches / measured.requests,
          loadCpu: (loadUsed.user + loadUsed.system) / 1e6 / measured.requests,
          samples,
          drainSeconds,
          lagging
        }
      }

      const rounds: SystemRound[] = []
      for (let round = 1; round <= ROUNDS; round++) {
        // The reference between the two: each ratio compares runs next to each other, so a machine
        // whose speed drifts (it does, by a fifth within minutes) weighs on both alike.
        console.error(`  round ${round}/${ROUNDS}: app-api with the worker, reference, then app-api with one webhook on showfloor.lead.created`)
        const ours = await phase(app)
        const ref = await phase(reference)
        console.error(`    backlog during the run: ${ours.samples.join(', ')}; caught up ${ours.drainSeconds.toFixed(1)} s after it`)
        await hook(true)
        const receiverBefore = cpuSeconds(receiver.child.pid!)
        const deliveredBefore = await delivered()
        const hookedPhase = await phase(app)
        const hooked = {
          ...hookedPhase,
          receiverCpu: (cpuSeconds(receiver.child.pid!) - receiverBefore) / hookedPhase.load.requests,
          delivered: await delivered() - deliveredBefore
        }
        await hook(false)
        console.error(`    with the webhook: backlog ${hooked.samples.join(', ')}; caught up ${hooked.drainSeconds.toFixed(1)} s after it; ${hooked.delivered} deliveries`)
        rounds.push({ ref, ours, hooked })
      }

      const median = <T>(values: T[], key: (v: T) => number): T => [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)]
      const byThroughput = median(rounds, (r) => r.ours.load.throughput / r.ref.load.throughput)
      const hookedThroughput = median(rounds, (r) => r.hooked.load.throughput / r.ref.load.throughput)
      const appCpu = median(rounds, (r) => r.ours.load.cpuPerRequest! / r.ref.load.cpuPerRequest!)
      const perLead = median(rounds, (r) => r.ours.workerCpu / r.ours.load.cpuPerRequest!)
      const dbCpu = median(rounds, (r) => r.ours.dbCpu / r.ref.dbCpu)
      const hookedWorker = median(rounds, (r) => r.hooked.workerCpu / r.ours.workerCpu)
      const hookedApp = median(rounds, (r) => r.hooked.load.cpuPerRequest! / r.ours.load.cpuPerRequest!)
      const hookedDb = median(rounds, (r) => r.hooked.dbCpu / r.ours.dbCpu)
      const counts = await sql<{ wrong: number }>`
        select count(*)::int as wrong from exhibitors e
        where lead_count <> (select count(*) from leads l where l.exhibitor_id = e.id and l.enriched_at is not null)`.execute(bench.db)
      const heap = await heapOf(app.port)
      const us = (seconds: number) => `${(seconds * 1e6).toFixed(0)} µs`
      const rps = (l: Load) => `${Math.round(l.throughput)}/s`
      const drained = (p: Phase) => p.lagging ? 'no (120 s)' : `${p.drainSeconds.toFixed(1)} s`
      const b = 'system (app-api + worker)'
      const w = 'system, 1 webhook on lead.created'
      // Where every process's CPU per upload went: on a machine the load keeps busy, the sum is what
      // throughput is traded against, the load generator's and the receiver's shares included.
      const spent = (p: Phase, receiver = 0) => p.load.cpuPerRequest! + p.workerCpu + p.serverCpu + p.redisCpu + p.loadCpu + receiver
      // The rounds' ratios in the order they ran: how far one run of the same code strays on this machine.
      const eachRound = (pick: (r: SystemRound) => Phase) => rounds.map((r) => (pick(r).load.throughput / r.ref.load.throughput).toFixed(2)).join(', ')
      const wal = (p: Phase) => `${p.walBytes.toFixed(0)} B, ${p.walFpi.toFixed(2)} images`
      const parts = (p: Phase, service: string, receiver?: number) => {
        const byApp = [...p.dbByApp].filter(([, seconds]) => seconds > 0).map(([app, seconds]) => `${app.replace(/^showfloor-/, '') || 'unnamed'}'s backends ${us(seconds)}`)
        return `${us(spent(p, receiver))}: ${service} ${us(p.load.cpuPerRequest!)}, worker ${us(p.workerCpu)}` +
          `, PostgreSQL ${us(p.serverCpu)} (${[...byApp, `the rest ${us(p.serverCpu - p.dbCpu)}`].join(', ')}), Redis ${us(p.redisCpu)}, load generator ${us(p.loadCpu)}` +
          (receiver === undefined ? '' : `, receiver ${us(receiver)}`)
      }
      return [
        { benchmark: b, metric: 'throughput, worker running (median round; every round\'s ratio)', value: `${rps(byThroughput.ours.load)} (${eachRound((r) => r.ours)})`, reference: rps(byThroughput.ref.load), ratio: ratio(byThroughput.ours.load.throughput, byThroughput.ref.load.throughput), goal: '>= 0.8' },
        { benchmark: b, metric: 'p99, worker running', value: ms(byThroughput.ours.load.p99), reference: ms(byThroughput.ref.load.p99), ratio: ratio(byThroughput.ours.load.p99, byThroughput.ref.load.p99), goal: 'report' },
        { benchmark: b, metric: 'app-api CPU per upload', value: us(appCpu.ours.load.cpuPerRequest!), reference: us(appCpu.ref.load.cpuPerRequest!), ratio: ratio(appCpu.ours.load.cpuPerRequest!, appCpu.ref.load.cpuPerRequest!), goal: 'report' },
        { benchmark: b, metric: 'worker CPU per lead (until caught up)', value: us(perLead.ours.workerCpu), reference: `${us(perLead.ours.load.cpuPerRequest!)} (app-api per upload)`, ratio: ratio(perLead.ours.workerCpu, perLead.ours.load.cpuPerRequest!), goal: '<= 0.25' },
        { benchmark: b, metric: 'PostgreSQL CPU per upload (its backends, from /proc)', value: us(dbCpu.ours.dbCpu), reference: us(dbCpu.ref.dbCpu), ratio: ratio(dbCpu.ours.dbCpu, dbCpu.ref.dbCpu), goal: 'report' },
        { benchmark: b, metric: 'CPU per upload, every process (until caught up)', value: parts(byThroughput.ours, 'app-api'), reference: parts(byThroughput.ref, 'reference'), ratio: ratio(spent(byThroughput.ours), spent(byThroughput.ref)), goal: 'report' },
        { benchmark: b, metric: 'backlog (outbox rows + leads behind), every 2 s', value: rounds.map((r) => r.ours.samples.join(' → ')).join('; '), goal: 'does not grow' },
        { benchmark: b, metric: 'caught up after the load', value: rounds.map((r) => drained(r.ours)).join(', ') },
        { benchmark: w, metric: 'throughput, worker running (median round; every round\'s ratio)', value: `${rps(hookedThroughput.hooked.load)} (${eachRound((r) => r.hooked)})`, reference: rps(hookedThroughput.ref.load), ratio: ratio(hookedThroughput.hooked.load.throughput, hookedThroughput.ref.load.throughput), goal: '>= 0.8' },
        { benchmark: w, metric: 'p99, worker running', value: ms(hookedThroughput.hooked.load.p99), reference: ms(hookedThroughput.ref.load.p99), ratio: ratio(hookedThroughput.hooked.load.p99, hookedThroughput.ref.load.p99), goal: 'report' },
        { benchmark: w, metric: 'worker CPU per upload (until caught up)', value: us(hookedWorker.hooked.workerCpu), reference: `${us(hookedWorker.ours.workerCpu)} (no webhook)`, ratio: ratio(hookedWorker.hooked.workerCpu, hookedWorker.ours.workerCpu), goal: 'report' },
        { benchmark: w, metric: 'app-api CPU per upload', value: us(hookedApp.hooked.load.cpuPerRequest!), reference: `${us(hookedApp.ours.load.cpuPerRequest!)} (no webhook)`, ratio: ratio(hookedApp.hooked.load.cpuPerRequest!, hookedApp.ours.load.cpuPerRequest!), goal: 'report' },
        { benchmark: w, metric: 'PostgreSQL CPU per upload', value: us(hookedDb.hooked.dbCpu), reference: `${us(hookedDb.ours.dbCpu)} (no webhook)`, ratio: ratio(hookedDb.hooked.dbCpu, hookedDb.ours.dbCpu), goal: 'report' },
        { benchmark: w, metric: 'CPU per upload, every process (until caught up)', value: parts(hookedThroughput.hooked, 'app-api', hookedThroughput.hooked.receiverCpu), reference: parts(hookedThroughput.ref, 'reference'), ratio: ratio(spent(hookedThroughput.hooked, hookedThroughput.hooked.receiverCpu), spent(hookedThroughput.ref)), goal: 'report' },
        { benchmark: w, metric: 'WAL per upload (until caught up): bytes, full-page images', value: wal(hookedThroughput.hooked), reference: `${wal(hookedThroughput.ours)} (no webhook); ${wal(hookedThroughput.ref)} (reference)`, ratio: ratio(hookedThroughput.hooked.walBytes, hookedThroughput.ours.walBytes), goal: 'report' },
        { benchmark: w, metric: 'context switches per upload, whole machine (until caught up)', value: hookedThroughput.hooked.switches.toFixed(1), reference: `${hookedThroughput.ours.switches.toFixed(1)} (no webhook); ${hookedThroughput.ref.switches.toFixed(1)} (reference)`, ratio: ratio(hookedThroughput.hooked.switches, hookedThroughput.ours.switches), goal: 'report' },
        { benchmark: w, metric: 'receiver CPU per upload (its own process)', value: rounds.map((r) => us(r.hooked.receiverCpu)).join(', '), goal: 'report' },
        { benchmark: w, metric: 'backlog (outbox rows + leads behind + webhook work), every 2 s', value: rounds.map((r) => r.hooked.samples.join(' → ')).join('; '), goal: 'does not grow' },
        { benchmark: w, metric: 'deliveries caught up after the load (received)', value: rounds.map((r) => `${drained(r.hooked)} (${r.hooked.delivered})`).join(', ') },
        { benchmark: b, metric: 'exhibitors whose lead_count is wrong', value: String(counts.rows[0].wrong), goal: '0' },
        {
          benchmark: b,
          metric: 'peak RSS',
          value: `app-api ${peakRssMb(app.child.pid!).toFixed(0)} MB, worker ${peakRssMb(worker.child.pid!).toFixed(0)} MB`,
          reference: `${peakRssMb(reference.child.pid!).toFixed(0)} MB`,
          goal: '< 150 MB'
        },
        { benchmark: b, metric: 'app-api memory after the runs (its /metrics)', value: heap, goal: 'report' },
        { benchmark: b, metric: 'failed or non-2xx requests', value: String(rounds.reduce((n, r) => n + r.ours.load.errors + r.ours.load.non2xx + r.hooked.load.errors + r.hooked.load.non2xx, 0)), reference: String(rounds.reduce((n, r) => n + r.ref.load.errors + r.ref.load.non2xx, 0)) }
      ]
    } finally {
      await closeRedis(redis)
      for (const s of [...services].reverse()) await s.stop().catch(() => {})
      await removePrefix(redisUrl, prefix)
      await bench.drop()
    }
  }
}

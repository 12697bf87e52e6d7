import autocannon from 'autocannon'
import { sql } from 'kysely'
import type { Db } from '@showfloor/db'
import { benchDatabase, seedShow, type Show } from './seed.js'
import { cpuSeconds, freePort, peakRssMb, startFlags, startService, type Service } from './processes.js'
import { paced, type PacedLoad, type PacedRequest } from './paced.js'
import { ms, ratio, type Benchmark, type Row } from './table.js'

export const ATTENDEES = 100_000
export const EXHIBITORS = 1_000
const CONNECTIONS = 64
export const DURATION = Number(process.env.BENCH_SECONDS ?? 8)
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
// Leads that exist before a run starts: the re-uploads pick among them.
export const WARM = 25_000

export interface Load extends PacedLoad {
  /** CPU seconds per request of the measured processes (from /proc), when they were given. */
  cpuPerRequest?: number
}

/**
 * Half first uploads (a pair of exhibitor and attendee not uploaded yet), half re-uploads of a
 * lead stored before the run: the same sequence for every target.
 */
export function uploads (show: Show) {
  let fresh = 0
  let turn = 0
  return () => {
    turn++
    let exhibitor: number
    let attendee: number
    if (turn % 2 === 0) {
      const i = Math.floor(Math.random() * WARM)
      exhibitor = i % EXHIBITORS
      attendee = i
    } else {
      // Attendees above the warm range, each exhibitor in turn; wraps with a shift so pairs stay new.
      const k = fresh++
      const span = ATTENDEES - WARM
      attendee = WARM + (k % span)
      exhibitor = (k + Math.floor(k / span) * 7) % EXHIBITORS
    }
    return {
      code: show.exhibitors[exhibitor].scanCode,
      body: JSON.stringify({
        code: show.scanCodes[attendee],
        notes: turn % 3 === 0 ? '' : `note ${turn}`,
        scanned: '2026-12-01T10:00:00.000+00:00',
        scan_type: 'lead',
        tags: turn % 4 === 0 ? null : ['hot'],
        rating: turn % 5 === 0 ? null : turn % 6,
        device_name: 'Booth tablet',
        device_uuid: 'd8c2ec53-d602-4a08-882d-db4cf54344a2'
      })
    }
  }
}

/** autocannon's requests: each one the next upload, with its exhibitor's code. */
function uploadRequests (next: () => { code: string, body: string }) {
  return [{
    method: 'POST' as const,
    path: '/exhibitors/api/v1/leads/',
    setupRequest: (req: any) => {
      const u = next()
      return { ...req, headers: { 'content-type': 'application/json', authorization: `Exhibitor ${u.code}` }, body: u.body }
    }
  }]
}

/**
 * One load of the targets on `ports`, `seconds` long: saturated by 64 connections, or at a steady
 * `rate` (see `paced`) when one is given.
 */
export async function load (ports: number[], next: () => { code: string, body: string }, seconds: number, rate?: number, pids: number[] = [], quiet = false): Promise<Load> {
  const cpuBefore = pids.map(cpuSeconds)
  const result = rate === undefined ? await saturated(ports, next, seconds, quiet) : await paced(ports, pacedUploads(next), seconds, rate, CONNECTIONS)
  if (!quiet && rate !== undefined) console.error(`    ${Math.round(result.throughput)}/s (paced at ${rate}/s), p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`)
  const cpu = pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpuBefore[i], 0)
  return { ...result, ...(pids.length > 0 && { cpuPerRequest: cpu / result.requests }) }
}

function pacedUploads (next: () => { code: string, body: string }): () => PacedRequest {
  return () => {
    const u = next()
    return { path: '/exhibitors/api/v1/leads/', headers: { 'content-type': 'application/json', authorization: `Exhibitor ${u.code}` }, body: u.body }
  }
}

/** autocannon's 64 connections, split over the ports, each sending its next request as soon as it has an answer. */
async function saturated (ports: number[], next: () => { code: string, body: string }, seconds: number, quiet: boolean): Promise<Load> {
  const runs = await Promise.all(ports.map(async (port) => await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS / ports.length,
    duration: seconds,
    requests: uploadRequests(next)
  })))
  for (const r of quiet ? [] : runs) {
    const codes = Object.entries((r as any).statusCodeStats ?? {}).map(([code, v]) => `${code}: ${(v as { count: number }).count}`).join(', ')
    console.error(`    ${Math.round(r.requests.average)}/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, timeouts ${r.timeouts} (${codes})`)
  }
  return {
    requests: runs.reduce((n, r) => n + r.requests.total, 0),
    throughput: runs.reduce((n, r) => n + r.requests.average, 0),
    p50: Math.max(...runs.map((r) => r.latency.p50)),
    p99: Math.max(...runs.map((r) => r.latency.p99)),
    errors: runs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0)
  }
}

/**
 * Requests each process gets before its first measurement (BENCH_WARM_REQUESTS): V8 compiles the
 * hot path with its optimizing tier only after thousands of calls, and the limiter learns each
 * exhibitor's code once per process. A warm-up by time gave each of two processes half the
 * requests one process had, so their compiling and learning showed up as CPU per upload.
 */
export const WARM_REQUESTS = Number(process.env.BENCH_WARM_REQUESTS ?? 20_000)

/** Sends `perProcess` uploads to each port, all at once (64 connections in all), unmeasured. */
export async function warmUp (ports: number[], next: () => { code: string, body: string }, perProcess = WARM_REQUESTS): Promise<void> {
  await Promise.all(ports.map(async (port) => await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS / ports.length,
    amount: perProcess,
    requests: uploadRequests(next)
  })))
}

/** Length of one turn of a target when targets are measured in alternation (BENCH_SLICE_SECONDS). */
const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 2)

/** Slices of one target's measurement taken as one: their requests and CPU summed, rates over their time. */
function combine (slices: Load[], seconds: number): Load {
  const requests = slices.reduce((n, l) => n + l.requests, 0)
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return {
    requests,
    throughput: requests / seconds,
    // Latency percentiles of the slices cannot be merged exactly: the median slice's.
    p50: middle(slices.map((l) => l.p50)),
    p99: middle(slices.map((l) => l.p99)),
    errors: slices.reduce((n, l) => n + l.errors, 0),
    non2xx: slices.reduce((n, l) => n + l.non2xx, 0),
    ...(slices[0].cpuPerRequest !== undefined && { cpuPerRequest: slices.reduce((sum, l) => sum + l.cpuPerRequest! * l.requests, 0) / requests })
  }
}

/**
 * Saturated loads of several targets (each a list of processes sharing the load) measured in
 * alternation, `seconds` each in turns of SLICE_SECONDS: A B C A B C ..., one upload sequence for
 * all. A machine whose other load comes and goes (another process, PostgreSQL's background work, a
 * neighbour's job) then weighs on every target alike, which measuring each in one stretch did not:
 * the same target's CPU per upload differed by a fifth from one stretch to the next. With a `rate`,
 * each turn is paced at it (see `paced`): a stall of the machine (a checkpoint's writes, a neighbour)
 * of a few hundred milliseconds then sets one turn's p99, not the whole measurement of one target.
 */
export async function alternating (groups: Service[][], next: () => { code: string, body: string }, seconds: number, rate?: number): Promise<Load[]> {
  const slices: Load[][] = groups.map(() => [])
  const turns = Math.max(1, Math.round(seconds / SLICE_SECONDS))
  for (const targets of groups) await load(targets.map((s) => s.port), next, 1, rate, [], true)
  for (let turn = 0; turn < turns; turn++) {
    for (const [i, targets] of groups.entries()) {
      slices[i].push(await load(targets.map((s) => s.port), next, SLICE_SECONDS, rate, targets.map((s) => s.child.pid!), true))
    }
  }
  return slices.map((list) => combine(list, turns * SLICE_SECONDS))
}

export async function resetLeads (db: Db, show: Show): Promise<void> {
  // Requests of the last run may still be finishing on the server side.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await sql`truncate leads, outbox restart identity`.execute(db)
  await sql`
    insert into leads (exhibitor_id, position_id, rating, tags, notes, scanned)
    select e.id, op.id, 3, '["warm"]'::jsonb, 'seeded', now()
    from generate_series(0, ${WARM - 1}) g
    join order_positions op on op.event_id = ${show.eventId} and op.pseudonymization_id = 'P' || lpad((g + 1)::text, 9, '0')
    join exhibitors e on e.id = (${sql.raw(`array[${show.exhibitors.map((x) => x.id).join(',')}]`)})[(g % ${EXHIBITORS}) + 1]
    on conflict do nothing`.execute(db)
  await sql`vacuum analyze leads`.execute(db)
}

export const leadUpload: Benchmark = {
  name: 'lead-upload',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('leads')
    const services: Service[] = []
    try {
      console.error(`  seeding ${ATTENDEES} attendees and ${EXHIBITORS} exhibitors`)
      const show = await seedShow(bench.db, ATTENDEES, EXHIBITORS)
      const env = { DATABASE_URL: bench.url, LOG_LEVEL: 'warn', REDIS_PREFIX: `bench-${bench.name}` }
      const startApp = async (poolSize = 10) => {
        const port = await freePort()
        const service = await startService([...startFlags('app-api'), 'services/app-api/dist/server.js'], { ...env, APP_API_PORT: String(port), HOST: '127.0.0.1', DATABASE_POOL_SIZE: String(poolSize) }, port)
        services.push(service)
        return service
      }
      const startReference = async (poolSize = 10) => {
        const port = await freePort()
        const service = await startService(['--conditions=@showfloor/source', '--import', 'tsx', 'bench/src/reference.ts'], { ...env, PORT: String(port), DATABASE_POOL_SIZE: String(poolSize) }, port, '/exhibitors/api/v1/leads/')
        services.push(service)
        return service
      }
      // Each process is warmed up with the same number of requests before its first measurement
      // (its JIT, pool, prepared statements, the limiter's record).
      const warm = new Set<Service>()
      const ensureWarm = async (targets: Service[]) => {
        if (targets.every((s) => warm.has(s))) return
        await warmUp(targets.map((s) => s.port), uploads(show))
        for (const s of targets) warm.add(s)
      }
      // All targets are up at once (an idle process costs nothing) and measured in alternation
      // (see `alternating`), several rounds; the median round counts.
      const reference = await startReference()
      const app = await startApp()
      // Two processes share the database connections one process had (5 each), as an operator
      // would size them: the database, not the pool, is what they share.
      const pairPool = Number(process.env.BENCH_PAIR_POOL ?? 5)
      const pair = [await startApp(pairPool), await startApp(pairPool)]
      // The same pair of the reference: what a second process costs on this machine whatever it runs
      // (cores shared with PostgreSQL and the load generator, caches shared by two processes).
      const refPair = [await startReference(pairPool), await startReference(pairPool)]
      const rounds: Array<{ ref: Load, ours: Load, two: Load, refTwo: Load }> = []
      for (let round = 1; round <= ROUNDS; round++) {
        console.error(`  round ${round}/${ROUNDS}: reference, one app-api, two app-api, two references, saturated, in turns of ${SLICE_SECONDS} s`)
        for (const targets of [[reference], [app], pair, refPair]) await ensureWarm(targets)
        await resetLeads(bench.db, show)
        const [ref, ours, two, refTwo] = await alternating([[reference], [app], pair, refPair], uploads(show), DURATION)
        for (const [name, l] of [['reference', ref], ['one app-api', ours], ['two app-api', two], ['two references', refTwo]] as const) {
          console.error(`    ${name}: ${Math.round(l.throughput)}/s, CPU ${((l.cpuPerRequest ?? 0) * 1e6).toFixed(0)} µs per upload, p99 ${l.p99} ms (median turn), non-2xx ${l.non2xx}`)
        }
        rounds.push({ ref, ours, two, refTwo })
      }
      const median = (pick: (r: typeof rounds[number]) => Load) => [...rounds].map(pick).sort((a, b) => a.throughput - b.throughput)[Math.floor(rounds.length / 2)]
      const ref = median((r) => r.ref)
      const ours = median((r) => r.ours)
      const two = median((r) => r.two)
      const half = Math.round(ref.throughput / 2)
      console.error(`  reference, one app-api, two app-api, each at ${half} uploads/s (paced), in turns of ${SLICE_SECONDS} s`)
      await resetLeads(bench.db, show)
      // Two processes at the same steady rate, split between them: reported, not held to the
      // saturated load's 1.1. Below saturation each process goes idle between requests, and the CPU
      // a wake-up costs (the machine's, not the code's) is shared by half as many requests.
      const [refHalf, oursHalf, twoHalf] = await alternating([[reference], [app], pair], uploads(show), DURATION, half)
      for (const [name, l] of [['reference', refHalf], ['one app-api', oursHalf], ['two app-api', twoHalf]] as const) {
        console.error(`    ${name}: ${Math.round(l.throughput)}/s, CPU ${((l.cpuPerRequest ?? 0) * 1e6).toFixed(0)} µs per upload, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms (median turn), non-2xx ${l.non2xx}`)
      }
      const oursRss = peakRssMb(app.child.pid!)
      const twoRss = Math.max(...pair.map((s) => peakRssMb(s.child.pid!)))

      const stored = await bench.db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      const failed = (runs: Load[]) => String(runs.reduce((n, l) => n + l.errors + l.non2xx, 0))
      const rps = (l: Load) => `${Math.round(l.throughput)}/s`
      const us = (l: Load) => `${((l.cpuPerRequest ?? 0) * 1e6).toFixed(0)} µs`
      // CPU per upload: the median over the rounds, each process's own.
      const cpu = (pick: (r: typeof rounds[number]) => Load) => {
        const sorted = rounds.map(pick).sort((a, b) => (a.cpuPerRequest ?? 0) - (b.cpuPerRequest ?? 0))
        return sorted[Math.floor(sorted.length / 2)]
      }
      return [
        { benchmark: 'lead upload (64 conn)', metric: 'throughput, 1 app-api', value: rps(ours), reference: rps(ref), ratio: ratio(ours.throughput, ref.throughput), goal: '>= 0.9' },
        { benchmark: 'lead upload (64 conn)', metric: 'CPU per upload, 1 app-api', value: us(cpu((r) => r.ours)), reference: us(cpu((r) => r.ref)), ratio: ratio(cpu((r) => r.ours).cpuPerRequest!, cpu((r) => r.ref).cpuPerRequest!), goal: '<= 1.25' },
        { benchmark: 'lead upload (64 conn)', metric: 'CPU per upload, 2 app-api (summed)', value: us(cpu((r) => r.two)), reference: us(cpu((r) => r.ours)), ratio: ratio(cpu((r) => r.two).cpuPerRequest!, cpu((r) => r.ours).cpuPerRequest!), goal: '<= 1.1 (vs one)' },
        { benchmark: 'lead upload (64 conn)', metric: 'CPU per upload, 2 references (summed): the machine\'s own cost of a second process', value: us(cpu((r) => r.refTwo)), reference: `${us(cpu((r) => r.ref))} (1 reference)`, ratio: ratio(cpu((r) => r.refTwo).cpuPerRequest!, cpu((r) => r.ref).cpuPerRequest!), goal: 'report' },
        { benchmark: 'lead upload (64 conn)', metric: `CPU per upload at ${half}/s (paced), 2 app-api (summed)`, value: us(twoHalf), reference: `${us(oursHalf)} (1 app-api)`, ratio: ratio(twoHalf.cpuPerRequest!, oursHalf.cpuPerRequest!), goal: 'report' },
        { benchmark: 'lead upload (64 conn)', metric: 'p50 saturated', value: ms(ours.p50), reference: ms(ref.p50), ratio: ratio(ours.p50, ref.p50) },
        { benchmark: 'lead upload (64 conn)', metric: 'p99 saturated', value: ms(ours.p99), reference: ms(ref.p99), ratio: ratio(ours.p99, ref.p99) },
        { benchmark: 'lead upload (64 conn)', metric: `p99 at ${half}/s (half ref., paced, median turn)`, value: ms(oursHalf.p99), reference: ms(refHalf.p99), ratio: ratio(oursHalf.p99, refHalf.p99), goal: '<= 2' },
        { benchmark: 'lead upload (64 conn)', metric: 'throughput, 2 app-api', value: rps(two), reference: rps(ours), ratio: ratio(two.throughput, ours.throughput), goal: '>= 1 (vs one)' },
        { benchmark: 'lead upload (64 conn)', metric: 'peak RSS per app-api', value: `${oursRss.toFixed(0)} MB (two: ${twoRss.toFixed(0)} MB each)`, goal: '< 150 MB' },
        { benchmark: 'lead upload (64 conn)', metric: 'failed or non-2xx requests', value: failed([...rounds.flatMap((r) => [r.ours, r.two]), oursHalf, twoHalf]), reference: failed([...rounds.flatMap((r) => [r.ref, r.refTwo]), refHalf]) },
        { benchmark: 'lead upload (64 conn)', metric: 'leads stored after the last run', value: String(stored.n) }
      ]
    } finally {
      for (const s of services) await s.stop().catch(() => {})
      await bench.drop()
    }
  }
}

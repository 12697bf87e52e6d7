import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { queries } from '@showfloor/db'
import { removePrefix } from '@showfloor/db/testing'
import { benchDatabase, seedShow } from './seed.js'
import { freePort, peakRssMb, startFlags, startService, type Service } from './processes.js'
import { ratio, type Benchmark, type Row } from './table.js'

const LEADS = 100_000
const EXHIBITORS = 100
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** CPU time (user + system) a process used so far, in seconds (Linux, clock ticks of 1/100 s). */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Current resident set size of a process, in MB (Linux). */
function rssMb (pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  return kb / 1024
}

/**
 * `exhibitor_leads` of 100,000 leads (100 exhibitors of one event), CSV and XLSX: the time from the
 * run request to the 200 of its download URL (polled every 100 ms, the file fetched whole), with
 * the admin API and the worker each a process of its own, as in production. Beside it, the
 * worker's CPU time and peak memory meanwhile, and a reference from the same run: the same rows
 * read in one statement straight from PostgreSQL (no pages, no file).
 */
export const exporters: Benchmark = {
  name: 'exporters',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('exporters')
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    const services: Service[] = []
    try {
      console.error(`  seeding ${LEADS} attendees with a lead each, over ${EXHIBITORS} exhibitors`)
      const show = await seedShow(bench.db, LEADS, EXHIBITORS)
      await sql`update exhibitors set booth = 'Hall ' || (id % 5) || ' / ' || id, internal_id = 'EX-' || id`.execute(bench.db)
      await sql`update exhibitor_settings set lead_fields = '["attendee_name","attendee_email","company","order_code"]'::jsonb`.execute(bench.db)
      await sql`update events set timezone = 'Europe/Berlin'`.execute(bench.db)
      await sql`
        with ex as (select id, row_number() over (order by id) - 1 as k from exhibitors),
             pos as (select id, row_number() over (order by id) - 1 as k from order_positions)
        insert into leads (exhibitor_id, position_id, rating, tags, notes, device_name, scanned, first_upload, last_upload)
        select ex.id, pos.id, pos.k % 6, case when pos.k % 3 = 0 then '["hot","follow up"]'::jsonb else '[]'::jsonb end,
               'Asked about pricing for ' || pos.k || ' seats, call back next week', 'Booth phone ' || (pos.k % 3),
               now() - (pos.k || ' seconds')::interval, now() - (pos.k || ' seconds')::interval, now()
        from pos join ex on ex.k = pos.k % ${EXHIBITORS}`.execute(bench.db)
      await sql`vacuum analyze`.execute(bench.db)
      const organizer = (await queries.organizers.findOrganizer(bench.db, 'bench'))!
      const team = await queries.tokens.upsertTeam(bench.db, { organizerId: organizer.id, name: 'bench', allEvents: true, eventIds: [], permissions: ['can_view_orders'] })
      const token = await queries.tokens.createToken(bench.db, team.id)

      // Reference: every lead with its attendee, order and item, in one statement.
      let started = performance.now()
      const all = await sql`
        select l.*, p.attendee_name_parts, p.attendee_email, p.company, o.code, o.email, i.name
        from leads l join exhibitors e on e.id = l.exhibitor_id join order_positions p on p.id = l.position_id
        join orders o on o.id = p.order_id join items i on i.id = p.item_id
        where e.event_id = ${show.eventId} order by l.exhibitor_id, l.first_upload, l.id`.execute(bench.db)
      const referenceSeconds = (performance.now() - started) / 1000
      if (all.rows.length !== LEADS) throw new Error(`the reference read ${all.rows.length} leads`)

      const adminPort = await freePort()
      services.push(await startService(['services/admin-api/dist/server.js'], {
        DATABASE_URL: bench.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', ADMIN_API_PORT: String(adminPort), HOST: '127.0.0.1'
      }, adminPort))
      const workerPort = await freePort()
      const worker = await startService([...startFlags('worker'), 'services/worker/dist/main.js'], {
        DATABASE_URL: bench.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', WORKER_PORT: String(workerPort), HOST: '127.0.0.1'
      }, workerPort)
      services.push(worker)
      const pid = worker.child.pid!

      const base = `http://127.0.0.1:${adminPort}/api/v1/organizers/bench/events/benchcon/exporters`
      const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' }
      /** Run to 200: seconds, the file, and the worker's CPU seconds and largest RSS meanwhile. */
      const exportOnce = async (identifier: string, format: string) => {
        const cpuBefore = cpuSeconds(pid)
        let rss = rssMb(pid)
        const start = performance.now()
        const res = await fetch(`${base}/${identifier}/run/`, { method: 'POST', headers, body: JSON.stringify({ _format: format }) })
        if (res.status !== 202) throw new Error(`run: HTTP ${res.status} ${await res.text()}`)
        const { download } = await res.json() as { download: string }
        for (;;) {
          const got = await fetch(download, { headers })
          rss = Math.max(rss, rssMb(pid))
          if (got.status === 200) {
            const file = Buffer.from(await got.arrayBuffer())
            return { seconds: (performance.now() - start) / 1000, file, cpu: cpuSeconds(pid) - cpuBefore, rss }
          }
          await got.arrayBuffer()
          if (got.status !== 409) throw new Error(`download: HTTP ${got.status}`)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }

      await exportOnce('exhibitor_list', 'csv') // warm-up: connections, JIT
      const rssIdle = rssMb(pid)
      started = performance.now()
      const csv = await exportOnce('exhibitor_leads', 'csv')
      const lines = csv.file.toString('utf8').split('\r\n').length - 1
      if (lines !== LEADS + 1) throw new Error(`the CSV has ${lines} lines`)
      const xlsx = await exportOnce('exhibitor_leads', 'xlsx')
      if (xlsx.file.subarray(0, 2).toString() !== 'PK') throw new Error('the XLSX is no zip file')
      const peak = peakRssMb(pid)

      const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
      return [
        { benchmark: 'exporters (100k leads)', metric: `exhibitor_leads CSV: run → 200 (${mb(csv.file.length)}; worker CPU ${csv.cpu.toFixed(1)} s, RSS up to ${csv.rss.toFixed(0)} MB)`, value: `${csv.seconds.toFixed(2)} s`, reference: `${referenceSeconds.toFixed(2)} s (rows in one select)`, ratio: ratio(csv.seconds, referenceSeconds), goal: '< 8 s' },
        { benchmark: 'exporters (100k leads)', metric: `exhibitor_leads XLSX: run → 200 (${mb(xlsx.file.length)}; worker CPU ${xlsx.cpu.toFixed(1)} s, RSS up to ${xlsx.rss.toFixed(0)} MB)`, value: `${xlsx.seconds.toFixed(2)} s`, reference: `${referenceSeconds.toFixed(2)} s (rows in one select)`, ratio: ratio(xlsx.seconds, referenceSeconds), goal: '< 20 s' },
        { benchmark: 'exporters (100k leads)', metric: 'worker peak RSS (VmHWM) over both', value: `${peak.toFixed(0)} MB`, reference: `${rssIdle.toFixed(0)} MB (after warm-up)`, goal: 'flat: no growth with the number of leads' }
      ]
    } finally {
      for (const service of services.reverse()) await service.stop().catch(() => {})
      await removePrefix(redisUrl, prefix)
      await bench.drop()
    }
  }
}

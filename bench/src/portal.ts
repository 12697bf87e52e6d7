import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import pg from 'pg'
import { benchDatabase, seedShow } from './seed.js'
import { freePort, peakRssMb, startService, type Service } from './processes.js'
import { ms, ratio, type Benchmark, type Row } from './table.js'

const LEADS = 100_000

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A browser's cookie jar, enough for the portal's session and CSRF cookies. */
class Jar {
  private readonly cookies = new Map<string, string>()
  take (res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair.indexOf('=')
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }

  get header (): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
}

async function timed (fn: () => Promise<Response>): Promise<{ ms: number, bytes: number }> {
  const start = process.hrtime.bigint()
  const res = await fn()
  const body = await res.arrayBuffer()
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, bytes: body.byteLength }
}

/**
 * The exhibitor web area's budgets (contract section 11) with 100,000 leads for one exhibitor: the
 * leads page (p50 of the first page and of random pages, beside the login page, a page that reads
 * no lead, as reference), the CSV and XLSX exports of all of them, and the portal process's peak
 * RSS meanwhile, with its CPU time per export from /proc.
 */
export const portal: Benchmark = {
  name: 'portal',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('portal')
    let service: Service | undefined
    try {
      console.error(`  seeding ${LEADS} attendees and leads of one exhibitor`)
      const show = await seedShow(bench.db, LEADS, 2)
      const exhibitor = show.exhibitors[0]
      await sql`update exhibitor_settings set lead_fields = '["attendee_name","attendee_email","company","city","order_code"]'::jsonb, lead_tags = '["hot","cold","vip"]'::jsonb`.execute(bench.db)
      await sql`
        insert into leads (exhibitor_id, position_id, rating, tags, notes, device_name, device_uuid, scanned, first_upload, last_upload)
        select ${exhibitor.id}, op.id, case when op.id % 7 = 0 then null else op.id % 6 end,
               case op.id % 3 when 0 then '["hot"]'::jsonb when 1 then '["cold","vip"]'::jsonb else '[]'::jsonb end,
               'Met at the booth, lead number ' || op.id, 'Device ' || (op.id % 8), null,
               timestamptz '2026-12-01 09:00+00' + (op.id || ' seconds')::interval,
               now() - (op.id || ' seconds')::interval, now() - (op.id || ' seconds')::interval
        from order_positions op where op.event_id = ${show.eventId}`.execute(bench.db)
      await sql`vacuum analyze`.execute(bench.db)

      const port = await freePort()
      // As `pnpm start` and docker-compose run it: a 128 MB heap, so an export's garbage goes early.
      service = await startService(['--max-old-space-size=128', 'services/portal/dist/server.js'], {
        DATABASE_URL: bench.url,
        LOG_LEVEL: 'warn',
        PORTAL_PORT: String(port),
        HOST: '127.0.0.1',
        PORTAL_SECRET: randomBytes(32).toString('hex'),
        REDIS_PREFIX: `bench_portal_${randomBytes(3).toString('hex')}`
      }, port)
      const pid = service.child.pid!
      const base = `http://127.0.0.1:${port}`
      const jar = new Jar()
      const loginPage = await fetch(`${base}/`)
      jar.take(loginPage)
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]
      const login = await fetch(`${base}/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, access_code: exhibitor.accessCode }).toString()
      })
      if (login.status !== 303) throw new Error(`login answered ${login.status}`)
      jar.take(login)
      const get = (path: string, cookie = true) => async () => await fetch(base + path, { headers: cookie ? { cookie: jar.header } : {} })

      const pages = Math.ceil(LEADS / 50)
      for (let i = 0; i < 20; i++) { await timed(get('/leads/')); await timed(get('/', false)) } // warm-up
      const first: number[] = []
      const random: number[] = []
      const reference: number[] = []
      for (let i = 0; i < 200; i++) {
        first.push((await timed(get('/leads/'))).ms)
        random.push((await timed(get(`/leads/?page=${1 + Math.floor(Math.random() * pages)}`))).ms)
        reference.push((await timed(get('/', false))).ms)
      }
      const search: number[] = []
      for (let i = 0; i < 20; i++) search.push((await timed(get(`/leads/?q=Family${1000 + i}&tag=hot`))).ms)
      const rssBeforeExports = peakRssMb(pid)

      const exportForm = async (format: 'csv' | 'xlsx') => {
        const page = await fetch(`${base}/leads/`, { headers: { cookie: jar.header } })
        jar.take(page)
        const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]
        const cpuBefore = cpuSeconds(pid)
        const result = await timed(async () => await fetch(`${base}/leads/export`, {
          method: 'POST',
          headers: { cookie: jar.header, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: token, format }).toString()
        }))
        return { ...result, cpu: cpuSeconds(pid) - cpuBefore }
      }
      // Reference: the same rows and columns read by one plain query in this process and joined
      // into CSV text by hand, no streaming, no formula guard, no time zone: what the hardware
      // and PostgreSQL allow at the least, measured on the same (possibly busy) machine.
      const referenceExport = async () => {
        const start = process.hrtime.bigint()
        const client = new pg.Client({ connectionString: bench.url })
        await client.connect()
        const { rows } = await client.query({
          text: `select p.attendee_name, coalesce(p.attendee_email, o.email) as email, p.company, p.city, o.code, l.rating, l.tags::text as tags,
                        l.notes, l.device_name, l.scanned, l.last_upload
                 from leads l join order_positions p on p.id = l.position_id join orders o on o.id = p.order_id
                 where l.exhibitor_id = $1 order by l.first_upload desc, l.id desc`,
          values: [exhibitor.id],
          rowMode: 'array'
        })
        await client.end()
        const quote = (v: unknown) => { const text = v instanceof Date ? v.toISOString() : String(v ?? ''); return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text }
        let bytes = 0
        for (const row of rows as unknown[][]) bytes += row.map(quote).join(',').length + 2
        return { ms: Number(process.hrtime.bigint() - start) / 1e6, bytes }
      }
      const ref = await referenceExport()
      const csv = await exportForm('csv')
      const rssAfterCsv = peakRssMb(pid)
      const xlsx = await exportForm('xlsx')
      const rssAfterXlsx = peakRssMb(pid)

      const p50 = percentile(first, 50)
      const ref50 = percentile(reference, 50)
      const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
      return [
        { benchmark: 'portal leads page (100k leads)', metric: 'p50, first page', value: ms(p50), reference: ms(ref50) + ' (login page)', ratio: ratio(p50, ref50), goal: '< 50 ms' },
        { benchmark: 'portal leads page (100k leads)', metric: 'p99, first page', value: ms(percentile(first, 99)) },
        { benchmark: 'portal leads page (100k leads)', metric: 'p50, random page of 50', value: ms(percentile(random, 50)), reference: ms(ref50) + ' (login page)', ratio: ratio(percentile(random, 50), ref50), goal: '< 50 ms' },
        { benchmark: 'portal leads page (100k leads)', metric: 'p50, search + tag filter', value: ms(percentile(search, 50)) },
        { benchmark: 'portal export (100k leads)', metric: `CSV, ${mb(csv.bytes)}`, value: ms(csv.ms), reference: ms(ref.ms) + ' (one query, CSV by hand)', ratio: ratio(csv.ms, ref.ms), goal: '< 5000 ms' },
        { benchmark: 'portal export (100k leads)', metric: 'CSV, portal CPU time', value: ms(csv.cpu * 1000) },
        { benchmark: 'portal export (100k leads)', metric: `XLSX, ${mb(xlsx.bytes)}`, value: ms(xlsx.ms), reference: ms(ref.ms) + ' (one query, CSV by hand)', ratio: ratio(xlsx.ms, ref.ms), goal: '< 15000 ms' },
        { benchmark: 'portal export (100k leads)', metric: 'XLSX, portal CPU time', value: ms(xlsx.cpu * 1000) },
        { benchmark: 'portal process', metric: 'peak RSS: pages / after CSV / after XLSX', value: `${rssBeforeExports.toFixed(0)} / ${rssAfterCsv.toFixed(0)} / ${rssAfterXlsx.toFixed(0)} MB`, goal: '< 200 MB' }
      ]
    } finally {
      await service?.stop().catch(() => {})
      await bench.drop()
    }
  }
}

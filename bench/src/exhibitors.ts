import { sql } from 'kysely'
import { generateVoucherCode, queries } from '@showfloor/db'
import { benchDatabase, seedShow } from './seed.js'
import { freePort, startService, type Service } from './processes.js'
import { ms, ratio, type Benchmark, type Row } from './table.js'

const LEADS = 100_000
const VOUCHERS = 10_000

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function timed (fn: () => Promise<Response>): Promise<number> {
  const start = process.hrtime.bigint()
  const res = await fn()
  await res.arrayBuffer()
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * The admin side's two budgets: a page of 50 leads of an exhibitor with 100,000 leads stored, and
 * bulk_attach of 10,000 vouchers. Each is set beside a reference in the same run: the events list
 * (a trivial authenticated page) for the leads page, and the same 10,000 vouchers created by
 * batch_create for bulk_attach.
 */
export const exhibitorsAdmin: Benchmark = {
  name: 'exhibitors-admin',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('admin')
    let service: Service | undefined
    try {
      console.error(`  seeding ${LEADS} attendees and leads of one exhibitor`)
      const show = await seedShow(bench.db, LEADS, 2)
      const exhibitor = show.exhibitors[0].id
      await sql`
        insert into leads (exhibitor_id, position_id, rating, tags, notes, scanned, first_upload)
        select ${exhibitor}, op.id, 3, '["hot"]'::jsonb, 'seeded', now(), now() - (op.id || ' seconds')::interval
        from order_positions op where op.event_id = ${show.eventId}`.execute(bench.db)
      await sql`vacuum analyze`.execute(bench.db)
      const team = await queries.tokens.upsertTeam(bench.db, { organizerId: (await queries.organizers.findOrganizer(bench.db, 'bench'))!.id, name: 'bench', allEvents: true, eventIds: [], permissions: queries.tokens.TEAM_PERMISSIONS })
      const token = await queries.tokens.createToken(bench.db, team.id)

      const port = await freePort()
      service = await startService(['services/admin-api/dist/server.js'], { DATABASE_URL: bench.url, LOG_LEVEL: 'warn', ADMIN_API_PORT: String(port), HOST: '127.0.0.1' }, port)
      const base = `http://127.0.0.1:${port}/api/v1/organizers/bench/events`
      const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' }
      const get = (path: string) => async () => await fetch(base + path, { headers })

      const pages = Math.ceil(LEADS / 50)
      const leadTimes: number[] = []
      const refTimes: number[] = []
      for (let i = 0; i < 20; i++) { await timed(get(`/benchcon/exhibitors/${exhibitor}/leads/`)); await timed(get('/')) } // warm-up
      for (let i = 0; i < 200; i++) {
        const page = 1 + Math.floor(Math.random() * pages)
        leadTimes.push(await timed(get(`/benchcon/exhibitors/${exhibitor}/leads/?page=${page}`)))
        refTimes.push(await timed(get('/')))
      }
      const first = []
      for (let i = 0; i < 50; i++) first.push(await timed(get(`/benchcon/exhibitors/${exhibitor}/leads/`)))

      const codes = Array.from({ length: VOUCHERS }, () => generateVoucherCode())
      const batch = JSON.stringify(codes.map((code) => ({ code, max_usages: 1 })))
      const batchMs = await timed(async () => await fetch(`${base}/benchcon/vouchers/batch_create/`, { method: 'POST', headers, body: batch }))
      const attach = JSON.stringify(codes.map((code) => ({ code, exhibitor_comment: 'Free ticket' })))
      const attachMs = await timed(async () => await fetch(`${base}/benchcon/exhibitors/${exhibitor}/vouchers/bulk_attach/`, { method: 'POST', headers, body: attach }))
      const moveMs = await timed(async () => await fetch(`${base}/benchcon/exhibitors/${show.exhibitors[1].id}/vouchers/bulk_attach/`, { method: 'POST', headers, body: attach }))

      const p50 = percentile(leadTimes, 50)
      return [
        { benchmark: 'admin leads list (100k leads)', metric: 'p50, random page of 50', value: ms(p50), reference: ms(percentile(refTimes, 50)) + ' (events list)', ratio: ratio(p50, percentile(refTimes, 50)), goal: '< 20 ms' },
        { benchmark: 'admin leads list (100k leads)', metric: 'p99, random page of 50', value: ms(percentile(leadTimes, 99)), reference: ms(percentile(refTimes, 99)) },
        { benchmark: 'admin leads list (100k leads)', metric: 'p50, first page', value: ms(percentile(first, 50)), goal: '< 20 ms' },
        { benchmark: 'bulk_attach 10,000 vouchers', metric: 'attach by code', value: ms(attachMs), reference: ms(batchMs) + ' (batch_create)', ratio: ratio(attachMs, batchMs), goal: '< 2000 ms' },
        { benchmark: 'bulk_attach 10,000 vouchers', metric: 'move to another exhibitor', value: ms(moveMs), goal: '< 2000 ms' }
      ]
    } finally {
      await service?.stop().catch(() => {})
      await bench.drop()
    }
  }
}

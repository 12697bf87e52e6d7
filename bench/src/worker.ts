import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { createDb, queries } from '@showfloor/db'
import { removePrefix as removeKeys, startSmtpSink } from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { benchDatabase, seedShow } from './seed.js'
import { ratio, type Benchmark, type Row } from './table.js'

import * as worker from '@showfloor/worker'
import { RedisOutageLog, createProducerRedis, createProducers } from '@showfloor/queue'

type Closable = worker.Closable
const removePrefix = async (prefix: string): Promise<void> => { await removeKeys(redisUrl, prefix) }

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const noop = () => {}
const log = { level: 'silent', fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop, child: () => log }

const MAILS = Number(process.env.BENCH_MAILS ?? 2000)
const BACKLOG = 10_000
const EXHIBITORS = 100
/** The worker's email concurrency, given to the reference too. */
const MAIL_CONCURRENCY = 8
/** The worker's enrichment concurrency, given to the reference too. */
const ENRICH_CONCURRENCY = 16
/** The outbox relay's batch size: the rows of one relayed batch become one enrichment job. */
const RELAY_BATCH = 500

async function until (check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('the benchmark did not finish in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Runs `work` over the items with `concurrency` of them in flight. */
async function pool<T> (items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++])
  }))
}

async function closeAll (closables: Closable[]): Promise<void> {
  for (const closable of [...closables].reverse()) await closable.close()
}

/**
 * Access-code mails per second through the whole path (a mail request row, a BullMQ job, the
 * worker's claim, render, SMTP delivery to a local sink, the row marked sent), against nodemailer
 * sending the same rendered messages directly over the same pooled transport, with as many in
 * flight as the worker runs at once.
 */
export const workerEmail: Benchmark = {
  name: 'worker-email',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('email')
    const db = createDb(bench.url, { max: 10 })
    const sink = await startSmtpSink({ countOnly: true })
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    const producer = createProducerRedis(redisUrl)
    const queues = createProducers(producer, prefix, new RedisOutageLog(log, 'the benchmark waits'))
    let running: { closables: Closable[] } | null = null
    try {
      await seedShow(db, 10, EXHIBITORS)
      await sql`update exhibitors set contact_email = 'exhibitor' || id || '@example.com', contact_cc_email = 'booth' || id || '@example.com'`.execute(db)
      const exhibitors = (await db.selectFrom('exhibitors').select('id').orderBy('id').execute()).map((e) => e.id)
      const requests = async (count: number) => {
        const ids: string[] = []
        for (let i = 0; i < count; i++) ids.push(await queries.mailRequests.createMailRequest(db, exhibitors[i % exhibitors.length], 600_000))
        return ids
      }
      const from = 'bench@example.com'

      // Reference: the same messages, rendered from the same rows, handed to nodemailer directly.
      const mailer = worker.createMailer({ smtpUrl: sink.url, mailDir: '', timeoutMs: 5000, log })
      const referenceIds = await requests(MAILS + 100)
      const data = await Promise.all(referenceIds.map(async (id) => (await queries.mailRequests.loadAccessCodeMail(db, id))!))
      const send = async (d: NonNullable<Awaited<ReturnType<typeof queries.mailRequests.loadAccessCodeMail>>>) => {
        await mailer.send({ from, to: d.contact_email!, cc: worker.ccAddresses(d.contact_cc_email), ...worker.renderAccessCodeMail(d, 'https://app.example.com') })
      }
      await pool(data.slice(0, 100), MAIL_CONCURRENCY, send) // warm-up: connections, JIT
      let started = performance.now()
      await pool(data.slice(100), MAIL_CONCURRENCY, send)
      const referenceRate = MAILS / ((performance.now() - started) / 1000)
      await mailer.close()

      // The worker: jobs added in bulk, as many requests arriving at once.
      running = worker.startWorkers({
        db,
        redisUrl,
        prefix,
        log,
        mail: { smtpUrl: sink.url, mailDir: '', from, appUrl: 'https://app.example.com', sendTimeoutMs: 5000 },
        relay: false
      })
      await until(async () => producer.status === 'ready', 5000)
      const enqueue = async (ids: string[]) => {
        for (let i = 0; i < ids.length; i += 500) {
          await queues[QUEUES.email].addBulk(ids.slice(i, i + 500).map((id) => ({ name: JOBS.accessCodeEmail, data: { mail_request_id: id }, opts: { jobId: id } })))
        }
      }
      const sent = async () => Number((await db.selectFrom('mail_requests').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'sent').executeTakeFirstOrThrow()).n)
      const warm = await requests(100)
      await enqueue(warm)
      await until(async () => (await sent()) === 100, 60_000)
      const ids = await requests(MAILS)
      started = performance.now()
      await enqueue(ids)
      await until(async () => (await sent()) === 100 + MAILS, 300_000)
      const workerRate = MAILS / ((performance.now() - started) / 1000)
      const delivered = sink.messages.length
      if (delivered !== 2 * (MAILS + 100)) throw new Error(`the sink received ${delivered} messages, expected ${2 * (MAILS + 100)}`)

      return [{
        benchmark: 'worker-email',
        metric: `access-code mails/s (${MAILS}, SMTP sink, ${MAIL_CONCURRENCY} at once)`,
        value: workerRate.toFixed(0),
        reference: `${referenceRate.toFixed(0)} (nodemailer direct)`,
        ratio: ratio(workerRate, referenceRate),
        goal: 'report'
      }]
    } finally {
      if (running) await closeAll(running.closables)
      await Promise.all(Object.values(queues).map(async (q) => { await q.close() }))
      producer.disconnect()
      await sink.close()
      await removePrefix(prefix)
      await db.destroy()
      await bench.drop()
    }
  }
}

/**
 * A backlog of 10,000 outbox rows (10,000 leads of 100 exhibitors, as left by uploads while the
 * worker was away): time from starting the worker until every lead is enriched (relay, BullMQ,
 * enrichment). The reference runs the same batch enrichment over the same leads directly, in the
 * relay's batches, as many at once as the worker, without outbox or queue.
 */
export const workerDrain: Benchmark = {
  name: 'worker-drain',
  async run (): Promise<Row[]> {
    const bench = await benchDatabase('drain')
    // The worker process's pool size.
    const db = createDb(bench.url, { max: 10 })
    const prefix = `showfloor-bench-${randomBytes(4).toString('hex')}`
    let running: { closables: Closable[] } | null = null
    try {
      await seedShow(db, BACKLOG, EXHIBITORS)
      await sql`
        with ex as (select id, row_number() over (order by id) - 1 as k from exhibitors),
             pos as (select id, row_number() over (order by id) - 1 as k from order_positions)
        insert into leads (exhibitor_id, position_id, scanned)
        select ex.id, pos.id, now() from pos join ex on ex.k = pos.k % ${EXHIBITORS}`.execute(db)
      const leadIds = (await db.selectFrom('leads').select('id').orderBy('id').execute()).map((l) => l.id)
      await sql`analyze`.execute(db)
      const unenriched = async () => Number((await db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('enriched_at', 'is', null).executeTakeFirstOrThrow()).n)

      // Reference: the batch enrichment called directly, over batches as the relay makes them.
      const batches: number[][] = []
      for (let i = 0; i < leadIds.length; i += RELAY_BATCH) batches.push(leadIds.slice(i, i + RELAY_BATCH))
      let started = performance.now()
      await pool(batches, ENRICH_CONCURRENCY, async (batch) => await worker.enrichLeads(db, batch))
      const referenceSeconds = (performance.now() - started) / 1000
      if ((await unenriched()) !== 0) throw new Error('the reference left leads unenriched')

      await sql`update leads set data = null, enriched_at = null`.execute(db)
      await sql`update exhibitors set lead_count = 0`.execute(db)
      await sql`insert into outbox (topic, payload) select 'lead.enrich', jsonb_build_object('lead_id', id) from leads order by id`.execute(db)
      await sql`vacuum analyze`.execute(db)

      started = performance.now()
      running = worker.startWorkers({
        db,
        redisUrl,
        prefix,
        log,
        mail: { mailDir: '', from: 'bench@example.com', appUrl: 'https://app.example.com', sendTimeoutMs: 5000 }
      })
      let relayedAt = 0
      await until(async () => {
        if (!relayedAt && (await queries.outbox.countPending(db)) === 0) relayedAt = performance.now()
        return (await unenriched()) === 0
      }, 300_000)
      const seconds = (performance.now() - started) / 1000
      const counts = await db.selectFrom('exhibitors').select('lead_count').execute()
      if (counts.some((c) => c.lead_count !== BACKLOG / EXHIBITORS)) throw new Error('lead counts are wrong')

      return [{
        benchmark: 'worker-drain',
        metric: `backlog of ${BACKLOG} outbox rows: all leads enriched (relay done after ${((relayedAt - started) / 1000).toFixed(2)} s)`,
        value: `${seconds.toFixed(2)} s (${(BACKLOG / seconds).toFixed(0)} leads/s)`,
        reference: `${referenceSeconds.toFixed(2)} s (direct, no queue)`,
        ratio: ratio(referenceSeconds, seconds),
        goal: 'report'
      }]
    } finally {
      if (running) await closeAll(running.closables)
      await removePrefix(prefix)
      await db.destroy()
      await bench.drop()
    }
  }
}

export const workerBenchmarks: Benchmark[] = [workerEmail, workerDrain]

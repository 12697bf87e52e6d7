import t, { type Test } from 'tap'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Queue } from 'bullmq'
import { queries, type Db } from '@showfloor/db'
import {
  createTestDatabase, parseMail, removePrefix, seedEvent, seedExhibitor, startSmtpSink, testPrefix, waitFor,
  type ExhibitorFixture, type SeededEvent
} from '@showfloor/db/testing'
import { JOBS, QUEUES } from '@showfloor/schemas'
import { closeRedis, createProducerRedis, createProducers } from '@showfloor/queue'
import { startWorkers, type RunningWorkers } from '../src/workers.js'
import { sharedRedisUrl, silentLog, silentOutage } from './support/queues.js'

const SEND_TIMEOUT = 1000 // the worker claims a request only while more than 2 s are left

async function closeAll (running: RunningWorkers): Promise<void> {
  for (const closable of [...running.closables].reverse()) await closable.close()
}

interface Setup {
  db: Db
  event: SeededEvent
  email: Queue
  /** Creates a mail request due in `timeoutMs` and queues its job, as the admin API does. */
  request: (exhibitor: ExhibitorFixture, timeoutMs?: number) => Promise<string>
  /** Waits until the request reached a final status, and returns it. */
  outcome: (id: string) => Promise<string>
}

async function setup (t: Test, label: string, mail: { smtpUrl?: string, mailDir?: string }): Promise<Setup> {
  const testDb = await createTestDatabase(`worker_${label}`)
  const prefix = testPrefix(label)
  const running = startWorkers({
    db: testDb.db,
    redisUrl: sharedRedisUrl,
    prefix,
    log: silentLog,
    mail: { smtpUrl: mail.smtpUrl, mailDir: mail.mailDir ?? './var/mail', from: 'Fair Team <fair@example.org>', appUrl: 'https://app.example.org', sendTimeoutMs: SEND_TIMEOUT },
    relay: false
  })
  const producer = createProducerRedis(sharedRedisUrl)
  const queues = createProducers(producer, prefix, silentOutage)
  t.teardown(async () => {
    await closeAll(running)
    await Promise.all(Object.values(queues).map(async (q) => { await q.close() }))
    await closeRedis(producer)
    await removePrefix(sharedRedisUrl, prefix)
    await testDb.drop()
  })
  const db = testDb.db
  const event = await seedEvent(db)
  const email = queues[QUEUES.email]
  await waitFor('the producer connection', async () => producer.status === 'ready')
  return {
    db,
    event,
    email,
    request: async (exhibitor, timeoutMs = 8000) => {
      const id = await queries.mailRequests.createMailRequest(db, exhibitor.id, timeoutMs)
      await email.add(JOBS.accessCodeEmail, { mail_request_id: id }, { jobId: id })
      return id
    },
    outcome: async (id) => await waitFor(`mail request ${id}`, async () => {
      const state = await queries.mailRequests.getMailRequestState(db, id)
      return state && ['sent', 'failed', 'abandoned'].includes(state.status) ? state.status : undefined
    }, 20_000)
  }
}

t.test('over SMTP', async (t) => {
  let refusing = false
  const sink = await startSmtpSink({ refuse: () => refusing })
  t.teardown(sink.close)
  const s = await setup(t, 'email_smtp', { smtpUrl: sink.url })

  t.test('English: To, Cc, subject, both codes and what they are for, the App API address', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, {
      name: 'Aperture Science',
      contact_email: 'cave@aperture.example',
      contact_cc_email: 'glados@aperture.example, chell@aperture.example',
      contact_name_parts: JSON.stringify({ _scheme: 'salutation_title_given_family', title: 'Dr', given_name: 'Cave', family_name: 'Johnson' }),
      booth: 'A12',
      locale: 'en'
    })
    const before = sink.messages.length
    const id = await s.request(exhibitor)
    t.equal(await s.outcome(id), 'sent')
    t.equal(sink.messages.length, before + 1, 'one message delivered')
    const mail = sink.messages[sink.messages.length - 1]
    t.same(mail.envelope.to.sort(), ['cave@aperture.example', 'chell@aperture.example', 'glados@aperture.example'])
    t.equal(mail.envelope.from, 'fair@example.org')
    t.equal(mail.headers.to, 'cave@aperture.example')
    t.equal(mail.headers.cc, 'glados@aperture.example, chell@aperture.example')
    t.equal(mail.headers.from, 'Fair Team <fair@example.org>')
    t.equal(mail.subject, 'Your access codes for Sample Conference')
    t.match(mail.text, /^Hello Dr Cave Johnson,/)
    t.match(mail.text, 'Aperture Science is registered as an exhibitor at Sample Conference (booth A12).')
    t.match(mail.text, `Access code: ${exhibitor.access_code}\nYour access code gives full access`)
    t.match(mail.text, `Booth staff code: ${exhibitor.lead_scanning_access_code}\nThe booth staff code is for the devices of your booth staff: it allows scanning leads only`)
    t.match(mail.text, 'Server: https://app.example.org')
    t.match(mail.html, exhibitor.access_code)
    t.match(mail.html, exhibitor.lead_scanning_access_code)
    t.match(mail.html, '<a href="https://app.example.org">')
    const row = await s.db.selectFrom('mail_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(row.status, 'sent')
    t.ok(row.finished_at)
    const job = await s.email.getJob(id)
    t.equal(await job?.getState(), 'completed', 'the job completed')
  })

  t.test('German, with the event name in German', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { name: 'Müller & Söhne <GmbH>', contact_email: 'info@mueller.example', locale: 'de' })
    const id = await s.request(exhibitor)
    t.equal(await s.outcome(id), 'sent')
    const mail = sink.messages.find((m) => m.headers.to === 'info@mueller.example')!
    t.ok(mail, 'delivered')
    t.equal(mail.headers.cc, undefined, 'no Cc without contact_cc_email')
    t.equal(mail.subject, 'Ihre Zugangscodes für Beispielkonferenz')
    t.match(mail.text, /^Guten Tag,/)
    t.match(mail.text, 'Müller & Söhne <GmbH> ist als Aussteller bei Beispielkonferenz registriert.')
    t.match(mail.text, `Zugangscode: ${exhibitor.access_code}\nIhr Zugangscode gewährt vollen Zugriff`)
    t.match(mail.text, `Code für das Standpersonal: ${exhibitor.lead_scanning_access_code}\nDer Code für das Standpersonal ist für die Geräte Ihres Standpersonals`)
    t.match(mail.html, 'Müller &amp; Söhne &lt;GmbH&gt;', 'names are escaped in HTML')
    t.match(mail.html, '<html lang="de">')
  })

  t.test('another locale falls back to English', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'fr@example.org', locale: 'fr' })
    t.equal(await s.outcome(await s.request(exhibitor)), 'sent')
    const mail = sink.messages.find((m) => m.headers.to === 'fr@example.org')!
    t.equal(mail.subject, 'Your access codes for Sample Conference')
  })

  t.test('a refusing server: retried while the deadline allows, then failed, and nothing sent later', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'refused@example.org' })
    refusing = true
    t.teardown(() => { refusing = false })
    const refusalsBefore = sink.refusals
    const id = await s.request(exhibitor, 4000)
    t.equal(await s.outcome(id), 'failed')
    t.ok(sink.refusals - refusalsBefore >= 2, `retried (${sink.refusals - refusalsBefore} attempts)`)
    refusing = false
    await new Promise((resolve) => setTimeout(resolve, 1500))
    t.notOk(sink.messages.some((m) => m.headers.to === 'refused@example.org'), 'never delivered')
    const job = await s.email.getJob(id)
    t.equal(await job?.getState(), 'failed', 'the job stays visible as failed')
    const row = await s.db.selectFrom('mail_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(row.status, 'failed')
    t.match(row.error, /Mailbox unavailable|deadline/)
  })

  t.test('a request too close to its deadline is not sent', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'late@example.org' })
    const id = await s.request(exhibitor, 1500)
    t.equal(await s.outcome(id), 'failed')
    const job = await s.email.getJob(id)
    t.equal(await job?.getState(), 'failed')
    t.notOk(sink.messages.some((m) => m.headers.to === 'late@example.org'))
  })

  t.test('a request the API gave up on is not sent', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'abandoned@example.org' })
    const id = await queries.mailRequests.createMailRequest(s.db, exhibitor.id, 8000)
    t.ok(await queries.mailRequests.abandonMailRequest(s.db, id, 'gave up'))
    await s.email.add(JOBS.accessCodeEmail, { mail_request_id: id }, { jobId: id })
    const job = await waitFor('the job to fail', async () => {
      const found = await s.email.getJob(id)
      return found && (await found.getState()) === 'failed' ? found : undefined
    })
    t.match(job.failedReason, /abandoned/)
    t.notOk(sink.messages.some((m) => m.headers.to === 'abandoned@example.org'))
    const row = await s.db.selectFrom('mail_requests').select('status').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(row.status, 'abandoned')
  })

  t.test('a request whose exhibitor was deleted meanwhile: the job succeeds doing nothing', async (t) => {
    const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'gone@example.org' })
    const id = await queries.mailRequests.createMailRequest(s.db, exhibitor.id, 8000)
    await queries.exhibitors.deleteExhibitor(s.db, exhibitor.id)
    await s.email.add(JOBS.accessCodeEmail, { mail_request_id: id }, { jobId: id })
    const job = await waitFor('the job to complete', async () => {
      // The state first, then the job: a job read while still active has no return value yet.
      return (await s.email.getJobState(id)) === 'completed' ? await s.email.getJob(id) : undefined
    })
    t.same(job.returnvalue, { skipped: 'the request no longer exists' })
  })

  t.test('a job with malformed data fails', async (t) => {
    const job = await s.email.add(JOBS.accessCodeEmail, { mail_request_id: 'nope' }, { attempts: 1 })
    await waitFor('the job to fail', async () => (await job.getState()) === 'failed')
    const failed = await s.email.getJob(job.id!)
    t.match(failed?.failedReason, /invalid job data/)
  })
})

t.test('without SMTP_URL, mail is written as .eml files into MAIL_DIR', async (t) => {
  const mailDir = await mkdtemp(join(tmpdir(), 'showfloor-mail-'))
  t.teardown(async () => { await rm(mailDir, { recursive: true, force: true }) })
  const s = await setup(t, 'email_dir', { mailDir: join(mailDir, 'nested') })
  const exhibitor = await seedExhibitor(s.db, s.event, { contact_email: 'cave@aperture.example', contact_cc_email: 'glados@aperture.example', locale: 'de' })
  const id = await s.request(exhibitor)
  t.equal(await s.outcome(id), 'sent')
  const files = await readdir(join(mailDir, 'nested'))
  t.equal(files.length, 1, 'one file')
  t.match(files[0], /\.eml$/)
  const mail = parseMail(await readFile(join(mailDir, 'nested', files[0]), 'utf8'))
  t.equal(mail.headers.to, 'cave@aperture.example')
  t.equal(mail.headers.cc, 'glados@aperture.example')
  t.equal(mail.subject, 'Ihre Zugangscodes für Beispielkonferenz')
  t.match(mail.text, exhibitor.access_code)
  t.match(mail.text, exhibitor.lead_scanning_access_code)
})

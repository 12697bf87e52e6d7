import { UnrecoverableError, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { queries, type Db } from '@showfloor/db'
import { AccessCodeEmailJob, parseJob } from '@showfloor/schemas'
import { ccAddresses, renderAccessCodeMail } from '../mail/accessCodeMail.js'
import { MaybeDelivered, type Mailer } from '../mail/mailer.js'

const mail = queries.mailRequests

export interface EmailProcessorOptions {
  db: Db
  mailer: Mailer
  from: string
  appUrl: string
  /** The mailer's limit for one delivery. */
  sendTimeoutMs: number
  log: FastifyBaseLogger
}

/**
 * Room a delivery needs before the request's deadline: the longest it may take, and a second for
 * recording the result, so a request still waits when its mail goes out.
 */
export const claimMargin = (sendTimeoutMs: number): number => sendTimeoutMs + 1000

/** Time kept before the deadline for recording the outcome, so the waiting request still reads it. */
const RECORD_MS = 500

export type EmailResult = { sent: string } | { skipped: string }

/**
 * Sends the access-code mail of one send_access_code request. The request row is claimed first
 * (pending → sending) and only while its deadline leaves room for a whole delivery; a request the
 * API gave up on (or that is too late) is never sent. A failed delivery is retried by BullMQ only
 * while the deadline still allows another attempt; otherwise the request is failed and so is the
 * job (UnrecoverableError: no more attempts), which stays visible among the failed jobs.
 *
 * Handing the message over is bounded by `sendTimeoutMs`; the server's final reply to it is awaited
 * until just before the deadline (servers may take long to confirm a message they already have).
 * A delivery given up after the end of the message was sent may have been delivered: the request
 * is settled as unconfirmed and never sent again.
 */
export function accessCodeEmailProcessor (options: EmailProcessorOptions) {
  const { db, mailer, log } = options
  const margin = claimMargin(options.sendTimeoutMs)

  return async function processAccessCodeEmail (job: Job): Promise<EmailResult> {
    const { mail_request_id: id } = parseJob(AccessCodeEmailJob, job.data)
    const data = await mail.claimMailRequest(db, id, margin)
    if (!data) {
      const state = await mail.getMailRequestState(db, id)
      // The exhibitor was deleted, and its requests with it.
      if (!state) return { skipped: 'the request no longer exists' }
      if (state.status === 'sent') return { skipped: 'already sent' }
      if (state.status === 'pending') {
        await mail.failPendingMailRequest(db, id, 'too close to the deadline to be sent')
        throw new UnrecoverableError('too close to the deadline to be sent')
      }
      // 'sending': an attempt that was interrupted (its worker died); whether that mail went out is
      // unknown, so it is not sent a second time.
      throw new UnrecoverableError(`not sent: the request is ${state.status}`)
    }

    if (!data.contact_email) {
      await mail.markMailAttemptFailed(db, id, 'the exhibitor has no contact email', false)
      throw new UnrecoverableError('the exhibitor has no contact email')
    }

    const rendered = renderAccessCodeMail(data, options.appUrl)
    const cc = ccAddresses(data.contact_cc_email)
    // Every limit is sized from the time left, so the outcome is recorded before the deadline.
    const replyMs = Math.max(0, data.ms_left - RECORD_MS)
    const limits = { sendMs: Math.min(options.sendTimeoutMs, replyMs), replyMs }
    try {
      const delivered = await mailer.send({ from: options.from, to: data.contact_email, cc, ...rendered }, limits)
      if (await mail.markMailSent(db, id)) {
        log.info({ mailRequest: id, to: data.contact_email, cc, delivered }, 'access code mail sent')
      } else {
        log.warn({ mailRequest: id, to: data.contact_email, cc, delivered }, 'access code mail accepted after its request was settled')
      }
      return { sent: delivered }
    } catch (err) {
      const message = (err as Error).message
      if (err instanceof MaybeDelivered) {
        await mail.markMailUnconfirmed(db, id, message)
        log.warn({ mailRequest: id, err }, 'access code mail handed over but not confirmed: not sent again')
        throw new UnrecoverableError(message)
      }
      const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1)
      const retry = attemptsLeft && await mail.mailRequestHasTime(db, id, margin)
      await mail.markMailAttemptFailed(db, id, message, retry)
      log.warn({ mailRequest: id, err, retry }, 'access code mail not accepted')
      if (!retry) throw new UnrecoverableError(message)
      throw err
    }
  }
}

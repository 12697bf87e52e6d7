import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger } from 'fastify'
import { Type } from '@sinclair/typebox'
import { queries, type Db } from '@showfloor/db'
import { ErrorDetail, ExhibitorParams, JOBS, errorResponses } from '@showfloor/schemas'
import { HttpError, notFound } from '@showfloor/http'
import type { Producers } from '../plugins/queues.js'

const mail = queries.mailRequests

export interface SendAccessCodeOptions {
  /** How long a request waits for the mail to be accepted; ACCESS_CODE_MAIL_TIMEOUT_MS by default. */
  timeoutMs?: number
  /** How often the request's row is looked at while waiting. */
  pollMs?: number
}

const notSent = () => new HttpError(503, { detail: 'The email could not be sent.' })

const sleep = async (ms: number) => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * Queues the mail of a request and waits for its outcome in the request's row, which every API
 * process can read: true once the worker marked it sent. At the deadline whatever is still under
 * way is settled in one conditional UPDATE (pending → abandoned, after which no worker can claim it;
 * sending → unconfirmed, its worker may have died), so the answer comes at the deadline whatever
 * became of the worker.
 */
async function deliver (db: Db, producers: Producers, id: string, pollMs: number, log: FastifyBaseLogger): Promise<boolean> {
  try {
    if (!producers.ready()) throw new Error('Redis is not connected')
    await producers.email().add(JOBS.accessCodeEmail, { mail_request_id: id }, { jobId: id })
  } catch (err) {
    log.warn({ err, mailRequest: id }, 'the access code mail could not be queued')
    if (await mail.abandonMailRequest(db, id, `not queued: ${(err as Error).message}`)) return false
  }
  for (;;) {
    const state = await mail.getMailRequestState(db, id)
    if (!state) return false // the exhibitor was deleted meanwhile
    if (state.status === 'sent') return true
    if (mail.FINAL_STATUSES.includes(state.status)) return false
    if (state.expired) {
      const settled = await mail.settleAtDeadline(db, id)
      if (settled) {
        if (settled === 'unconfirmed') log.warn({ mailRequest: id }, 'the access code mail was still being sent at the deadline')
        return false
      }
      continue // finished by the worker just now: read its outcome
    }
    await sleep(pollMs)
  }
}

/** `POST .../exhibitors/{id}/send_access_code/` (contract section 6). */
export const sendAccessCode: FastifyPluginAsyncTypebox<SendAccessCodeOptions> = async (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? app.config.ACCESS_CODE_MAIL_TIMEOUT_MS
  const pollMs = opts.pollMs ?? 100

  app.post('/:id/send_access_code/', {
    config: { permission: 'can_change_event_settings' },
    schema: {
      tags: ['Exhibitors'],
      summary: 'Send the access-code email',
      description: 'Sends the exhibitor their access codes by email, in their locale, to `contact_email` with ' +
        '`contact_cc_email` in Cc. 204 once the mail server accepted the message; 503 when it could not be sent ' +
        'in time, and then it is never sent later.',
      params: ExhibitorParams,
      response: { 204: Type.Null(), ...errorResponses, 503: ErrorDetail }
    }
  }, async (request, reply) => {
    const exhibitor = await queries.exhibitors.findExhibitor(app.db, request.event.id, request.params.id)
    if (!exhibitor) throw notFound()
    if (!exhibitor.contact_email) throw new HttpError(400, { detail: 'The exhibitor does not have an email address associated.' })
    const id = await mail.createMailRequest(app.db, exhibitor.id, timeoutMs)
    if (!(await deliver(app.db, app.queues, id, pollMs, request.log))) throw notSent()
    return await reply.code(204).send(null)
  })
}

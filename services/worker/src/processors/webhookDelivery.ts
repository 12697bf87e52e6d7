import { createHmac } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { UnrecoverableError, type Job } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Histogram } from 'prom-client'
import { queries, type Db } from '@showfloor/db'
import { WebhookDeliverJob, parseJob, webhookPayload, type WebhookNotification } from '@showfloor/schemas'
import { TargetRefused, isPublicAddress, publicOnlyLookup, targetHost, targetUrlProblem } from '@showfloor/http'

export interface WebhookDeliveryOptions {
  /** The longest one attempt may take, connection to last byte read (10 s). */
  timeoutMs: number
  /** The delay before the first retry; each further one doubles (about 5 s). */
  firstRetryMs: number
  /** The longest delay between two attempts (an hour). */
  maxRetryMs: number
  /** How long after its change a notification is still tried (3 days); then it is given up. */
  maxAgeMs: number
  /** Whether targets on loopback, private, link-local or multicast addresses may be called. */
  allowPrivate: boolean
  /** Parallel deliveries per worker process: a slow receiver holds one slot, not the queue. */
  concurrency: number
  /** Parallel POSTs within one batch of first attempts to one webhook. */
  batchConcurrency: number
}

export const WEBHOOK_DEFAULTS: WebhookDeliveryOptions = {
  timeoutMs: 10_000,
  firstRetryMs: 5000,
  maxRetryMs: 3600_000,
  maxAgeMs: 3 * 24 * 3600_000,
  allowPrivate: false,
  concurrency: 50,
  batchConcurrency: 16
}

/** The pause after the `failures`-th failed attempt: first, doubled each time, capped. */
export function webhookBackoff (options: Pick<WebhookDeliveryOptions, 'firstRetryMs' | 'maxRetryMs'>) {
  return (failures: number): number => Math.min(options.firstRetryMs * 2 ** Math.max(0, Math.min(failures - 1, 40)), options.maxRetryMs)
}

/** A failed attempt, to be tried again after `delayMs`: the delay the delivery's stored next attempt says. */
export class RetryLater extends Error {
  constructor (message: string, readonly delayMs: number) {
    super(message)
  }
}

/**
 * BullMQ's backoffStrategy for deliveries: the delay the processor chose and stored with the
 * delivery, counted from every attempt the delivery had (a job queued again by the reconciler
 * starts with BullMQ's counters at zero); the backoff of BullMQ's own count for any other failure.
 */
export function webhookRetryDelay (options: Pick<WebhookDeliveryOptions, 'firstRetryMs' | 'maxRetryMs'>) {
  const backoff = webhookBackoff(options)
  return (attemptsMade: number, _type?: string, err?: Error): number => err instanceof RetryLater ? err.delayMs : backoff(attemptsMade)
}

/** The Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` keyed with the secret's bytes. */
export function signWebhook (secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
}

/** A notification's body and its Standard Webhooks headers, signed now with the webhook's secret. */
export function signedNotification (secret: string, notification: WebhookNotification) {
  const payload = webhookPayload(notification)
  const body = JSON.stringify(payload)
  const timestamp = Math.floor(Date.now() / 1000)
  const headers = {
    'user-agent': 'Showfloor-Webhooks/1',
    'webhook-id': notification.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, notification.id, timestamp, body)
  }
  return { payload, body, headers }
}

export interface Attempt {
  /** null when no answer came (refused, unreachable, timed out). */
  status: number | null
  body: string | null
  error?: string
  seconds: number
}

const MAX_RESPONSE_CHARS = 1024

/** Keep-alive connections for deliveries, per scheme: a receiver's next notification reuses its connection. */
export interface DeliveryAgents { http: http.Agent, https: https.Agent }

export function createDeliveryAgents (maxSockets: number): DeliveryAgents {
  return { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) }
}

/**
 * One signed POST with node:http: redirects are not followed (it never follows any), the whole
 * attempt is bounded by one timer, basic auth in the URL becomes an Authorization header, and
 * unless private targets are allowed the connection only goes to a public address: an address in
 * the URL is checked here, a name by the lookup the socket itself uses.
 */
export async function postWebhook (target: string, headers: Record<string, string>, body: string, options: Pick<WebhookDeliveryOptions, 'timeoutMs' | 'allowPrivate'>, agents?: DeliveryAgents): Promise<Attempt> {
  const started = process.hrtime.bigint()
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9
  const problem = targetUrlProblem(target)
  if (problem !== null) return { status: null, body: null, error: problem, seconds: seconds() }
  const url = new URL(target)
  const host = targetHost(url)
  if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    return { status: null, body: null, error: new TargetRefused(host, host).message, seconds: seconds() }
  }
  const auth = url.username !== '' || url.password !== ''
    ? { authorization: 'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64') }
    : {}
  const secure = url.protocol === 'https:'
  const client = secure ? https : http
  return await new Promise<Attempt>((resolve) => {
    let settled = false
    const finish = (attempt: Omit<Attempt, 'seconds'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      resolve({ ...attempt, seconds: seconds() })
    }
    const request = client.request({
      method: 'POST',
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname + url.search,
      headers: { ...headers, ...auth, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      // Sockets are reused only for the same host and port, and each was checked when it connected.
      agent: agents ? (secure ? agents.https : agents.http) : false,
      ...(!options.allowPrivate && { lookup: publicOnlyLookup })
    }, (response) => {
      const status = response.statusCode ?? null
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        // Only the beginning is kept; the rest need not be read.
        if (text.length >= MAX_RESPONSE_CHARS) finish({ status, body: text.slice(0, MAX_RESPONSE_CHARS) })
      })
      response.on('end', () => { finish({ status, body: text }) })
      response.on('error', (err) => { finish({ status, body: text, error: err.message }) })
    })
    const timer = setTimeout(() => { finish({ status: null, body: null, error: `no answer within ${options.timeoutMs} ms` }) }, options.timeoutMs)
    request.on('error', (err) => { finish({ status: null, body: null, error: err.message }) })
    if (!options.allowPrivate) {
      // The address the socket actually connected to, whatever resolved it: the last word.
      request.on('socket', (socket) => {
        const check = () => {
          const address = socket.remoteAddress ?? ''
          if (!isPublicAddress(address)) finish({ status: null, body: null, error: new TargetRefused(address, host).message })
        }
        if (socket.connecting) socket.once('connect', check)
        else check()
      })
    }
    request.end(body)
  })
}

/** What one attempt comes to, and the call to log for it. */
export interface AttemptOutcome {
  /** `delivered` on a 2xx answer, `disabled` on 410, else `pending` (tried again after `delayMs`) or `given_up` when that would pass the age limit. */
  state: 'delivered' | 'disabled' | 'given_up' | 'pending'
  /** The pause before the next attempt, after `made` earlier ones and this one. */
  delayMs: number
  call: Omit<queries.webhooks.CallRecord, 'webhook_id' | 'notification_id'>
}

/** Judges an attempt at a notification as every delivery does, one at a time or in a batch (contract section 13). */
export function attemptOutcome (
  notification: WebhookNotification, attempt: Attempt, made: number, isRetry: boolean, payload: Record<string, unknown>,
  options: Pick<WebhookDeliveryOptions, 'firstRetryMs' | 'maxRetryMs' | 'maxAgeMs'>
): AttemptOutcome {
  const success = attempt.status !== null && attempt.status >= 200 && attempt.status < 300
  const gone = attempt.status === 410
  const delayMs = webhookBackoff(options)(made + 1)
  const givenUp = !success && !gone && Date.now() - Date.parse(notification.created_at) + delayMs > options.maxAgeMs
  return {
    state: success ? 'delivered' : gone ? 'disabled' : givenUp ? 'given_up' : 'pending',
    delayMs,
    call: {
      action_type: notification.action,
      is_retry: isRetry,
      execution_time: attempt.seconds,
      return_code: attempt.status,
      success,
      payload,
      response_body: attempt.body
    }
  }
}

export type DeliveryResult = { delivered: number } | { disabled: number } | { skipped: string }

/**
 * Delivers one notification to one webhook (contract section 13), logs the attempt in its calls and
 * moves its stored delivery on in the same statement. The webhook and the delivery are read at
 * every attempt: a deleted webhook ends the job (its deliveries went with it), a disabled one ends
 * it and the delivery as skipped, a delivery that already ended (another job for it got there
 * first) ends the job, a rotated secret signs at once. A 2xx answer is success; 410 disables the
 * webhook; anything else fails the attempt, and BullMQ retries it after the webhook backoff, counted
 * from every attempt the delivery had (stored, so a job the reconciler queued again after Redis lost
 * it goes on where it was), until the next attempt would come more than `maxAgeMs` after the
 * change: then it is given up, logged, and the job stays failed.
 */
export function webhookDeliveryProcessor (db: Db, log: FastifyBaseLogger, options: WebhookDeliveryOptions, lag?: Histogram, agents?: DeliveryAgents) {
  return async function deliver (job: Job): Promise<DeliveryResult> {
    const { webhook_id: webhookId, notification } = parseJob(WebhookDeliverJob, job.data)
    const webhook = await queries.webhooks.deliveryTarget(db, webhookId, notification.id)
    if (!webhook) return { skipped: 'the webhook was deleted' }
    if (webhook.state !== null && webhook.state !== 'pending') return { skipped: `the delivery is ${webhook.state} already` }
    if (!webhook.enabled) {
      await queries.webhooks.settleDelivery(db, webhookId, notification.id, 'skipped')
      return { skipped: 'the webhook is disabled' }
    }
    // The attempts before this one: BullMQ's count, unless the stored one knows more (a job queued again).
    const made = Math.max(webhook.attempts ?? 0, job.attemptsMade)
    // BullMQ's own retries come within the age limit (see below); a job that starts afresh past it
    // (queued again by the reconciler long after, or fanned out that late) is given up untried.
    if (job.attemptsMade === 0 && Date.now() - Date.parse(notification.created_at) > options.maxAgeMs) {
      await queries.webhooks.settleDelivery(db, webhookId, notification.id, 'given_up')
      log.warn({ webhook: webhookId, notification: notification.id, attempts: made }, 'webhook delivery given up: past the age limit before it could be tried again')
      throw new UnrecoverableError('given up: past the age limit')
    }

    const { payload, body, headers } = signedNotification(webhook.secret, notification)
    const attempt = await postWebhook(webhook.target_url, headers, body, options, agents)
    const reason = attempt.error ?? `answered ${attempt.status}`
    const { state, delayMs: delay, call } = attemptOutcome(notification, attempt, made, made > 0 || job.attemptsStarted > 1, payload, options)
    await queries.webhooks.recordCall(db, { webhook_id: webhookId, notification_id: notification.id, ...call },
      { state, retryInMs: state === 'pending' ? delay : 0, notification })

    if (state === 'delivered') {
      lag?.observe((Date.now() - Date.parse(notification.created_at)) / 1000)
      return { delivered: attempt.status! }
    }
    if (state === 'disabled') {
      log.warn({ webhook: webhookId, notification: notification.id }, 'webhook receiver answered 410 Gone: webhook disabled')
      return { disabled: webhookId }
    }
    if (state === 'given_up') {
      log.warn({ webhook: webhookId, notification: notification.id, attempts: made + 1, reason }, 'webhook delivery given up')
      throw new UnrecoverableError(`given up: ${reason}`)
    }
    throw new RetryLater(reason, delay)
  }
}

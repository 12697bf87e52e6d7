import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import nodemailer from 'nodemailer'
import MailComposer from 'nodemailer/lib/mail-composer'
import { parseConnectionUrl } from 'nodemailer/lib/shared'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import type { FastifyBaseLogger } from 'fastify'

export interface OutgoingMail {
  from: string
  to: string
  cc: string[]
  subject: string
  text: string
  html: string
}

/**
 * How long one delivery may take: until the end of the message is handed to the server, and until
 * the server's final reply to it (both counted from the start).
 */
export interface DeliveryLimits {
  sendMs: number
  replyMs: number
}

export interface Mailer {
  /**
   * Resolves once the mail server (or the mail directory) accepted the message; says where it went.
   * Rejects with MaybeDelivered when the server had the whole message but its answer did not come.
   */
  send: (mail: OutgoingMail, limits?: DeliveryLimits) => Promise<string>
  close: () => Promise<void>
}

export interface MailerOptions {
  /** SMTP server; without it, messages are written as .eml files into `mailDir`. */
  smtpUrl?: string
  mailDir: string
  /** The longest one delivery may take when the caller sets no limits. */
  timeoutMs: number
  log: FastifyBaseLogger
}

/** The delivery stopped before the end of the message was sent: the server cannot deliver it. */
export class DeliveryTimeout extends Error {
  constructor (ms: number) {
    super(`the mail server did not take the message within ${ms} ms`)
  }
}

/**
 * The end of the message was sent, but the server's acceptance did not come (too late, or the
 * connection broke): it may deliver the message or not, so sending it again could deliver it twice.
 */
export class MaybeDelivered extends Error {
  constructor (reason: string) {
    super(`the mail server had the whole message but did not confirm it: ${reason}`)
  }
}

type Failure = Error & { responseCode?: number }

interface SmtpServer { options: SMTPConnection.Options, auth?: SMTPConnection.Credentials }

/** One delivery on a connection of its own, so giving it up (closing it) touches no other one. */
async function deliverOverSmtp (server: SmtpServer, envelope: SMTPConnection.Envelope, message: Buffer, limits: DeliveryLimits): Promise<string> {
  const connection = new SMTPConnection({ ...server.options, connectionTimeout: limits.sendMs, greetingTimeout: limits.sendMs, socketTimeout: limits.replyMs })
  // The message goes through this stream only once the server asked for it (after DATA), and the
  // end-of-data marker follows its end: from then on the server may have the whole message.
  const source = Readable.from([message])
  let ended = false
  source.once('end', () => { ended = true })
  return await new Promise<string>((resolve, reject) => {
    let settled = false
    const timers: NodeJS.Timeout[] = []
    const finish = (err: Failure | null, response = '') => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      if (err) {
        connection.close()
        // A reply to the message is a verdict on it; silence or a broken connection after its end is not.
        reject(ended && err.responseCode === undefined && !(err instanceof MaybeDelivered) ? new MaybeDelivered(err.message) : err)
      } else {
        connection.quit()
        resolve(response)
      }
    }
    const expire = (ms: number) => { finish(ended ? new MaybeDelivered(`no answer within ${ms} ms`) : new DeliveryTimeout(ms)) }
    timers.push(
      setTimeout(() => { if (!ended) expire(limits.sendMs) }, limits.sendMs),
      setTimeout(() => { expire(limits.replyMs) }, Math.max(limits.sendMs, limits.replyMs))
    )
    connection.on('error', (err: Failure) => { finish(err) })
    connection.once('end', () => { finish(new Error('the mail server closed the connection')) })
    const send = () => {
      connection.send(envelope, source, (err, info) => { finish(err, `smtp ${String(info?.response ?? '')}`.trim()) })
    }
    connection.connect((err) => {
      if (err) finish(err)
      else if (server.auth && connection.allowsAuth) connection.login(server.auth, (loginErr) => { if (loginErr) finish(loginErr); else send() })
      else send()
    })
  })
}

function smtpMailer (url: string, timeoutMs: number): Mailer {
  // SMTP_URL as nodemailer reads it (smtps: for TLS, user and password, tls.* options in the query).
  const { auth, ...options } = parseConnectionUrl(url) as SMTPConnection.Options & { auth?: SMTPConnection.Credentials }
  const server: SmtpServer = { options, auth }
  return {
    async send (mail, limits = { sendMs: timeoutMs, replyMs: timeoutMs }) {
      const composed = new MailComposer({ ...mail, textEncoding: 'quoted-printable' }).compile()
      return await deliverOverSmtp(server, composed.getEnvelope(), await composed.build(), limits)
    },
    async close () {}
  }
}

function directoryMailer (dir: string, log: FastifyBaseLogger): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }, { textEncoding: 'quoted-printable' })
  return {
    async send (mail) {
      const info = await transport.sendMail(mail)
      await mkdir(dir, { recursive: true })
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`
      const path = join(dir, name)
      // Written under a temporary name and renamed, so a file with the .eml name is always complete.
      await writeFile(`${path}.tmp`, info.message as Buffer)
      await rename(`${path}.tmp`, path)
      log.info({ file: path, to: mail.to, cc: mail.cc, subject: mail.subject }, 'mail written to the mail directory')
      return `file ${path}`
    },
    async close () { transport.close() }
  }
}

export function createMailer (options: MailerOptions): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options.timeoutMs) : directoryMailer(options.mailDir, options.log)
}

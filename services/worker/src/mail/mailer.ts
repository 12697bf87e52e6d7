import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import type { FastifyBaseLogger } from 'fastify'

export interface OutgoingMail {
  from: string
  to: string
  cc: string[]
  subject: string
  text: string
  html: string
}

export interface Mailer {
  /** Resolves once the mail server (or the mail directory) accepted the message; says where it went. */
  send: (mail: OutgoingMail) => Promise<string>
  close: () => Promise<void>
}

export interface MailerOptions {
  /** SMTP server; without it, messages are written as .eml files into `mailDir`. */
  smtpUrl?: string
  mailDir: string
  /** The longest one delivery may take, all SMTP steps together. */
  timeoutMs: number
  log: FastifyBaseLogger
}

class DeliveryTimeout extends Error {
  constructor (ms: number) {
    super(`the mail server did not accept the message within ${ms} ms`)
  }
}

function smtpMailer (url: string, timeoutMs: number): Mailer {
  const create = () => nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 4,
    // Each step's own limit; the timer below bounds the whole delivery, which a server trickling
    // its replies could otherwise stretch past every one of them.
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs
  }, { textEncoding: 'quoted-printable' })
  let transport = create()
  return {
    async send (mail) {
      const current = transport
      let timer: NodeJS.Timeout | undefined
      try {
        const info = await Promise.race([
          current.sendMail(mail),
          new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new DeliveryTimeout(timeoutMs)), timeoutMs) })
        ])
        return `smtp ${String(info.response ?? '')}`.trim()
      } catch (err) {
        if (err instanceof DeliveryTimeout && transport === current) {
          // The stalled connection is dropped with its pool, so the message cannot go out late.
          transport = create()
          current.close({ force: true })
        }
        throw err
      } finally {
        clearTimeout(timer)
      }
    },
    async close () { transport.close() }
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

import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'

/** A message as the mail server received it, decoded enough to check what a reader sees. */
export interface ReceivedMail {
  envelope: { from: string, to: string[] }
  headers: Record<string, string>
  subject: string
  text: string
  html: string
  raw: string
}

export interface SmtpSink {
  url: string
  port: number
  messages: ReceivedMail[]
  /** Recipients refused or messages rejected so far. */
  refusals: number
  close: () => Promise<void>
}

export interface SmtpSinkOptions {
  /** While this says so, recipients are refused (550), as by a server rejecting the mail. */
  refuse?: () => boolean
  /** Keeps only a count of messages, not their text (for benchmarks). */
  countOnly?: boolean
  port?: number
  /**
   * How long the server takes to answer the end of a message (it has the whole message by then, and
   * counts it as received at once, as a server that delivers it whatever the answer).
   */
  replyDelayMs?: () => number
  /** How long the server takes to answer each recipient (before the message is sent). */
  rcptDelayMs?: () => number
}

/** A local SMTP server on a random port that stores what it accepts. */
export async function startSmtpSink (options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = []
  const replies = new Set<NodeJS.Timeout>()
  const sink = { url: '', port: 0, messages, refusals: 0, close: async () => {} }
  const serverOptions: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    hideSTARTTLS: true,
    size: 10 * 1024 * 1024,
    onRcptTo (_address, _session, callback) {
      if (options.refuse?.()) {
        sink.refusals++
        const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 })
        callback(err)
        return
      }
      const delay = options.rcptDelayMs?.() ?? 0
      if (delay <= 0) {
        callback()
        return
      }
      const timer = setTimeout(() => { replies.delete(timer); callback() }, delay)
      replies.add(timer)
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => { if (!options.countOnly) chunks.push(chunk) })
      stream.on('end', () => {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address)
        }
        messages.push(options.countOnly
          ? { envelope, headers: {}, subject: '', text: '', html: '', raw: '' }
          : parseMail(Buffer.concat(chunks).toString('utf8'), envelope))
        const delay = options.replyDelayMs?.() ?? 0
        if (delay <= 0) {
          callback()
          return
        }
        const timer = setTimeout(() => { replies.delete(timer); callback() }, delay)
        replies.add(timer)
      })
    }
  }
  const server = new SMTPServer(serverOptions)
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  sink.port = (server.server.address() as AddressInfo).port
  sink.url = `smtp://127.0.0.1:${sink.port}`
  sink.close = async () => {
    for (const timer of replies) clearTimeout(timer)
    await new Promise<void>((resolve) => server.close(resolve))
  }
  return sink
}

function decodeWords (value: string): string {
  return value
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, encoding: string, text: string) => {
      if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8')
      return decodeQuotedPrintable(text.replace(/_/g, ' '))
    })
}

function decodeQuotedPrintable (text: string): string {
  const bytes: number[] = []
  const unwrapped = text.replace(/=\r?\n/g, '')
  for (let i = 0; i < unwrapped.length; i++) {
    const match = unwrapped[i] === '=' ? /^[0-9A-Fa-f]{2}/.exec(unwrapped.slice(i + 1, i + 3)) : null
    if (match) {
      bytes.push(parseInt(match[0], 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(unwrapped[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

interface Part { headers: Record<string, string>, body: string }

function splitPart (raw: string): Part {
  const at = raw.search(/\r?\n\r?\n/)
  const head = at === -1 ? raw : raw.slice(0, at)
  const body = at === -1 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '')
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim())
  }
  return { headers, body }
}

function decodeBody (part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '').toLowerCase()
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body)
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8')
  return part.body
}

/** The text/plain and text/html parts of a message, however deeply nested in multiparts. */
function leaves (part: Part): Part[] {
  const type = part.headers['content-type'] ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  if (!type.toLowerCase().startsWith('multipart/') || !boundary) return [part]
  const sections = part.body.split(`--${boundary}`).slice(1)
  return sections.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(splitPart(s.replace(/^\r?\n/, ''))))
}

export function parseMail (raw: string, envelope: { from: string, to: string[] } = { from: '', to: [] }): ReceivedMail {
  const message = splitPart(raw)
  const parts = leaves(message)
  const of = (type: string) => {
    const part = parts.find((p) => (p.headers['content-type'] ?? 'text/plain').toLowerCase().startsWith(type))
    return part ? decodeBody(part).replace(/\r\n/g, '\n') : ''
  }
  return { envelope, headers: message.headers, subject: message.headers.subject ?? '', text: of('text/plain'), html: of('text/html'), raw }
}

import { LogController, type FastifyBaseLogger, type FastifyServerOptions, type FastifyReply, type FastifyRequest } from 'fastify'
import pretty from 'pino-pretty'

export type LogFormat = 'pretty' | 'json'

export interface LogOptions {
  /** LOG_FORMAT; unset: pretty when stdout is a terminal, JSON otherwise (a file, a collector, a benchmark). */
  format?: LogFormat
  /** Where log lines go instead of stdout (tests). */
  stream?: NodeJS.WritableStream
}

/**
 * Secrets never reach a log line: App API access codes and API tokens travel in Authorization
 * (`Exhibitor <code>`, `Token <token>`), sessions in cookies; access codes in bodies or rows.
 * X-Idempotency-Key stays readable: it is what an operator looks for.
 */
const redact = {
  paths: [
    'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
    'headers.authorization', 'headers.cookie', 'headers["set-cookie"]',
    'access_code', 'lead_scanning_access_code', 'accessCode',
    '*.access_code', '*.lead_scanning_access_code', '*.accessCode',
    '*.*.access_code', '*.*.lead_scanning_access_code', '*.*.accessCode'
  ],
  censor: '[redacted]'
}

/** One line per request, when it is answered: method, URL, status and time (no "incoming request" line). */
export class RequestLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}

interface LogRecord { msg?: string, req?: { method?: string, url?: string }, res?: { statusCode?: number }, responseTime?: number }

/** For people at a terminal: `POST /exhibitors/api/v1/leads/ 201 3.2ms`, coloured by level. */
function prettyStream (destination?: NodeJS.WritableStream) {
  return pretty({
    destination,
    ignore: 'pid,hostname,reqId,req,res,responseTime',
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    messageFormat: (log: LogRecord, messageKey: string) => {
      const { req, res, responseTime } = log
      if (req?.method !== undefined && res?.statusCode !== undefined) return `${req.method} ${req.url ?? ''} ${res.statusCode} ${responseTime ?? 0}ms`
      return String((log as Record<string, unknown>)[messageKey] ?? '')
    }
  })
}

export function loggerOptions (level: string, log: LogOptions) {
  const format = log.format ?? (process.stdout.isTTY ? 'pretty' : 'json')
  const stream = format === 'pretty' ? prettyStream(log.stream) : log.stream
  return { level, redact, ...(stream !== undefined && { stream }) }
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Record<string, unknown>
/** pino's logger, as far as used here (fastify's type leaves out isLevelEnabled). */
type Logger = FastifyBaseLogger & { isLevelEnabled: (level: string) => boolean }

/**
 * A request's logger that becomes pino's child logger only when something is logged at a level
 * that is enabled. Making the child (its bindings redacted and serialised) on every request cost the
 * scan upload, which logs nothing below `info`, a few per cent of its CPU; the lines, when there
 * are any, are the child's own. Only for children without options of their own (a route's log
 * level): those are made at once.
 */
class RequestLogger {
  private made: Logger | undefined

  constructor (private readonly parent: Logger, private readonly bindings: Bindings) {}

  private logger (): Logger {
    this.made ??= this.parent.child(this.bindings) as Logger
    return this.made
  }

  private enabled (level: LogMethod): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level)
  }

  private log (level: LogMethod, args: unknown[]): void {
    if (!this.enabled(level)) return
    const logger = this.logger()
    ;(logger[level] as (...a: unknown[]) => void).apply(logger, args)
  }

  get level (): string { return (this.made ?? this.parent).level }
  set level (level: string) { this.logger().level = level }

  fatal (...args: unknown[]): void { this.log('fatal', args) }
  error (...args: unknown[]): void { this.log('error', args) }
  warn (...args: unknown[]): void { this.log('warn', args) }
  info (...args: unknown[]): void { this.log('info', args) }
  debug (...args: unknown[]): void { this.log('debug', args) }
  trace (...args: unknown[]): void { this.log('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: Record<string, unknown>): FastifyBaseLogger {
    return this.logger().child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: each request's logger, made lazily (see RequestLogger). */
export const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => {
  if (Object.keys(options).length > 0) return logger.child(bindings, options)
  return new RequestLogger(logger as Logger, bindings) as unknown as FastifyBaseLogger
}

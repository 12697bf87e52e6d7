import { Type, type Static } from '@sinclair/typebox'

const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback })
const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
const PostgresUrl = Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5432/showfloor' })
const RedisUrl = Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' })
const PublicUrl = Type.Optional(Type.String({ pattern: '^https?://' }))
// "true" (trust every hop), a comma-separated list of proxy addresses or CIDR ranges, or "false".
const TrustProxy = Type.String({ default: 'false', minLength: 1 })
/** BullMQ's key prefix: producers and workers of one installation must use the same one. */
const QueuePrefix = Type.String({ default: 'showfloor', minLength: 1, pattern: '^[A-Za-z0-9:_.-]+$' })

/**
 * `true` lets webhooks call loopback, private, link-local and multicast addresses (a development
 * machine, a receiver on the same network); refused otherwise, at creation and at delivery.
 */
const WebhookAllowPrivate = Type.Boolean({ default: false })

/** How every service waits for PostgreSQL and writes its log. */
const Operations = {
  /** Longest wait for a PostgreSQL connection; past it a request answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120000, default: 5000 }),
  /** Longest run of one SQL statement; past it a request answers 503. */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3600000, default: 10000 }),
  /** `pretty` (one readable line per request) or `json`; unset: pretty on a terminal, json otherwise. */
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('pretty'), Type.Literal('json')]))
}

/** The failed-login limiter of access codes, shared by the App API and the portal: the same in both. */
const AccessLimiterSettings = {
  /** Prefix of the limiter's Redis keys; the App API and the portal must use the same one. */
  REDIS_PREFIX: Type.String({ default: 'showfloor', minLength: 1, pattern: '^[A-Za-z0-9:_.-]+$' }),
  /**
   * Longest wait for Redis in the limiter, on every scan or login of a code this process has not
   * seen work yet: past it the limiter fails open, so a hung Redis costs a request this much, no more.
   */
  AUTH_LIMITER_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 5000, default: 200 })
}

/** PostgreSQL connections per process: with several processes, split what the database serves well. */
const PoolSize = Type.Integer({ minimum: 1, maximum: 200, default: 10 })

export const AdminApiEnv = Type.Object({
  ADMIN_API_PORT: Port(8001),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  PUBLIC_ADMIN_URL: PublicUrl,
  QUEUE_PREFIX: QueuePrefix,
  /** How long send_access_code waits for the mail to be accepted before answering 503. */
  ACCESS_CODE_MAIL_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 120000, default: 15000 }),
  /**
   * How long a request holds its X-Idempotency-Key without renewing it (it renews while it runs):
   * after a crash, a retry with the key takes it over once this has passed.
   */
  IDEMPOTENCY_LEASE_MS: Type.Integer({ minimum: 200, maximum: 600000, default: 60000 }),
  WEBHOOK_ALLOW_PRIVATE: WebhookAllowPrivate,
  TRUST_PROXY: TrustProxy,
  LOG_LEVEL: LogLevel,
  ...Operations
})
export type AdminApiEnv = Static<typeof AdminApiEnv>

export const AppApiEnv = Type.Object({
  APP_API_PORT: Port(8002),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  PUBLIC_APP_URL: PublicUrl,
  ...AccessLimiterSettings,
  TRUST_PROXY: TrustProxy,
  DATABASE_POOL_SIZE: PoolSize,
  LOG_LEVEL: LogLevel,
  ...Operations
})
export type AppApiEnv = Static<typeof AppApiEnv>

export const WorkerEnv = Type.Object({
  WORKER_PORT: Port(8003),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_DIR: Type.String({ default: './var/mail', minLength: 1 }),
  MAIL_FROM: Type.String({ default: 'showfloor@localhost', minLength: 3 }),
  PUBLIC_ADMIN_URL: PublicUrl,
  PUBLIC_APP_URL: PublicUrl,
  QUEUE_PREFIX: QueuePrefix,
  /**
   * Longest time one SMTP delivery may take to hand the message over. The worker starts an
   * access-code mail only while the waiting request has more than this (plus a second) left, so a
   * mail is never sent after its request gave up; the server's confirmation is awaited until just
   * before that deadline.
   */
  MAIL_SEND_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 5000 }),
  /**
   * The outbox relay's pause after a poll that did not fill a batch: the longest a change waits to
   * become a job. Longer gathers bigger batches under load (less CPU per lead), and adds as much to
   * every job's start and to a webhook's delivery.
   */
  OUTBOX_POLL_MS: Type.Integer({ minimum: 10, maximum: 10000, default: 250 }),
  /** How often the reconciler looks for work whose effect is missing (a job Redis lost). */
  RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 3600000, default: 30000 }),
  /** How long work may lack its effect before the reconciler queues it again. */
  RECONCILE_AFTER_MS: Type.Integer({ minimum: 1000, maximum: 86400000, default: 60000 }),
  WEBHOOK_ALLOW_PRIVATE: WebhookAllowPrivate,
  LOG_LEVEL: LogLevel,
  ...Operations
})
export type WorkerEnv = Static<typeof WorkerEnv>

export const PortalEnv = Type.Object({
  PORTAL_PORT: Port(8004),
  HOST: Type.String({ default: '0.0.0.0' }),
  NODE_ENV: Type.Optional(Type.String()),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  PUBLIC_PORTAL_URL: PublicUrl,
  /**
   * Signs the session and CSRF cookies (use at least 32 random characters; a shorter one is
   * logged as a warning). Required when NODE_ENV is production; otherwise a random one is made at
   * start (sessions then end with the process).
   */
  PORTAL_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ...AccessLimiterSettings,
  TRUST_PROXY: TrustProxy,
  DATABASE_POOL_SIZE: PoolSize,
  LOG_LEVEL: LogLevel,
  ...Operations
})
export type PortalEnv = Static<typeof PortalEnv>

/** The command line: only what it reads (the database, and the URLs the demo seeder prints). */
export const CliEnv = Type.Object({
  DATABASE_URL: PostgresUrl,
  ADMIN_API_PORT: Port(8001),
  APP_API_PORT: Port(8002),
  PUBLIC_ADMIN_URL: PublicUrl,
  PUBLIC_APP_URL: PublicUrl
})
export type CliEnv = Static<typeof CliEnv>

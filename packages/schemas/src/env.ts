import { Type, type Static } from '@sinclair/typebox'

const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback })
const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
const PostgresUrl = Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5432/showfloor' })
const RedisUrl = Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' })
const PublicUrl = Type.Optional(Type.String({ pattern: '^https?://' }))

export const AdminApiEnv = Type.Object({
  ADMIN_API_PORT: Port(8001),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  PUBLIC_ADMIN_URL: PublicUrl,
  LOG_LEVEL: LogLevel
})
export type AdminApiEnv = Static<typeof AdminApiEnv>

export const AppApiEnv = Type.Object({
  APP_API_PORT: Port(8002),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: PostgresUrl,
  REDIS_URL: RedisUrl,
  PUBLIC_APP_URL: PublicUrl,
  LOG_LEVEL: LogLevel
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
  LOG_LEVEL: LogLevel
})
export type WorkerEnv = Static<typeof WorkerEnv>

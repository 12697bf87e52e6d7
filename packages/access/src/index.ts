export { AccessLimiter, throttledDetail, type AccessLimiterLog, type AccessLimiterOptions } from './limiter.js'
export * from './redisPlugin.js'

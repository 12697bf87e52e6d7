export { buildHealthApp } from './health.js'
export { createRedis, connectRedis, pingRedis, closeRedis } from './redis.js'

export {
  REDIS_TIMEOUTS, RedisOutageLog, closeRedis, connectRedis, createProducerRedis, createRedis, pingRedis,
  type ProducerRedisOptions, type QueueLog
} from './redis.js'
export { closeProducers, createProducers, createQueue, type Producers } from './queues.js'

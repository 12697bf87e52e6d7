// The private redis-server lives with the queue plumbing, for every service's fault tests.
export { privateRedis, type PrivateRedis } from '@showfloor/queue/testing'

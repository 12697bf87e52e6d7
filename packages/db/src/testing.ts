// Test support shared by every package's tests and the benchmarks: databases of their own, seeders,
// a mail server, Redis clean-up and processes started from source.
export * from './testing/database.js'
export * from './testing/fixtures.js'
export * from './testing/processes.js'
export * from './testing/redis.js'
export * from './testing/show.js'
export * from './testing/smtpSink.js'
export * from './unresponsivePostgres.js'
export * from './testing/httpEdges.js'

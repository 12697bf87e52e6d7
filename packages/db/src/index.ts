export * from './types.js'
export * from './database.js'
export * from './migrate.js'
export * as queries from './queries/index.js'

import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type Compilable } from 'kysely'
import type { Db } from './database.js'
import { poolOf } from './database.js'
import type { Database } from './types.js'

// Builds and compiles queries only; it never connects (Kysely's recipe for splitting building from running).
const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler()
  }
})

/** Stands in for an argument while the query is built; the builder binds it like any value. */
class Param {
  constructor (readonly key: string) {}
}

export type Statement<P, R> = (db: Db, args: P) => Promise<R[]>

/**
 * A query built and compiled once, at module load, and run as the named statement `name`, which
 * PostgreSQL plans once per connection. `build` gets a builder (for the typed `Database`) and
 * stand-ins for the arguments: reading `params.x` yields a marker typed as `P['x']` that the
 * builder binds like a value, so compiling turns it into a `$n` placeholder. Each call then puts
 * the arguments where their markers sit in the compiled parameter list; any other value the query
 * binds is a constant. The rows' type is the query's result type.
 */
export function prepared<P extends object, R> (name: string, build: (db: Kysely<Database>, params: P) => Compilable<R>): Statement<P, R> {
  const params = new Proxy({}, { get: (_, key) => new Param(String(key)) }) as P
  const { sql: text, parameters } = build(builder, params).compile()
  const slots = parameters.map((value) => value instanceof Param ? value : { value })
  return async (db, args) => {
    const values = slots.map((slot) => slot instanceof Param ? args[slot.key as keyof P] : slot.value)
    const { rows } = await poolOf(db).query({ name, text, values })
    return rows as R[]
  }
}

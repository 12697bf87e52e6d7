import pg from 'pg'
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type Compilable } from 'kysely'
import type { Db } from './database.js'
import { poolOf, types } from './database.js'
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

/** A statement with its arguments in place, as pg's query config takes it. */
export interface BoundStatement { name: string, text: string, values: unknown[] }

export interface Statement<P, R> {
  (db: Db, args: P): Promise<R[]>
  bind: (args: P) => BoundStatement
  /** Runs it on one connection: a transaction's (see `inTransaction`). */
  on: (client: pg.ClientBase, args: P) => Promise<R[]>
}

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
  const bind = (args: P): BoundStatement =>
    ({ name, text, values: slots.map((slot) => slot instanceof Param ? args[slot.key as keyof P] : slot.value) })
  const on = async (client: pg.Pool | pg.ClientBase, args: P): Promise<R[]> => await runBound<R>(client, bind(args))
  return Object.assign(async (db: Db, args: P) => await on(poolOf(db), args), { bind, on })
}

/**
 * A bound statement run as the named statement it is, on the pool or on one connection: scalars
 * through KnownRows, anything else (arrays) through pg's own query, which names it as well.
 */
export async function runBound<R> (client: pg.Pool | pg.ClientBase, statement: BoundStatement): Promise<R[]> {
  if (!statement.values.every(isScalar)) return (await client.query(statement)).rows as R[]
  // A query object of its own gets no promise from pg (a client hands it back as it is): its callback
  // is the answer, set by the pool's query or given here to the client's.
  return await new Promise<R[]>((resolve, reject) => {
    const answered = (err: Error | null, result?: { rows: unknown[] }) => { if (err) reject(err); else resolve(result!.rows as R[]) }
    const query = client.query as unknown as (q: KnownRows, callback: typeof answered) => void
    query.call(client, new KnownRows(statement), answered)
  })
}

/**
 * Runs `work` in a transaction on one connection of the pool, for work whose statements are named
 * (prepared: planned once per connection), which a Kysely transaction cannot run. Commits when
 * `work` resolves, rolls back when it throws; a connection that failed to roll back is dropped.
 */
export async function inTransaction<T> (db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect()
  let result: T
  try {
    await client.query('begin')
    result = await work(client)
    await client.query('commit')
  } catch (err) {
    try {
      await client.query('rollback')
      client.release()
    } catch {
      client.release(true)
    }
    throw err
  }
  client.release()
  return result
}

function isScalar (value: unknown): value is string | number | boolean | null | undefined {
  return value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

/**
 * The columns of a named statement's rows, and each one's parser, as a connection learnt them; and
 * an empty row with every column, which each row is copied from (all rows then share one shape).
 */
interface RowShape { names: string[], parsers: Array<(text: string) => unknown>, empty: Record<string, null> }

// Row shapes per connection and statement name: they live and die with the connection, where the
// statement was parsed.
const rowShapes = new WeakMap<pg.Connection, Map<string, RowShape>>()

/**
 * A named statement run as pg runs one (parsed once per connection, bound, executed, synced), except
 * that it asks for the rows' description only the first time on a connection: pg asks every time
 * and builds the description's fields and parsers for every result again, work (and memory, about
 * 8 KB for the scan upload's 25 columns) repeated on every call of the hot path. A statement's
 * columns cannot change while it stays parsed on a connection. Only scalar values are bound this
 * way (what pg would send as their text); anything else goes through pg's own query.
 */
class KnownRows implements pg.Submittable {
  readonly name: string
  readonly text: string
  /** Set by pg's client: the pool's callback, wrapped with the query timeout's. */
  callback?: (err: Error | null, result?: { rows: unknown[] }) => void
  private shape: RowShape | undefined
  private shapes: Map<string, RowShape> | undefined
  private readonly rows: unknown[] = []

  constructor (private readonly statement: BoundStatement) {
    this.name = statement.name
    this.text = statement.text
  }

  submit (connection: pg.Connection): void {
    let shapes = rowShapes.get(connection)
    if (shapes === undefined) {
      shapes = new Map()
      rowShapes.set(connection, shapes)
    }
    this.shapes = shapes
    this.shape = shapes.get(this.name)
    // pg's records of the statements parsed (or sent for parsing) on the connection, shared with its
    // own queries; kept as pg keeps them: it moves this one to `parsedStatements` when the server
    // confirms the parse, from this query's `name` and `text`.
    const known = connection as unknown as { parsedStatements: Record<string, string>, submittedNamedStatements: Record<string, string> }
    const values = this.statement.values.map((value) => value === null || value === undefined ? null : String(value))
    connection.stream.cork()
    try {
      if (known.parsedStatements[this.name] === undefined && known.submittedNamedStatements[this.name] === undefined) {
        connection.parse({ name: this.name, text: this.text, types: [] }, true)
        known.submittedNamedStatements[this.name] = this.text
      }
      connection.bind({ statement: this.name, values }, true)
      if (this.shape === undefined) connection.describe({ type: 'P', name: '' }, true)
      connection.execute({}, true)
      connection.sync()
    } finally {
      connection.stream.uncork()
    }
  }

  handleRowDescription (msg: { fields: Array<{ name: string, dataTypeID: number, format: string }> }): void {
    const names = msg.fields.map((field) => field.name)
    const empty: Record<string, null> = {}
    for (const name of names) empty[name] = null
    this.shape = {
      names,
      parsers: msg.fields.map((field) => types.getTypeParser(field.dataTypeID, field.format as 'text') as (text: string) => unknown),
      empty
    }
    this.shapes!.set(this.name, this.shape)
  }

  handleDataRow (msg: { fields: Array<string | null> }): void {
    const { names, parsers, empty } = this.shape!
    const row: Record<string, unknown> = { ...empty }
    for (let i = 0; i < names.length; i++) {
      const text = msg.fields[i]
      row[names[i]] = text === null ? null : parsers[i](text)
    }
    this.rows.push(row)
  }

  handleReadyForQuery (): void {
    this.callback?.(null, { rows: this.rows })
  }

  /** pg stops routing messages to a query after its error: the answer is given here. */
  handleError (err: Error): void {
    this.callback?.(err)
  }

  handleCommandComplete (): void {}
  handleEmptyQuery (): void {}
  handlePortalSuspended (): void {}
}

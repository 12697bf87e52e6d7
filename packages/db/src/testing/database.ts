import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createDb, type Db } from '../database.js'
import { migrateDatabase } from '../migrate.js'

export interface TestDatabase {
  url: string
  name: string
  db: Db
  drop: () => Promise<void>
}

function serverUrl (): URL {
  return new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/showfloor')
}

/**
 * A fresh, migrated database of its own for one test file, so files run in parallel and leave
 * nothing behind: `drop()` removes it.
 */
export async function createTestDatabase (label = 'test'): Promise<TestDatabase> {
  const name = `showfloor_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`
  const url = serverUrl()
  url.pathname = '/' + name
  await migrateDatabase(url.toString())
  const db = createDb(url.toString(), { max: 5 })
  return {
    url: url.toString(),
    name,
    db,
    drop: async () => {
      await db.destroy()
      await dropDatabase(name)
    }
  }
}

export async function dropDatabase (name: string): Promise<void> {
  const url = serverUrl()
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`)
  } finally {
    await client.end()
  }
}

/** A BullMQ/Redis key prefix of its own for one test file. */
export function testPrefix (label = 'test'): string {
  return `showfloor-test-${label}-${randomBytes(4).toString('hex')}`
}

/**
 * Reading list filters from the query string the way pretix's filter sets read them, so a client
 * written for pretix gets the same rows and the same errors: an empty value filters nothing, a
 * boolean it does not recognise filters nothing, and a value of the wrong kind is a 400 field error.
 */

import { MAX_ID } from './common.js'

export type FilterErrors = Record<string, string[]>

/** Collects field errors while a query is read; `ok` is false once any was added. */
export class FilterReader {
  readonly errors: FilterErrors = {}

  constructor (private readonly query: Record<string, unknown>) {}

  get ok (): boolean {
    return Object.keys(this.errors).length === 0
  }

  fail (field: string, message: string): undefined {
    (this.errors[field] ??= []).push(message)
    return undefined
  }

  /** The parameter's text; an empty value is no filter. A repeated parameter counts with its last value. */
  text (field: string): string | undefined {
    let raw = this.query[field]
    if (Array.isArray(raw)) raw = raw[raw.length - 1]
    if (typeof raw !== 'string' || raw === '') return undefined
    return raw
  }

  /** true/false or 1/0 in any case; anything else filters nothing, as a BooleanFilter does. */
  boolean (field: string): boolean | undefined {
    const raw = this.text(field)?.toLowerCase()
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    return undefined
  }

  /**
   * A decimal number, as text for a numeric comparison in SQL. `null` when its exponent puts it
   * far beyond any stored value (and beyond what PostgreSQL's numeric takes): it can match no row.
   */
  number (field: string): string | null | undefined {
    const raw = this.text(field)?.trim()
    if (raw === undefined) return undefined
    const match = /^[+-]?(\d+(\.\d*)?|\.\d+)(e([+-]?\d+))?$/i.exec(raw)
    if (!match) return this.fail(field, 'Enter a number.')
    if (match[4] !== undefined && Math.abs(Number(match[4])) > 1000) return null
    return raw
  }

  /**
   * An object id. Malformed: the field error pretix gives for a choice that names nothing. A
   * well-formed id beyond the id range is `null`: it can match no row.
   */
  id (field: string): number | null | undefined {
    const raw = this.text(field)?.trim()
    if (raw === undefined) return undefined
    if (!/^\+?\d+$/.test(raw)) return this.fail(field, 'Select a valid choice. That choice is not one of the available choices.')
    const id = Number(raw)
    return id >= 1 && id <= MAX_ID ? id : null
  }

  /** One of a fixed list of values. */
  choice<T extends string> (field: string, choices: readonly T[]): T | undefined {
    const raw = this.text(field)
    if (raw === undefined) return undefined
    if (!(choices as readonly string[]).includes(raw)) return this.fail(field, `Select a valid choice. ${raw} is not one of the available choices.`)
    return raw as T
  }

  /**
   * An ISO 8601 date-time (or date); without an offset it is taken as UTC. Answered as ISO text
   * with an offset, for PostgreSQL to read with its microseconds (a Date would keep milliseconds).
   */
  dateTime (field: string): string | undefined {
    const raw = this.text(field)?.trim()
    if (raw === undefined) return undefined
    const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(raw)
    // Year 0 exists for Date, but neither for pretix's parser nor for PostgreSQL.
    if (!match || match[1].startsWith('0000')) return this.fail(field, 'Enter a valid date/time.')
    const [, date, time = '00:00', zone = 'Z'] = match
    const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone
    const parsed = new Date(`${date}T${time}${offset}`)
    // The pattern admits impossible dates (2026-02-31); Date rolls them over, so compare back.
    if (Number.isNaN(parsed.getTime()) || !sameCalendarDate(date, time, offset, parsed)) return this.fail(field, 'Enter a valid date/time.')
    return `${date}T${time}${offset}`
  }

  /**
   * `ordering=field,-other`: the known fields in the order given; unknown ones are dropped, and
   * none left means the default order.
   */
  ordering<T extends string> (field: string, allowed: readonly T[]): Array<{ field: T, descending: boolean }> {
    const raw = this.text(field)
    if (raw === undefined) return []
    return raw.split(',').map((term) => term.trim()).flatMap((term) => {
      const descending = term.startsWith('-')
      const name = descending ? term.slice(1) : term
      return (allowed as readonly string[]).includes(name) ? [{ field: name as T, descending }] : []
    })
  }
}

function sameCalendarDate (date: string, time: string, offset: string, parsed: Date): boolean {
  const minutes = offset === 'Z' ? 0 : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)))
  const local = new Date(parsed.getTime() + minutes * 60_000).toISOString()
  return local.slice(0, 10) === date && local.slice(11, 16) === time.slice(0, 5)
}

// Times in files are the event's local wall clock. Intl's formatter is slow per call, and a zone's
// offset only ever changes on a quarter hour, so offsets are computed once per zone and quarter hour.

const QUARTER_HOUR = 15 * 60 * 1000
const formatters = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, number>()

function formatter (timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone)
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    })
    formatters.set(timeZone, found)
  }
  return found
}

/** The zone's offset from UTC in milliseconds at `ms`. */
function offsetAt (timeZone: string, ms: number): number {
  const slot = Math.floor(ms / QUARTER_HOUR)
  const key = `${timeZone}|${slot}`
  let offset = offsets.get(key)
  if (offset === undefined) {
    const start = slot * QUARTER_HOUR
    const parts: Record<string, number> = {}
    for (const part of formatter(timeZone).formatToParts(new Date(start))) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value)
    }
    offset = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - start
    // Bounded: a long export walks through a few thousand quarter hours at most.
    if (offsets.size > 100000) offsets.clear()
    offsets.set(key, offset)
  }
  return offset
}

/**
 * A Date whose UTC fields hold the wall-clock time of `at` in `timeZone` (what a spreadsheet date
 * cell stores: it has no zone).
 */
export function wallClock (at: Date, timeZone: string): Date {
  const ms = at.getTime()
  return new Date(ms + offsetAt(timeZone, ms))
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function localDate (at: Date, timeZone: string): string {
  const wall = wallClock(at, timeZone)
  return `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`
}

/** `YYYY-MM-DD HH:MM` of `at` in `timeZone`. */
export function localMinute (at: Date, timeZone: string): string {
  const wall = wallClock(at, timeZone)
  return `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`
}

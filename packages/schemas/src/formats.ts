/** Datetimes leave the system as ISO 8601 with a numeric offset: 2021-07-06T10:03:31.414000+00:00. */
export function isoDateTime (value: Date | string): string
export function isoDateTime (value: Date | string | null): string | null
export function isoDateTime (value: Date | string | null): string | null {
  if (value === null) return null
  const date = value instanceof Date ? value : new Date(value)
  return date.toISOString().replace('Z', '+00:00')
}

/** Money as pretix writes it: a string with two decimals. */
export function decimal (value: string | number): string {
  return typeof value === 'number' ? value.toFixed(2) : Number(value).toFixed(2)
}

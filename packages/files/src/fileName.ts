import type { FileFormat } from './formats.js'
import { localDate } from './wallClock.js'

/**
 * Lower-case ASCII letters and digits joined by `-` ("Müller & Söhne GmbH" → "muller-sohne-gmbh"):
 * accents are dropped, everything else separates words.
 */
export function slugify (text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
}

/**
 * `<part>-<part>-...-<YYYY-MM-DD>.<format>`, each part slugged and empty parts left out, the date of
 * `at` in `timeZone`: `fileName(['democon', 'Acme Inc.', 'leads'], now, 'Europe/Berlin', 'csv')` →
 * `democon-acme-inc-leads-2026-11-30.csv`.
 */
export function fileName (parts: readonly string[], at: Date, timeZone: string, format: FileFormat): string {
  const words = parts.map(slugify).filter((part) => part !== '')
  return `${[...words, localDate(at, timeZone)].join('-')}.${format}`
}

import { de } from './de.js'
import { en, type Catalogue, type MessageKey } from './en.js'

export type { MessageKey } from './en.js'
export const LANGUAGES = ['en', 'de'] as const
export type Language = typeof LANGUAGES[number]

const catalogues: Record<Language, Catalogue> = { en, de }

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

/** The catalogue's text for `key` in `lang`, with its {placeholders} filled in. */
export function translator (lang: Language): Translate {
  const catalogue = catalogues[lang]
  return (key, params) => {
    const text = catalogue[key]
    return params === undefined ? text : text.replace(/\{(\w+)\}/g, (whole, name: string) => name in params ? String(params[name]) : whole)
  }
}

export function isLanguage (value: unknown): value is Language {
  return value === 'en' || value === 'de'
}

/** The supported language of a locale such as "de-AT" or "de_formal", else undefined. */
export function languageOf (locale: string | null | undefined): Language | undefined {
  const lang = (locale ?? '').toLowerCase().split(/[-_]/)[0]
  return isLanguage(lang) ? lang : undefined
}

/** The supported language the browser prefers most (Accept-Language, with its q weights), else undefined. */
export function fromAcceptLanguage (header: string | undefined): Language | undefined {
  if (header === undefined) return undefined
  let best: { lang: Language, q: number } | undefined
  for (const part of header.slice(0, 1000).split(',')) {
    const [tag, ...params] = part.trim().split(';')
    const lang = languageOf(tag.trim())
    if (lang === undefined) continue
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!Number.isFinite(q) || q <= 0) continue
    if (best === undefined || q > best.q) best = { lang, q }
  }
  return best?.lang
}

import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** Multi-language text, as pretix sends it: {"en": "...", "de": "..."}. */
export const I18nString = Type.Record(Type.String({ minLength: 2, maxLength: 10 }), Type.String(), {
  description: 'Multi-language text, keyed by locale',
  examples: [{ en: 'Sample conference', de: 'Beispielkonferenz' }]
})
export type I18nText = Static<typeof I18nString>

export const DateTimeString = Type.String({ format: 'date-time', description: 'ISO 8601 with a time zone offset' })
export const DecimalString = Type.String({ pattern: '^-?\\d{1,11}(\\.\\d{1,2})?$', description: 'Decimal amount as a string, e.g. "12.00"' })
/** Money accepted as a string or number on input, always answered as a string. */
export const DecimalInput = Type.Union([DecimalString, Type.Number()])

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Slug = Type.String({ pattern: '^[a-z0-9.-]{1,50}$', minLength: 1, maxLength: 50 })

/** The largest id an `integer` column holds. */
export const MAX_ID = 2147483647

/** An object id sent in a body (a JSON number). */
export const ObjectId = Type.Integer({ minimum: 1, maximum: MAX_ID })

/**
 * An object id in a URL. URL integers are digits only (see the validator compiler in
 * @showfloor/http), as pretix's `\d+` routes: `5.0`, `+5`, `1e3` or `0` name no object and answer
 * 404 like an unknown id, and so does an id past the column's range.
 */
export const IdParam = Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Object id: digits only' })

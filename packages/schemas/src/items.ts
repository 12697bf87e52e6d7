import { Type, type Static } from '@sinclair/typebox'
import { DecimalInput, DecimalString, I18nString, IdParam } from './common.js'
import { PageQuery } from './pagination.js'
import { decimal } from './formats.js'

export const ItemSchema = Type.Object({
  id: Type.Integer(),
  name: I18nString,
  default_price: DecimalString,
  active: Type.Boolean()
}, { title: 'Item' })
export type ItemBody = Static<typeof ItemSchema>

const itemFields = {
  name: I18nString,
  default_price: DecimalInput,
  active: Type.Boolean()
}

/** `default_price` defaults to "0.00", `active` to true. */
export const ItemCreateSchema = Type.Object({
  name: itemFields.name,
  default_price: Type.Optional(itemFields.default_price),
  active: Type.Optional(itemFields.active)
})
export type ItemCreate = Static<typeof ItemCreateSchema>

export const ItemUpdateSchema = Type.Partial(Type.Object(itemFields))
export type ItemUpdate = Static<typeof ItemUpdateSchema>

export const ItemParams = Type.Object({ organizer: Type.String(), event: Type.String(), id: IdParam })

export const ItemListQuery = Type.Object({
  ...PageQuery.properties,
  active: Type.Optional(Type.String({ description: 'Only active (true) or inactive (false) items' }))
})

/**
 * Checks a money amount that passed DecimalInput and returns it as a canonical decimal string, or
 * the message pretix's DecimalField (13 digits, 2 places) answers. Strings are checked by the
 * schema's pattern already; numbers are checked here since JSON numbers carry no scale.
 */
export function parseDecimal (input: string | number, options: { min?: number } = {}): { value: string } | { error: string } {
  let value: string
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { error: 'A valid number is required.' }
    if (Math.abs(input) >= 1e11) return { error: 'Ensure that there are no more than 11 digits before the decimal point.' }
    if (Math.round(input * 100) / 100 !== input) return { error: 'Ensure that there are no more than 2 decimal places.' }
    value = input.toFixed(2)
  } else {
    value = decimal(input)
  }
  if (options.min !== undefined && Number(value) < options.min) {
    return { error: `Ensure this value is greater than or equal to ${options.min}.` }
  }
  return { value }
}

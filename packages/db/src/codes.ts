import { randomInt } from 'node:crypto'

/** Exhibitor access codes: no 0/O, 1/I to misread on a badge or a phone keyboard. */
export const ACCESS_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** `length` characters of `alphabet`, each drawn from a cryptographic random source. */
export function randomCode (alphabet: string, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)]
  return out
}

export const generateAccessCode = (): string => randomCode(ACCESS_CODE_ALPHABET, 8)
/** The badge code that lead scanning uses: 10 upper-case characters or digits, as in pretix. */
export const generatePseudonymizationId = (): string => randomCode(UPPER_ALNUM, 10)
export const generateOrderCode = (): string => randomCode(UPPER_ALNUM, 5)
/** Ticket barcode content, 32 characters like pretix's default secrets. */
export const generateSecret = (): string => randomCode(LOWER_ALNUM, 32)
export const generateVoucherCode = (): string => randomCode(ACCESS_CODE_ALPHABET, 16)

/** Whether a database error is a unique violation (optionally of one constraint), so a collision can be retried. */
export function isUniqueViolation (err: unknown, constraint?: string): boolean {
  const e = err as { code?: string, constraint?: string }
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint)
}

import type { AccessLimiter } from '@showfloor/access'
import { queries, type Db } from '@showfloor/db'

export const MAX_CODE_LENGTH = 255

export type LoginResult =
  | { kind: 'ok', exhibitorId: number, accessCode: string }
  | { kind: 'empty' }
  | { kind: 'tooLong' }
  | { kind: 'throttled', retryAfter: number }
  | { kind: 'invalid' }
  | { kind: 'scanningCode' }

/**
 * A login with an access code, under the App API's rules: codes compare case-insensitively after
 * trimming; the shared limiter decides first (a blocked address gets 429 before any lookup); an
 * unknown code counts as a failure; a code that is found, of either kind, counts as having worked
 * from this address (as in the App API, where both kinds authenticate). Only the full access code
 * logs in.
 */
export async function logIn (db: Db, limiter: AccessLimiter, ip: string, input: unknown): Promise<LoginResult> {
  const code = typeof input === 'string' ? input.trim().toUpperCase() : ''
  if (code === '') return { kind: 'empty' }
  if (code.length > MAX_CODE_LENGTH) return { kind: 'tooLong' }
  const retryAfter = await limiter.check(ip, code)
  if (retryAfter !== null) return { kind: 'throttled', retryAfter }
  // PostgreSQL cannot hold a NUL character: such a code exists nowhere.
  const found = code.includes('\u0000') ? undefined : await queries.accessCodes.findByAccessCode(db, code)
  if (found === undefined) {
    await limiter.recordFailure(ip)
    return { kind: 'invalid' }
  }
  await limiter.recordSuccess(ip, code)
  if (!found.fullAccess) return { kind: 'scanningCode' }
  return { kind: 'ok', exhibitorId: found.exhibitorId, accessCode: code }
}

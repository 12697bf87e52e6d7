import { generateAccessCode, isUniqueViolation, queries, type Db } from '@showfloor/db'

const MAX_ATTEMPTS = 20

/**
 * Replaces the exhibitor's scanning-only code with a new one from the admin API's generator, in
 * `exhibitors` and in `exhibitor_access_codes` at once: the old code stops working for every App
 * API process on its next request. A code that collides with any other is drawn again. The new
 * code, or undefined when the exhibitor is gone.
 */
export async function newStaffCode (db: Db, exhibitorId: number, generate: () => string = generateAccessCode): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const code = generate()
    try {
      return await queries.portalExhibitors.replaceScanningCode(db, exhibitorId, code) ? code : undefined
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) throw err
    }
  }
}

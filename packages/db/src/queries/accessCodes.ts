import type { Db } from '../database.js'
import { poolOf } from '../database.js'

export interface ExhibitorSession {
  exhibitorId: number
  eventId: number
  fullAccess: boolean
  name: string
  booth: string | null
  locale: string
  allowLeadScanning: boolean
  allowLeadAccess: boolean
  allowVoucherAccess: boolean
  scopeByDevice: boolean
}

const FIND = `
  select c.full_access, e.id, e.event_id, e.name, e.booth, e.locale, e.allow_lead_scanning,
         e.allow_lead_access, e.allow_voucher_access, e.lead_scanning_scope_by_device
  from exhibitor_access_codes c join exhibitors e on e.id = c.exhibitor_id
  where c.code = $1`

/** The exhibitor an App API code belongs to (either kind), by the codes' primary key. */
export async function findByAccessCode (db: Db, code: string): Promise<ExhibitorSession | undefined> {
  const { rows } = await poolOf(db).query({ name: 'showfloor_find_access_code', text: FIND, values: [code] })
  const row = rows[0]
  if (!row) return undefined
  return {
    exhibitorId: row.id,
    eventId: row.event_id,
    fullAccess: row.full_access,
    name: row.name,
    booth: row.booth,
    locale: row.locale,
    allowLeadScanning: row.allow_lead_scanning,
    allowLeadAccess: row.allow_lead_access,
    allowVoucherAccess: row.allow_voucher_access,
    scopeByDevice: row.lead_scanning_scope_by_device
  }
}

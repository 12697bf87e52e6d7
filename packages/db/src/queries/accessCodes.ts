import type { Db } from '../database.js'
import { prepared } from '../prepared.js'

const find = prepared('showfloor_find_access_code', (db, p: { code: string }) => db
  .selectFrom('exhibitor_access_codes as c')
  .innerJoin('exhibitors as e', 'e.id', 'c.exhibitor_id')
  .select(['c.full_access', 'e.id', 'e.event_id', 'e.name', 'e.booth', 'e.locale', 'e.allow_lead_scanning',
    'e.allow_lead_access', 'e.allow_voucher_access', 'e.lead_scanning_scope_by_device'])
  .where('c.code', '=', p.code))

type Row = Awaited<ReturnType<typeof find>>[number]

function session (row: Row) {
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

export type ExhibitorSession = ReturnType<typeof session>

/** The exhibitor an App API code belongs to (either kind), by the codes' primary key. */
export async function findByAccessCode (db: Db, code: string): Promise<ExhibitorSession | undefined> {
  const [row] = await find(db, { code })
  return row === undefined ? undefined : session(row)
}

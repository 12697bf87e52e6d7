import { isUniqueViolation, queries, type Db, type Event, type ExhibitorUpdate } from '@showfloor/db'
import { displayName, type ExhibitorPatch, type ExhibitorWrite } from '@showfloor/schemas'
import { invalid } from '@showfloor/http'

// The exhibitor rules: defaults, the contact's name and addresses, tags named in the event.

type ExhibitorWithTags = queries.exhibitors.ExhibitorWithTags

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/
const INVALID_EMAIL = 'Enter a valid email address.'

const DEFAULTS = {
  internal_id: null,
  contact_email: null,
  contact_cc_email: null,
  booth: null,
  allow_lead_scanning: true,
  allow_lead_access: true,
  allow_voucher_access: true,
  lead_scanning_scope_by_device: false,
  comment: ''
} as const

function hasNameParts (parts: Record<string, string> | null | undefined): parts is Record<string, string> {
  return Object.entries(parts ?? {}).some(([key, value]) => key !== '_scheme' && value.trim() !== '')
}

/**
 * Checks a body and turns it into column values. `full` (POST, PUT) means fields not sent take
 * their defaults; otherwise (PATCH) only sent fields change. Tags are resolved by name in the event.
 */
async function columnsFrom (db: Db, event: Event, body: ExhibitorPatch, full: boolean): Promise<{ values: ExhibitorUpdate, tagIds: number[] | undefined }> {
  const errors: Record<string, string[]> = {}
  const values: ExhibitorUpdate = {}
  const sent = (key: keyof ExhibitorPatch) => body[key] !== undefined

  if (body.name !== undefined) {
    const name = body.name.trim()
    if (name === '') errors.name = ['This field may not be blank.']
    values.name = name
  }

  const legacyName = body.contact_name?.trim() ?? ''
  const parts = body.contact_name_parts
  // Both is a contradiction, unless the name is the one the parts give: a body read by GET and
  // sent back by PUT carries both, and must not be refused.
  if (legacyName !== '' && hasNameParts(parts) && legacyName !== displayName(parts)) {
    errors.contact_name = ['Do not specify contact_name if you specified contact_name_parts.']
  } else if (sent('contact_name') || sent('contact_name_parts')) {
    values.contact_name_parts = JSON.stringify(hasNameParts(parts) ? parts : legacyName !== '' ? { _legacy: legacyName } : (parts ?? {}))
  } else if (full) {
    values.contact_name_parts = '{}'
  }

  if (body.contact_email !== undefined) {
    const email = body.contact_email?.trim() ?? ''
    if (email !== '' && !EMAIL.test(email)) errors.contact_email = [INVALID_EMAIL]
    values.contact_email = email === '' ? null : email
  }
  if (body.contact_cc_email !== undefined) {
    const raw = body.contact_cc_email?.trim() ?? ''
    const emails = raw === '' ? [] : raw.split(',').map((e) => e.trim())
    const bad = emails.filter((e) => !EMAIL.test(e))
    if (bad.length > 0) errors.contact_cc_email = bad.map((e) => e === '' ? INVALID_EMAIL : `"${e}" is not a valid email address.`)
    values.contact_cc_email = emails.length === 0 ? null : emails.join(',')
  }

  for (const key of ['internal_id', 'booth', 'locale', 'comment', 'allow_lead_scanning', 'allow_lead_access', 'allow_voucher_access', 'lead_scanning_scope_by_device'] as const) {
    if (body[key] !== undefined) (values as Record<string, unknown>)[key] = body[key]
  }
  if (full) {
    for (const [key, value] of Object.entries(DEFAULTS)) {
      if (!(key in values)) (values as Record<string, unknown>)[key] = value
    }
    values.locale ??= event.locale
  }

  let tagIds: number[] | undefined
  if (body.exhibitor_tags !== undefined || full) {
    const names = body.exhibitor_tags ?? []
    const found = await queries.exhibitors.findTagsByName(db, event.id, names)
    const byName = new Map(found.map((t) => [t.name, t.id]))
    const unknown = [...new Set(names.filter((n) => !byName.has(n)))]
    if (unknown.length > 0) errors.exhibitor_tags = unknown.map((n) => `Object with name=${n} does not exist.`)
    tagIds = names.filter((n) => byName.has(n)).map((n) => byName.get(n)!)
  }

  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { values, tagIds }
}

/** POST: fields not sent take their defaults. */
export async function createExhibitor (db: Db, event: Event, body: ExhibitorWrite): Promise<ExhibitorWithTags> {
  const { values, tagIds } = await columnsFrom(db, event, body, true)
  // With its webhook notification, in one transaction. A collision of the generated access codes
  // aborts the transaction (its retry inside the query then fails too): the whole goes again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const created = await queries.exhibitors.createExhibitor(trx, { ...values, name: values.name!, event_id: event.id }, tagIds ?? [])
        await queries.webhooks.insertNotification(trx, event.id, 'showfloor.exhibitor.created', { exhibitor: created.id })
        return created
      })
    } catch (err) {
      const aborted = (err as { code?: string }).code === '25P02'
      if (attempt < 20 && (aborted || isUniqueViolation(err))) continue
      throw err
    }
  }
}

/** PUT (`replace`: fields not sent are reset to their defaults) and PATCH, in one transaction. */
export async function updateExhibitor (db: Db, event: Event, exhibitor: ExhibitorWithTags, body: ExhibitorPatch, replace: boolean): Promise<ExhibitorWithTags> {
  const { values, tagIds } = await columnsFrom(db, event, body, replace)
  await db.transaction().execute(async (trx) => {
    // The stored state before and after: a request that changes nothing notifies no webhook.
    const before = await queries.webhooks.exhibitorState(trx, exhibitor.id, true)
    await queries.exhibitors.updateExhibitor(trx, exhibitor.id, values)
    if (tagIds !== undefined) await queries.exhibitors.replaceTags(trx, exhibitor.id, tagIds)
    if (before !== await queries.webhooks.exhibitorState(trx, exhibitor.id, false)) {
      await queries.webhooks.insertNotification(trx, event.id, 'showfloor.exhibitor.changed', { exhibitor: exhibitor.id })
    }
  })
  return (await queries.exhibitors.findExhibitor(db, exhibitor.event_id, exhibitor.id))!
}

/** DELETE, with its webhook notification in the same transaction. */
export async function deleteExhibitor (db: Db, event: Event, exhibitorId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (await queries.exhibitors.deleteExhibitor(trx, exhibitorId)) {
      await queries.webhooks.insertNotification(trx, event.id, 'showfloor.exhibitor.deleted', { exhibitor: exhibitorId })
    }
  })
}

import { generateVoucherCode, isUniqueViolation, queries, type Db, type NewVoucher, type Voucher } from '@showfloor/db'
import { MAX_ID, parseDecimal, type PriceMode, type VoucherCreate } from '@showfloor/schemas'
import { HttpError, invalid, notFound } from '@showfloor/http'

// pretix's voucher rules: defaults, what a body may change, codes unique per event ignoring case.

type Errors = Record<string, string[]>

/** A voucher's writable fields in wire terms, once defaults or the stored values are filled in. */
interface VoucherState {
  /** null: generate one when storing. */
  code: string | null
  max_usages: number
  min_usages: number
  valid_until: string | Date | null
  block_quota: boolean
  allow_ignore_quota: boolean
  price_mode: PriceMode
  value: string | null
  item: number | null
  tag: string
  comment: string
  show_hidden_items: boolean
  all_addons_included: boolean
  all_bundles_included: boolean
}

/** pretix's defaults: what a create, or a PUT, gives every field it does not send. */
const DEFAULTS: VoucherState = {
  code: null,
  max_usages: 1,
  min_usages: 1,
  valid_until: null,
  block_quota: false,
  allow_ignore_quota: false,
  price_mode: 'none',
  value: null,
  item: null,
  tag: '',
  comment: '',
  show_hidden_items: true,
  all_addons_included: false,
  all_bundles_included: false
}

function stateOf (voucher: Voucher): VoucherState {
  return {
    code: voucher.code,
    max_usages: voucher.max_usages,
    min_usages: voucher.min_usages,
    valid_until: voucher.valid_until,
    block_quota: voucher.block_quota,
    allow_ignore_quota: voucher.allow_ignore_quota,
    price_mode: voucher.price_mode,
    value: voucher.value,
    item: voucher.item_id,
    tag: voucher.tag,
    comment: voucher.comment,
    show_hidden_items: voucher.show_hidden_items,
    all_addons_included: voucher.all_addons_included,
    all_bundles_included: voucher.all_bundles_included
  }
}

function columns (state: VoucherState) {
  return {
    code: state.code!,
    max_usages: state.max_usages,
    min_usages: state.min_usages,
    valid_until: state.valid_until,
    block_quota: state.block_quota,
    allow_ignore_quota: state.allow_ignore_quota,
    price_mode: state.price_mode,
    value: state.value,
    item_id: state.item,
    tag: state.tag,
    comment: state.comment,
    show_hidden_items: state.show_hidden_items,
    all_addons_included: state.all_addons_included,
    all_bundles_included: state.all_bundles_included
  }
}

const invalidPk = (value: unknown) => `Invalid pk "${String(value)}" - object does not exist.`
const CODE_TAKEN = 'A voucher with this code already exists.'
const DATETIME_FORMAT = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'

const BLOCKS_NOTHING = 'You need to select a specific product or quota if this voucher should reserve tickets.'

/** A voucher that reserves quota must say what it reserves: an item (there are no quotas here). */
function blocksNothing (state: VoucherState): boolean {
  return state.block_quota && state.item === null
}

interface Draft {
  state: VoucherState
  errors: Errors
  /** The body sent a code that must be checked against the event's other vouchers. */
  checkCode: boolean
}

/** Applies a body to a base state and checks everything that needs no database. */
function draft (body: VoucherCreate, base: VoucherState, redeemed: number): Draft {
  const errors: Errors = {}
  const add = (field: string, message: string) => { (errors[field] ??= []).push(message) }
  const state: VoucherState = { ...base }
  let checkCode = false

  if (body.code !== undefined) {
    // Surrounding whitespace is dropped, as pretix's serializer does.
    const code = body.code.trim()
    if (code.length < 5) add('code', 'Ensure this field has at least 5 characters.')
    else checkCode = true
    state.code = code
  }
  if (body.max_usages !== undefined) state.max_usages = body.max_usages
  if (body.min_usages !== undefined) state.min_usages = body.min_usages
  if (body.valid_until !== undefined) {
    // The date-time format admits year 0, which neither PostgreSQL nor pretix's parser accept.
    if (body.valid_until !== null && body.valid_until.startsWith('0000')) add('valid_until', DATETIME_FORMAT)
    state.valid_until = body.valid_until
  }
  if (body.block_quota !== undefined) state.block_quota = body.block_quota
  if (body.allow_ignore_quota !== undefined) state.allow_ignore_quota = body.allow_ignore_quota
  if (body.price_mode !== undefined) state.price_mode = body.price_mode
  if (body.show_hidden_items !== undefined) state.show_hidden_items = body.show_hidden_items
  if (body.all_addons_included !== undefined) state.all_addons_included = body.all_addons_included
  if (body.all_bundles_included !== undefined) state.all_bundles_included = body.all_bundles_included
  if (body.value !== undefined) {
    if (body.value === null) {
      state.value = null
    } else {
      const value = parseDecimal(body.value, { min: 0 })
      if ('error' in value) add('value', value.error)
      else state.value = value.value
    }
  }
  if (body.item !== undefined) {
    if (body.item !== null && (body.item < 1 || body.item > MAX_ID)) add('item', invalidPk(body.item))
    state.item = body.item
  }
  for (const field of ['tag', 'comment'] as const) {
    const text = body[field]
    if (text === undefined) continue
    state[field] = text
  }
  // Variations, quotas and event series do not exist here, so no id can name one.
  for (const field of ['variation', 'quota', 'subevent'] as const) {
    if (body[field] != null) add(field, invalidPk(body[field]))
  }
  if (body.seat != null) add('seat', `Object with seat_guid=${body.seat} does not exist.`)

  // Checks of the voucher as a whole run once its fields are valid, as pretix's do; the first that
  // fails is the answer.
  if (Object.keys(errors).length === 0 && blocksNothing(state)) {
    add('non_field_errors', BLOCKS_NOTHING)
  } else if (!errors.max_usages && !errors.min_usages) {
    if (state.max_usages < redeemed) {
      add('max_usages', `This voucher has already been redeemed ${redeemed} times. You cannot reduce the maximum number of usages below this number.`)
    } else if (state.min_usages > state.max_usages) {
      add('min_usages', 'The minimum number of usages may not be higher than the maximum number of usages.')
    }
  }
  return { state, errors, checkCode }
}

const hasErrors = (d: Draft) => Object.keys(d.errors).length > 0

/**
 * The checks that need the database, for all drafts in a few queries: codes taken in the event or
 * repeated in the request (the first use of a code wins), items of other events. Returns the
 * comparison keys of the codes in use by the request, so generated codes can avoid them.
 */
async function checkAgainstDb (db: Db, eventId: number, drafts: Draft[], exceptId: number | null): Promise<Set<string>> {
  const coded = drafts.filter((d) => d.checkCode)
  const checks = await queries.vouchers.checkCodes(db, eventId, coded.map((d) => d.state.code!), exceptId)
  const keys = new Set<string>()
  checks.forEach((check, i) => {
    const errors = coded[i].errors
    if (check.taken) (errors.code ??= []).push(CODE_TAKEN)
    else if (keys.has(check.key)) (errors.code ??= []).push('Duplicate voucher code in request.')
    keys.add(check.key)
  })

  const itemIds = [...new Set(drafts.flatMap((d) => d.state.item !== null && !d.errors.item ? [d.state.item] : []))]
  const found = await queries.items.existingItemIds(db, eventId, itemIds)
  for (const d of drafts) {
    if (d.state.item !== null && !d.errors.item && !found.has(d.state.item)) d.errors.item = [invalidPk(d.state.item)]
  }
  return keys
}

/** A race lost to another request (a code taken, an item deleted): checking again answers it properly. */
function retryable (err: unknown): boolean {
  return isUniqueViolation(err, 'vouchers_event_code_key') || (err as { code?: string })?.code === '23503'
}
const ATTEMPTS = 3

/** Creates all vouchers or none; errors as one object, or a list in input order for a list body. */
export async function createVouchers (db: Db, eventId: number, bodies: VoucherCreate[], listBody: boolean): Promise<Voucher[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const drafts = bodies.map((body) => draft(body, DEFAULTS, 0))
        const keys = await checkAgainstDb(trx, eventId, drafts, null)
        if (drafts.some(hasErrors)) throw invalid(listBody ? drafts.map((d) => d.errors) : drafts[0].errors)
        for (const d of drafts) {
          if (d.state.code !== null) continue
          let code = generateVoucherCode()
          while (keys.has(code)) code = generateVoucherCode()
          keys.add(code)
          d.state.code = code
        }
        const rows: NewVoucher[] = drafts.map((d) => ({ event_id: eventId, ...columns(d.state) }))
        return await queries.vouchers.createVouchers(trx, rows)
      })
    } catch (err) {
      if (attempt < ATTEMPTS && retryable(err)) continue
      throw err
    }
  }
}

/** PUT (`replace`: omitted fields reset to defaults) and PATCH, on the locked row. */
export async function updateVoucher (db: Db, eventId: number, id: number, body: VoucherCreate, replace: boolean): Promise<Voucher> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const voucher = await queries.vouchers.findVoucher(trx, eventId, id, { forUpdate: true })
        if (!voucher) throw notFound()
        const d = draft(body, replace ? DEFAULTS : stateOf(voucher), voucher.redeemed)
        await checkAgainstDb(trx, eventId, [d], voucher.id)
        if (hasErrors(d)) throw invalid(d.errors)
        return await queries.vouchers.updateVoucher(trx, voucher.id, columns(d.state))
      })
    } catch (err) {
      if (attempt < ATTEMPTS && retryable(err)) continue
      throw err
    }
  }
}

/** Deletes the voucher unless it was used (pretix's allow_delete). */
export async function deleteVoucher (db: Db, eventId: number, id: number): Promise<void> {
  const voucher = await queries.vouchers.findVoucher(db, eventId, id)
  if (!voucher) throw notFound()
  if (!(await queries.vouchers.deleteUnusedVoucher(db, voucher.id))) {
    throw new HttpError(400, { detail: 'This voucher can not be deleted as it has already been used.' })
  }
}

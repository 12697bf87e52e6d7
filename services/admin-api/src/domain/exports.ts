import { randomUUID } from 'node:crypto'
import { queries, type Db, type Event } from '@showfloor/db'
import type { ExportParameters, ExportRun, ExporterId } from '@showfloor/schemas'
import { fieldError } from '@showfloor/http'

// Starting a data export (contract section 12): the parameters are checked against the event, then
// the export row and its outbox row are written in one transaction, so a run that was answered 202
// always reaches the worker, even when Redis is away at that moment.

export interface StartedExport {
  id: string
  key: string
}

/** The parameters an exporter keeps; what belongs to no parameter of it is left out. */
async function parametersFor (db: Db, event: Event, identifier: ExporterId, body: ExportRun): Promise<ExportParameters> {
  const params: ExportParameters = { _format: body._format }
  if (identifier !== 'exhibitor_leads') return params
  // An empty selection selects nothing in particular: every exhibitor, as when it is left out.
  if (body.exhibitors !== undefined && body.exhibitors.length > 0) {
    const wanted = [...new Set(body.exhibitors)]
    const found = new Set(await queries.exports.exhibitorIds(db, event.id, wanted))
    const missing = wanted.filter((id) => !found.has(id))
    if (missing.length > 0) {
      // Django's words for a model choice that is not there, one message per id.
      throw fieldError('exhibitors', `Select a valid choice. ${missing[0]} is not one of the available choices.`)
    }
    params.exhibitors = wanted.sort((a, b) => a - b)
  }
  if (body.since !== undefined && body.since !== null) {
    const since = new Date(body.since)
    // The format check lets through a few strings no clock has (a leap second, 24:00).
    if (Number.isNaN(since.getTime())) throw fieldError('since', 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].')
    params.since = since.toISOString()
  }
  return params
}

export async function startExport (db: Db, event: Event, identifier: ExporterId, body: ExportRun): Promise<StartedExport> {
  const params = await parametersFor(db, event, identifier, body)
  const started = { id: randomUUID(), key: randomUUID() }
  await db.transaction().execute(async (trx) => {
    await queries.exports.createExport(trx, { ...started, eventId: event.id, identifier, params })
  })
  return started
}

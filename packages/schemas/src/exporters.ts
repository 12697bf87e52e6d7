import { Type, type Static } from '@sinclair/typebox'
import { DateTimeString, Nullable, ObjectId } from './common.js'

// Data exporters (contract section 12), pretix's exporter convention: a list of what can be
// exported, a run that answers with a download URL, and that URL answering 409 until the file is
// there. The runs are done by the worker, which reads the identifiers and parameters from here too.

export const EXPORTER_IDS = ['exhibitor_leads', 'exhibitor_list'] as const
export type ExporterId = typeof EXPORTER_IDS[number]

export const EXPORT_FORMATS = ['xlsx', 'csv'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

export function isExporterId (value: string): value is ExporterId {
  return (EXPORTER_IDS as readonly string[]).includes(value)
}

/**
 * The states of an export (`exports.status`), each step one conditional UPDATE:
 * waiting → running (a job claimed it) → done | failed; running → waiting (the reconciler, when the
 * worker running it went away); running → running (the same job again, after a retry or a crash).
 */
export type ExportStatus = 'waiting' | 'running' | 'done' | 'failed'

export const ExporterInputParameter = Type.Object({
  name: Type.String(),
  required: Type.Boolean(),
  choices: Type.Optional(Type.Array(Type.String()))
})
export type ExporterInputParameter = Static<typeof ExporterInputParameter>

export const ExporterSchema = Type.Object({
  identifier: Type.String(),
  verbose_name: Type.String(),
  input_parameters: Type.Array(ExporterInputParameter)
}, { title: 'Exporter' })
export type ExporterBody = Static<typeof ExporterSchema>

const FORMAT_PARAMETER: ExporterInputParameter = { name: '_format', required: true, choices: [...EXPORT_FORMATS] }

/** What the list shows, in this order. */
export const EXPORTERS: readonly ExporterBody[] = [
  {
    identifier: 'exhibitor_leads',
    verbose_name: 'Exhibitor leads',
    input_parameters: [FORMAT_PARAMETER, { name: 'exhibitors', required: false }, { name: 'since', required: false }]
  },
  {
    identifier: 'exhibitor_list',
    verbose_name: 'Exhibitors',
    input_parameters: [FORMAT_PARAMETER]
  }
]

export const ExporterParams = Type.Object({ organizer: Type.String(), event: Type.String(), identifier: Type.String() })

/** The two ids of a download URL: the export's, and a second random one that makes it unguessable. */
export const ExportDownloadParams = Type.Object({
  organizer: Type.String(),
  event: Type.String(),
  identifier: Type.String(),
  export: Type.String({ description: 'Export id (a UUID)' }),
  key: Type.String({ description: 'Download key (a UUID)' })
})

/**
 * The body of a run. Every exporter takes `_format`; `exhibitors` and `since` belong to
 * `exhibitor_leads` and are ignored by the others.
 */
export const ExportRunSchema = Type.Object({
  _format: Type.Union(EXPORT_FORMATS.map((f) => Type.Literal(f)), { description: 'File format' }),
  exhibitors: Type.Optional(Type.Array(ObjectId, { description: 'exhibitor_leads: only the leads of these exhibitors (ids); all when left out' })),
  since: Type.Optional(Nullable(Type.String({ ...DateTimeString, description: 'exhibitor_leads: only leads uploaded or changed at or after this time' })))
}, { examples: [{ _format: 'xlsx' }, { _format: 'csv', exhibitors: [1, 2], since: '2026-12-01T12:00:00Z' }] })
export type ExportRun = Static<typeof ExportRunSchema>

/** The parameters as stored with the export and read by the worker. */
export const ExportParametersSchema = Type.Object({
  _format: Type.Union(EXPORT_FORMATS.map((f) => Type.Literal(f))),
  exhibitors: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
  since: Type.Optional(Type.String())
})
export type ExportParameters = Static<typeof ExportParametersSchema>

export const ExportStartedSchema = Type.Object({
  download: Type.String({ description: 'Absolute URL to fetch the result from' })
}, { title: 'ExportStarted' })

export const ExportPendingSchema = Type.Object({
  status: Type.Union([Type.Literal('waiting'), Type.Literal('running')]),
  percentage: Nullable(Type.Integer({ minimum: 0, maximum: 100 }))
}, { title: 'ExportPending', description: 'Not done yet: retry, waiting at least a second' })
export type ExportPendingBody = Static<typeof ExportPendingSchema>

export const ExportFailedSchema = Type.Object({
  status: Type.Literal('failed'),
  message: Type.String()
}, { title: 'ExportFailed', description: 'The export failed for good' })
export type ExportFailedBody = Static<typeof ExportFailedSchema>

/** A run to do; the job id comes from the outbox row (or the reconciler), the rest from the row. */
export const ExportRunJob = Type.Object({
  export_id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
})
export type ExportRunJob = Static<typeof ExportRunJob>

/**
 * The job id the reconciler gives an export it queues again: one per export and run, so a second
 * reconciler run finds the same job and adds nothing.
 */
export function reconcileExportJobId (exportId: string, run: number): string {
  return `export-${exportId}-${run}`
}

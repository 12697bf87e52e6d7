/** The file formats of the exhibitors' exports and the organizers' exporters. */
export const FILE_FORMATS = ['xlsx', 'csv'] as const
export type FileFormat = typeof FILE_FORMATS[number]

const CONTENT_TYPES: Record<FileFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
}

export function contentTypeOf (format: FileFormat): string {
  return CONTENT_TYPES[format]
}

export function isFileFormat (value: unknown): value is FileFormat {
  return typeof value === 'string' && (FILE_FORMATS as readonly string[]).includes(value)
}

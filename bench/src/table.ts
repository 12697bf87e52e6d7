/** One line of the benchmark table: a measured figure, with the reference it is compared to when there is one. */
export interface Row {
  benchmark: string
  metric: string
  value: string
  reference?: string
  ratio?: string
  goal?: string
}

export interface Benchmark {
  name: string
  run: () => Promise<Row[]>
}

export function printTable (rows: Row[]): void {
  const headers = ['benchmark', 'metric', 'value', 'reference', 'ratio', 'goal'] as const
  const cells = rows.map((r) => headers.map((h) => r[h] ?? ''))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (values: readonly string[]) => '| ' + values.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |'
  console.log(line(headers))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const c of cells) console.log(line(c))
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`
export const ratio = (ours: number, reference: number): string => (ours / reference).toFixed(2)

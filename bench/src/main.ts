import { exhibitorsAdmin } from './exhibitors.js'
import { exporters } from './exporters.js'
import { leadUpload } from './leadUpload.js'
import { portal } from './portal.js'
import { systemLoad } from './system.js'
import { printTable, type Benchmark, type Row } from './table.js'
import { workerBenchmarks } from './worker.js'
import { webhookLatency } from './webhooks.js'

// Each benchmark seeds a database of its own, measures, and drops it. Run them one at a time: the
// machine has two cores, and a neighbour's load would skew every figure.
const benchmarks: Benchmark[] = [
  leadUpload,
  systemLoad,
  exhibitorsAdmin,
  portal,
  ...workerBenchmarks,
  exporters,
  webhookLatency
]

const only = process.argv.slice(2)
const rows: Row[] = []
for (const benchmark of benchmarks) {
  if (only.length > 0 && !only.includes(benchmark.name)) continue
  console.error(`running ${benchmark.name} ...`)
  rows.push(...await benchmark.run())
}
printTable(rows)

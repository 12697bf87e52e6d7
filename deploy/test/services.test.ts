import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { createTestDatabase, removePrefix, startService, testPrefix } from '@showfloor/db/testing'
import { build, containerEnv, deployDir, entryOf, repoDir, serviceDeployments } from './support.js'

/** What operators watch on a show day, by the service that must export it. */
const EXPECTED: Record<string, string[]> = {
  'app-api': ['showfloor_lead_uploads_total', 'showfloor_lead_upload_duration_seconds', 'http_request_duration_seconds', 'process_cpu_seconds_total'],
  worker: ['showfloor_outbox_pending', 'showfloor_queue_jobs', 'showfloor_jobs_completed_total', 'showfloor_jobs_failed_total', 'showfloor_webhook_delivery_lag_seconds'],
  'admin-api': ['http_request_duration_seconds', 'process_resident_memory_bytes']
}

/** The sample names a /metrics text can carry: every declared metric, and a histogram's or summary's series. */
function exportedNames (text: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m
    names.set(name, name)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.set(name + suffix, name)
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.set(name + suffix, name)
  }
  return names
}

/** The metric names a PromQL expression reads (functions, keywords, label matchers, groupings and ranges left out). */
export function metricNames (expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '')
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan'])
  return [...stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]).filter((name) => !keywords.has(name.toLowerCase()))
}

/** GET until it answers 200 or `patienceMs` passed; the last answer. */
async function answer (url: string, patienceMs: number): Promise<Response> {
  const end = Date.now() + patienceMs
  for (;;) {
    const res = await fetch(url)
    if (res.status === 200 || Date.now() >= end) return res
    await res.arrayBuffer()
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

const resources = await build('dev')
const deployments = serviceDeployments(resources)
const testDb = await createTestDatabase('deploy_probes')
const prefix = testPrefix('deploy')
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
t.teardown(async () => {
  await removePrefix(redisUrl, prefix)
  await testDb.drop()
})

const exported = new Map<string, Map<string, string>>()

t.test('each Deployment starts its service, whose probes answer on the paths the manifests name', async (t) => {
  await Promise.all([...deployments].map(async ([service, deployment]) => {
    const container = deployment.spec.template.spec.containers[0]
    const { source } = entryOf(container)
    const present = await access(join(repoDir, source)).then(() => true, () => false)
    if (!present) {
      t.pass(`${service}: ${source} is not on this branch yet (the ${service} work adds it)`, { skip: true })
      return
    }
    const env = containerEnv(resources, container)
    const port = container.ports[0].containerPort
    const portVariable = Object.keys(env).find((key) => key.endsWith('_PORT') && env[key] === String(port))
    t.ok(portVariable, `${service}: a variable of its environment sets port ${port}`)
    const running = await startService(source, {
      ...env,
      [portVariable!]: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json'
    }, 60_000)
    try {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const path = container[probe]?.httpGet?.path as string | undefined
        if (path === undefined) continue
        // Readiness may take a moment after listening (Redis connecting): the kubelet asks again, so do we.
        const patience = probe === 'readinessProbe' ? 30_000 : 0
        const res = await answer(running.base + path, patience)
        t.equal(res.status, 200, `${service}: ${probe} GET ${path}`)
        t.equal((await res.json() as { status: string }).status, 'ok')
      }
      const scraped = await fetch(`${running.base}/metrics`)
      t.equal(scraped.status, 200, `${service}: /metrics`)
      exported.set(service, exportedNames(await scraped.text()))
    } finally {
      await running.stop()
    }
  }))
})

t.test('each service exports what operators watch', async (t) => {
  for (const [service, names] of Object.entries(EXPECTED)) {
    const found = exported.get(service)
    t.ok(found, `${service} was scraped`)
    for (const name of names) {
      t.ok(found?.has(name), `${service} exports ${name}`)
    }
  }
})

t.test('the dashboard and the autoscaling rule read only metrics the services export', async (t) => {
  const all = new Set([...exported.values()].flatMap((names) => [...names.keys()]))
  const dashboard = JSON.parse(await readFile(join(deployDir, 'grafana/showfloor-show-day.json'), 'utf8')) as { panels: Array<{ title: string, targets?: Array<{ expr: string }> }> }
  const rules = parse(await readFile(join(deployDir, 'kubernetes/components/worker-backlog-autoscaling/prometheus-adapter-rules.yaml'), 'utf8')) as { external: Array<{ metricsQuery: string, seriesQuery: string }> }
  const queries = [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
    ...rules.external.flatMap((rule) => [rule.metricsQuery, rule.seriesQuery].map((expr) => ({ where: 'the adapter rule', expr: expr.replace(/<<[^>]*>>/g, '') })))
  ]
  t.ok(queries.length > 15)
  for (const { where, expr } of queries) {
    const names = metricNames(expr)
    t.ok(names.length > 0, `${where} reads a metric`)
    for (const name of names) {
      t.ok(all.has(name), `${where}: ${name} is exported`)
    }
  }
})

t.test('metric names are read out of PromQL', async (t) => {
  t.same(metricNames('histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{status_code=~"5.."}[$__rate_interval])))'), ['http_request_duration_seconds_bucket'])
  t.same(metricNames('max(showfloor_outbox_pending) + sum(max by (queue) (showfloor_queue_jobs{state=~"waiting|prioritized"}))'), ['showfloor_outbox_pending', 'showfloor_queue_jobs'])
  t.same(metricNames('1000 * sum(rate(process_cpu_seconds_total{service="app-api"}[5m])) / sum(rate(showfloor_lead_uploads_total[5m]))'), ['process_cpu_seconds_total', 'showfloor_lead_uploads_total'])
})

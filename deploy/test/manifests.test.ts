import t from 'tap'
import { OVERLAYS, build, gracefulCloseSeconds, named, ofKind, serviceDeployments, type Resource } from './support.js'

/** The kubernetes-models class of an object (its module is named after the apiVersion). */
async function modelOf (resource: Resource): Promise<new (data: unknown) => { validate: () => void }> {
  const module = await import(`kubernetes-models/${resource.apiVersion}`)
  const model = module[resource.kind]
  if (model === undefined) throw new Error(`kubernetes-models has no ${resource.apiVersion} ${resource.kind}`)
  return model
}

/**
 * kustomize wraps long base64 values of a Secret's data over several lines; the API server decodes
 * them as they are (Go's base64 skips line breaks), the schema's "byte" format does not.
 */
function withoutBase64LineBreaks (resource: Resource): Resource {
  if (resource.kind !== 'Secret' || resource.data === undefined) return resource
  return { ...resource, data: Object.fromEntries(Object.entries<string>(resource.data).map(([k, v]) => [k, v.replace(/\s/g, '')])) }
}

const SERVICES = { 'admin-api': 8001, 'app-api': 8002, worker: 8003, portal: 8004 } as const
/** The services that take requests through a Service and the Ingress (the worker only answers probes and scrapes). */
const SERVING = ['admin-api', 'app-api', 'portal']

const built = Object.fromEntries(await Promise.all(OVERLAYS.map(async (o) => [o, await build(o)] as const))) as Record<typeof OVERLAYS[number], Resource[]>
const closeSeconds = await gracefulCloseSeconds()

for (const overlay of OVERLAYS) {
  t.test(`${overlay}: every document is a valid Kubernetes object`, async (t) => {
    const resources = built[overlay]
    t.ok(resources.length > 10)
    for (const resource of resources) {
      const Model = await modelOf(resource)
      t.doesNotThrow(() => new Model(withoutBase64LineBreaks(resource)).validate(), `${resource.kind} ${resource.metadata.name}`)
    }
  })

  t.test(`${overlay}: a Deployment per service, safe to roll and to stop`, async (t) => {
    const resources = built[overlay]
    const deployments = serviceDeployments(resources)
    t.same([...deployments.keys()].sort(), Object.keys(SERVICES).sort())
    for (const [service, deployment] of deployments) {
      const pod = deployment.spec.template.spec
      const [container] = pod.containers
      const port = SERVICES[service as keyof typeof SERVICES]
      t.same(container.ports, [{ name: 'http', containerPort: port }], `${service} listens on ${port}`)
      t.same(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' }, `${service} readiness`)
      t.same(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' }, `${service} liveness`)
      const preStop = SERVING.includes(service) ? Number(container.lifecycle?.preStop?.exec?.command?.[1]) : 0
      if (SERVING.includes(service)) {
        t.equal(container.lifecycle.preStop.exec.command[0], 'sleep', `${service}: preStop sleeps while its endpoint is removed`)
        t.ok(preStop >= 3 && preStop <= 10, `${service}: a short preStop (${preStop} s)`)
      }
      t.ok(pod.terminationGracePeriodSeconds > preStop + closeSeconds,
        `${service}: grace ${pod.terminationGracePeriodSeconds} s > preStop ${preStop} s + graceful close ${closeSeconds} s`)

      t.equal(pod.securityContext.runAsNonRoot, true, `${service} runs as non-root`)
      t.equal(pod.automountServiceAccountToken, false)
      for (const c of [...pod.initContainers, ...pod.containers]) {
        t.equal(c.securityContext.readOnlyRootFilesystem, true, `${service}/${c.name}: read-only root filesystem`)
        t.equal(c.securityContext.allowPrivilegeEscalation, false)
        t.same(c.securityContext.capabilities.drop, ['ALL'])
        for (const kind of ['requests', 'limits']) {
          t.ok(c.resources[kind].cpu !== undefined && c.resources[kind].memory !== undefined, `${service}/${c.name}: cpu and memory ${kind}`)
        }
      }
      // Migrations come first: an init container runs them before the service starts.
      t.same(pod.initContainers.map((c: any) => c.command), [['node', 'packages/cli/dist/main.js', 'migrate']], `${service} migrates first`)
      t.same(pod.initContainers[0].envFrom, container.envFrom, 'with the same environment')
      t.equal(pod.initContainers[0].image, container.image, 'and the same image')
      if (SERVING.includes(service)) t.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, `${service}: a new pod is ready before an old one goes`)

      // The ConfigMap and the Secret it reads exist under their generated names.
      for (const source of container.envFrom) {
        if (source.configMapRef !== undefined) t.ok(named(resources, 'ConfigMap', source.configMapRef.name))
        if (source.secretRef !== undefined) t.ok(named(resources, 'Secret', source.secretRef.name))
      }
      // Its Service selects its pods and names its port.
      const svc = named(resources, 'Service', `showfloor-${service}`)
      for (const [label, value] of Object.entries<string>(svc.spec.selector)) t.equal(deployment.spec.template.metadata.labels[label], value)
      t.same(svc.spec.ports, [{ name: 'http', port, targetPort: 'http' }])
    }

    // The worker writes mail files only to its emptyDir (MAIL_DIR, relative to /app).
    const worker = deployments.get('worker')!.spec.template.spec
    t.same(worker.containers[0].volumeMounts, [{ name: 'mail', mountPath: '/app/var/mail' }])
    t.ok(worker.volumes.find((v: any) => v.name === 'mail').emptyDir)
  })

  t.test(`${overlay}: an autoscaled Deployment leaves its replica count to the autoscaler`, async (t) => {
    const resources = built[overlay]
    for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler')) {
      const target = named(resources, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)
      t.equal(target.spec.replicas, undefined, `${target.metadata.name}: no replicas, so applying again never shrinks it`)
      t.ok(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas)
    }
  })

  t.test(`${overlay}: the migrations Job`, async (t) => {
    const job = named(built[overlay], 'Job', 'showfloor-migrate')
    const [container] = job.spec.template.spec.containers
    t.same(container.command, ['node', 'packages/cli/dist/main.js', 'migrate'])
    t.ok(job.spec.ttlSecondsAfterFinished > 0, 'removes itself, so the next apply creates it afresh')
    const app = serviceDeployments(built[overlay]).get('app-api')!.spec.template.spec.containers[0]
    t.equal(container.image, app.image, 'the same image as the services')
    t.same(container.envFrom, app.envFrom)
  })

  t.test(`${overlay}: the Ingress routes the admin API, the App API and the portal`, async (t) => {
    const resources = built[overlay]
    const [ingress] = ofKind(resources, 'Ingress')
    const routes = Object.fromEntries(ingress.spec.rules[0].http.paths.map((p: any) => [`${p.pathType} ${p.path}`, p.backend.service.name]))
    t.same(routes, {
      'Prefix /api': 'showfloor-admin-api',
      'Prefix /exhibitors/api': 'showfloor-app-api',
      'Exact /metrics': 'showfloor-internal-only',
      'Prefix /': 'showfloor-portal'
    })
    const internal = named(resources, 'Service', 'showfloor-internal-only')
    t.equal(ofKind(resources, 'Deployment').filter((d) => d.spec.template.metadata.labels['app.kubernetes.io/name'] === internal.spec.selector['app.kubernetes.io/name']).length, 0,
      '/metrics reaches no pod from outside')
  })
}

t.test('dev: one replica each, PostgreSQL and Redis in the cluster on volumes', async (t) => {
  const resources = built.dev
  for (const deployment of ofKind(resources, 'Deployment')) t.equal(deployment.spec.replicas, 1, deployment.metadata.name)
  t.same(ofKind(resources, 'HorizontalPodAutoscaler'), [], 'nothing scales them up')
  t.same(ofKind(resources, 'PodDisruptionBudget'), [], 'and nothing blocks a drain of the single pods')
  const redis = named(resources, 'StatefulSet', 'showfloor-redis')
  const command = redis.spec.template.spec.containers[0].command.join(' ')
  t.match(command, /--maxmemory-policy noeviction/)
  t.match(command, /--appendonly yes/)
  t.equal(redis.spec.volumeClaimTemplates[0].metadata.name, 'data')
  t.same(redis.spec.template.spec.containers[0].volumeMounts, [{ name: 'data', mountPath: '/data' }])
  const postgres = named(resources, 'StatefulSet', 'showfloor-postgres')
  t.ok(postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage)
  t.ok(postgres.spec.template.spec.containers[0].volumeMounts.some((m: any) => m.name === 'data'))
  for (const name of ['showfloor-postgres', 'showfloor-redis']) t.ok(named(resources, 'Service', name))
})

t.test('show-day: managed PostgreSQL and Redis, more App API pods, autoscaling and budgets', async (t) => {
  const resources = built['show-day']
  t.same(ofKind(resources, 'StatefulSet'), [], 'no database in the cluster')
  const base = await build('base')
  const appHpa = named(resources, 'HorizontalPodAutoscaler', 'showfloor-app-api')
  t.ok(appHpa.spec.minReplicas > named(base, 'HorizontalPodAutoscaler', 'showfloor-app-api').spec.minReplicas, 'the App API minimum is raised')
  t.same(appHpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'showfloor-app-api' })
  t.same(appHpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }])
  const workerHpa = named(resources, 'HorizontalPodAutoscaler', 'showfloor-worker')
  t.equal(workerHpa.spec.metrics[0].external.metric.name, 'showfloor_worker_backlog')
  for (const service of ['app-api', 'admin-api']) {
    const pdb = named(resources, 'PodDisruptionBudget', `showfloor-${service}`)
    t.same(pdb.spec.selector.matchLabels, { 'app.kubernetes.io/name': `showfloor-${service}` })
  }
  const secret = ofKind(resources, 'Secret')[0]
  const url = Buffer.from(secret.data.DATABASE_URL, 'base64').toString()
  t.notMatch(url, /127\.0\.0\.1/, 'the database is named by URL in secrets.env')
  for (const deployment of ofKind(resources, 'Deployment')) t.notMatch(deployment.spec.template.spec.containers[0].image, /:latest$|:local$/)
})

import t from 'tap'
import { Kind, type TObject, type TSchema } from '@sinclair/typebox'
import * as schemas from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { OVERLAYS, build, containerEnv, named, serviceDeployments, type Resource } from './support.js'

/** Every exported environment schema (`AdminApiEnv`, `AppApiEnv`, ...): a new service's is checked as soon as it is exported. */
const envSchemas = Object.entries(schemas)
  .filter((entry): entry is [string, TObject] => entry[0].endsWith('Env') && (entry[1] as TSchema)?.[Kind] === 'Object')

/** Variables that carry credentials: they belong in the Secret, never in the ConfigMap. */
const SECRET = new Set(['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'PORTAL_SECRET'])

function environment (resources: Resource[]): { config: Record<string, string>, secret: Record<string, string>, all: Record<string, string> } {
  const [deployment] = serviceDeployments(resources).values()
  const container = deployment.spec.template.spec.containers[0]
  const config = named(resources, 'ConfigMap', container.envFrom.find((s: any) => s.configMapRef !== undefined).configMapRef.name).data as Record<string, string>
  const all = containerEnv(resources, container)
  const secret = Object.fromEntries(Object.entries(all).filter(([key]) => !(key in config)))
  return { config, secret, all }
}

t.ok(envSchemas.length >= 4, `environment schemas found: ${envSchemas.map(([name]) => name).join(', ')}`)

const base = environment(await build('base'))

for (const [name, schema] of envSchemas) {
  t.test(`${name}: every variable is in the ConfigMap or the Secret, with the schema's default`, async (t) => {
    for (const [variable, property] of Object.entries<TSchema>(schema.properties)) {
      const where = SECRET.has(variable) ? base.secret : base.config
      t.ok(variable in where, `${variable} is in the ${SECRET.has(variable) ? 'Secret' : 'ConfigMap'}`)
      const fallback = property.default as unknown
      if (fallback !== undefined) t.equal(where[variable], String(fallback), `${variable} defaults to ${String(fallback)}`)
    }
  })

  for (const overlay of OVERLAYS) {
    t.test(`${name}: the ${overlay} environment passes the service's own validation`, async (t) => {
      const { all } = environment(await build(overlay))
      t.doesNotThrow(() => loadConfig(schema, all))
    })
  }
}

t.test('the ConfigMap holds nothing secret and every pod reads the same environment', async (t) => {
  for (const overlay of ['base', ...OVERLAYS] as const) {
    const resources = await build(overlay)
    const { config } = environment(resources)
    for (const variable of SECRET) t.notOk(variable in config, `${overlay}: ${variable} is not in the ConfigMap`)
    const sources = [...serviceDeployments(resources).values()].map((d) => JSON.stringify(d.spec.template.spec.containers[0].envFrom))
    t.equal(new Set(sources).size, 1, `${overlay}: one ConfigMap and one Secret for all services`)
  }
})

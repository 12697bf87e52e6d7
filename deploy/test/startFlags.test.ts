import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { OVERLAYS, build, entryOf, repoDir, serviceDeployments } from './support.js'

// A service's node flags (the App API's young generation and garbage collector, the web area's
// heap) are written in its package's `start` script; every other place that starts it (Kubernetes,
// compose, the image's default command, `pnpm start`) must pass the same ones, and the benchmarks
// read them from there.

const ENTRIES: Record<string, string> = {
  'admin-api': 'services/admin-api/dist/server.js',
  'app-api': 'services/app-api/dist/server.js',
  worker: 'services/worker/dist/main.js',
  portal: 'services/portal/dist/server.js'
}

async function startFlags (service: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(repoDir, 'services', service, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [node, ...rest] = pkg.scripts.start.split(/\s+/)
  t.equal(node, 'node', `${service}: its start script runs node`)
  return rest.filter((word) => word.startsWith('--'))
}

const flags = Object.fromEntries(await Promise.all(Object.keys(ENTRIES).map(async (s) => [s, await startFlags(s)] as const)))

t.test('the App API is started with flags of its own', async (t) => {
  t.ok(flags['app-api'].includes('--max-semi-space-size=16'))
  t.ok(flags['app-api'].includes('--single-threaded-gc'))
})

for (const overlay of OVERLAYS) {
  t.test(`${overlay}: each Deployment runs its service with the start script's flags`, async (t) => {
    for (const [service, deployment] of serviceDeployments(await build(overlay))) {
      t.same(entryOf(deployment.spec.template.spec.containers[0]).flags, flags[service], service)
    }
  })
}

t.test('compose runs each service with the start script\'s flags', async (t) => {
  const compose = parse(await readFile(join(repoDir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[] }> }
  for (const [service, entry] of Object.entries(ENTRIES)) {
    const command = compose.services[service]?.command
    t.ok(command, `compose has ${service}`)
    t.same(command, ['node', ...flags[service], entry], service)
  }
})

t.test('the image\'s default command, and the commands its comment lists, carry the flags', async (t) => {
  const dockerfile = await readFile(join(repoDir, 'Dockerfile'), 'utf8')
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[]
  t.same(cmd, ['node', ...flags['app-api'], ENTRIES['app-api']])
  for (const [service, entry] of Object.entries(ENTRIES)) {
    t.match(dockerfile, ['node', ...flags[service], entry].join(' '), `${service} in the comment`)
  }
})

t.test('`pnpm start` runs each service with the start script\'s flags', async (t) => {
  const root = JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as { scripts: { start: string } }
  for (const [service, entry] of Object.entries(ENTRIES)) {
    t.ok(root.scripts.start.includes(`"${['node', ...flags[service], entry].join(' ')}"`), service)
  }
})

import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'

export const deployDir = fileURLToPath(new URL('..', import.meta.url))
export const repoDir = join(deployDir, '..')
export const OVERLAYS = ['dev', 'show-day'] as const
export type Overlay = typeof OVERLAYS[number]

/** A Kubernetes object as kustomize prints it; fields are read where a test needs them. */
export interface Resource {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
  [field: string]: any
}

/** kubectl from KUBECTL or the PATH (.ci/run installs it when missing). */
const kubectl = process.env.KUBECTL ?? 'kubectl'

/**
 * `kubectl kustomize` of an overlay (or of `base`), parsed. The tree is built from a copy in which
 * show-day's secrets.env (never committed) is its committed example, as an operator starts.
 */
export async function build (target: Overlay | 'base'): Promise<Resource[]> {
  const dir = await mkdtemp(join(tmpdir(), 'showfloor-kustomize-'))
  try {
    await cp(join(deployDir, 'kubernetes'), dir, { recursive: true })
    await cp(join(dir, 'overlays/show-day/secrets.env.example'), join(dir, 'overlays/show-day/secrets.env'))
    const path = target === 'base' ? join(dir, 'base') : join(dir, 'overlays', target)
    const { stdout } = await promisify(execFile)(kubectl, ['kustomize', path], { maxBuffer: 16 * 1024 * 1024 })
    return parseAllDocuments(stdout).map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0]
      return doc.toJS() as Resource
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export function ofKind (resources: Resource[], kind: string): Resource[] {
  return resources.filter((r) => r.kind === kind)
}

export function named (resources: Resource[], kind: string, name: string): Resource {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name)
  if (found === undefined) throw new Error(`no ${kind} ${name}`)
  return found
}

/** The environment a container gets from its envFrom ConfigMaps and Secrets (and its env values). */
export function containerEnv (resources: Resource[], container: any): Record<string, string> {
  const env: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef !== undefined) Object.assign(env, named(resources, 'ConfigMap', source.configMapRef.name).data ?? {})
    if (source.secretRef !== undefined) {
      const secret = named(resources, 'Secret', source.secretRef.name)
      for (const [key, value] of Object.entries<string>(secret.data ?? {})) env[key] = Buffer.from(value, 'base64').toString()
      Object.assign(env, secret.stringData ?? {})
    }
  }
  for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value
  return env
}

/** The four services' Deployments, keyed by their container's name. */
export function serviceDeployments (resources: Resource[]): Map<string, Resource> {
  return new Map(ofKind(resources, 'Deployment').map((d) => [d.spec.template.spec.containers[0].name as string, d]))
}

/**
 * The built entry point a container starts (`node [--v8-flag=value ...] services/x/dist/server.js`),
 * its TypeScript source, and the flags given to node before it.
 */
export function entryOf (container: any): { dist: string, source: string, flags: string[] } {
  const [node, ...rest] = container.command as string[]
  const dist = rest[rest.length - 1] ?? ''
  const flags = rest.slice(0, -1)
  if (node !== 'node' || !/^(services|packages)\/[a-z-]+\/dist\/[a-z]+\.js$/.test(dist) || !flags.every((flag) => /^--[a-z-]+(=[\w.-]+)?$/.test(flag))) {
    throw new Error(`unexpected command ${container.command.join(' ')}`)
  }
  return { dist, source: dist.replace('/dist/', '/src/').replace(/\.js$/, '.ts'), flags }
}

/** The graceful-close limit every service sets (closeWithGrace's delay in packages/http), in seconds. */
export async function gracefulCloseSeconds (): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const source = await readFile(join(repoDir, 'packages/http/src/lifecycle.ts'), 'utf8')
  const m = /closeWithGrace\(\{\s*delay:\s*([\d_]+)\s*\}/.exec(source)
  if (m === null) throw new Error('closeWithGrace({ delay }) not found in packages/http/src/lifecycle.ts')
  return Number(m[1].replaceAll('_', '')) / 1000
}

import t from 'tap'
import Fastify, { type RouteOptions } from 'fastify'
import { queries } from '@showfloor/db'
import { AdminApiEnv } from '@showfloor/schemas'
import { loadConfig } from '@showfloor/http'
import { routes } from '../src/routes/index.js'
import type { Permission } from '../src/plugins/auth.js'
import { harness } from './helper.js'

interface DeclaredRoute { method: string, url: string, permission: Permission[] }

/** Every /api/v1 route with the flags its `config.permission` names, as the route files declare them. */
async function declaredRoutes (): Promise<DeclaredRoute[]> {
  const app = Fastify()
  // Route plugins read their settings at registration; nothing else of the app is needed to list them.
  app.decorate('config', loadConfig(AdminApiEnv, {}))
  const found = new Map<string, DeclaredRoute>()
  app.addHook('onRoute', (route: RouteOptions) => {
    // pretix's URLs end in a slash (a collection's prefix route arrives here without it).
    const url = route.url.endsWith('/') ? route.url : route.url + '/'
    for (const method of [route.method].flat()) {
      // HEAD mirrors GET.
      if (method !== 'HEAD') found.set(`${method} ${url}`, { method, url, permission: [route.config?.permission ?? []].flat() })
    }
  })
  await app.register(routes, { prefix: '/api/v1' })
  await app.ready()
  await app.close()
  return [...found.values()]
}

const forbidden = { detail: 'You do not have permission to perform this action.' }

// The flags of the contract's permission model, route by route (none: any member of the team).
const EXPECTED: Record<string, Permission[]> = {
  'GET events/': [],
  'POST events/': ['can_create_events'],
  'GET events/:event/': [],
  'PATCH events/:event/': ['can_change_event_settings'],
  'DELETE events/:event/': ['can_change_event_settings'],
  'GET items/': [],
  'GET items/:id/': [],
  'POST items/': ['can_change_items'],
  'PATCH items/:id/': ['can_change_items'],
  'DELETE items/:id/': ['can_change_items'],
  'GET vouchers/': ['can_view_vouchers'],
  'GET vouchers/:id/': ['can_view_vouchers'],
  'POST vouchers/': ['can_change_vouchers'],
  'POST vouchers/batch_create/': ['can_change_vouchers'],
  'PUT vouchers/:id/': ['can_change_vouchers'],
  'PATCH vouchers/:id/': ['can_change_vouchers'],
  'DELETE vouchers/:id/': ['can_change_vouchers'],
  'GET orders/': ['can_view_orders'],
  'GET orders/:code/': ['can_view_orders'],
  'POST orders/': ['can_change_orders'],
  'POST orders/:code/mark_canceled/': ['can_change_orders'],
  'GET exhibitor_settings/': [],
  'PATCH exhibitor_settings/': ['can_change_event_settings'],
  'GET exhibitor_tags/': [],
  'GET exhibitor_tags/:id/': [],
  'POST exhibitor_tags/': ['can_change_event_settings'],
  'DELETE exhibitor_tags/:id/': ['can_change_event_settings'],
  'GET exhibitors/': ['can_view_orders', 'can_change_event_settings'],
  'GET exhibitors/:id/': ['can_view_orders', 'can_change_event_settings'],
  'POST exhibitors/': ['can_change_event_settings'],
  'PUT exhibitors/:id/': ['can_change_event_settings'],
  'PATCH exhibitors/:id/': ['can_change_event_settings'],
  'DELETE exhibitors/:id/': ['can_change_event_settings'],
  'GET exhibitors/:id/leads/': ['can_view_orders'],
  'GET exhibitors/:id/vouchers/': ['can_view_vouchers'],
  'POST exhibitors/:id/vouchers/attach/': ['can_change_vouchers'],
  'POST exhibitors/:id/vouchers/bulk_attach/': ['can_change_vouchers'],
  'POST exhibitors/:id/send_access_code/': ['can_change_event_settings'],
  'GET exporters/': ['can_view_orders'],
  'POST exporters/:identifier/run/': ['can_view_orders'],
  'GET exporters/:identifier/download/:export/:key/': ['can_view_orders'],
  'GET webhooks/': ['can_change_organizer_settings'],
  'POST webhooks/': ['can_change_organizer_settings'],
  'GET webhooks/:id/': ['can_change_organizer_settings'],
  'PATCH webhooks/:id/': ['can_change_organizer_settings'],
  'DELETE webhooks/:id/': ['can_change_organizer_settings'],
  'POST webhooks/:id/rotate_secret/': ['can_change_organizer_settings'],
  'GET webhooks/:id/calls/': ['can_change_organizer_settings']
}

t.test('each route declares the flag the contract gives it', async (t) => {
  const declared = new Map((await declaredRoutes()).map((r) => {
    // Short names: the path below the event (or the organizer, for events themselves).
    const path = r.url.replace('/api/v1/organizers/:organizer/', '').replace(/^events\/:event\/(?=.)/, '')
    return [`${r.method} ${path}`, r.permission]
  }))
  for (const [route, permission] of Object.entries(EXPECTED)) t.same(declared.get(route), permission, route)
})

t.test('every route answers 403 to a token without the flag it names, and lets one with it through', async (t) => {
  const declared = await declaredRoutes()
  t.ok(declared.length >= Object.keys(EXPECTED).length, `every route is found (${declared.length})`)
  const h = await harness(t)
  await h.createEvent('conf')
  const tokens = new Map<string, string>()
  const tokenWith = async (permissions: readonly Permission[]): Promise<string> => {
    const key = [...permissions].sort().join(',')
    if (!tokens.has(key)) tokens.set(key, await h.tokenFor({ permissions }))
    return tokens.get(key)!
  }

  // Ids that do not exist: a permitted request finds nothing to change (404 or 400). Deleting the
  // event itself goes last, as it would change what every other request sees.
  const ordered = [...declared].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || b.url.length - a.url.length)
  for (const route of ordered) {
    const name = `${route.method} ${route.url}`
    const url = route.url.replace(':organizer', 'demo').replace(':event', 'conf').replace(/:[a-z]+/g, '999999')
    const request = async (token: string) => await h.request(token, { method: route.method as 'GET', url, ...(['POST', 'PUT', 'PATCH'].includes(route.method) && { payload: {} }) })

    if (route.permission.length > 0) {
      // Every other flag together is not enough, and a missing object is not revealed either.
      const res = await request(await tokenWith(queries.tokens.TEAM_PERMISSIONS.filter((p) => !route.permission.includes(p))))
      t.equal(res.statusCode, 403, `${name} needs ${route.permission.join(' or ')}`)
      t.same(res.json(), forbidden, name)
    }
    // Any one of the flags named is enough; a route that names none is open to every member of the team.
    for (const flags of route.permission.length > 0 ? route.permission.map((p) => [p]) : [[]]) {
      const res = await request(await tokenWith(flags))
      t.notOk([401, 403].includes(res.statusCode), `${name} with ${flags.join(', ') || 'no flags'}: ${res.statusCode} ${res.body}`)
    }
  }
})

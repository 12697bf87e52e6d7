import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { queries } from '@showfloor/db'
import { LIMITS, filterChoices, leadFilter, leadsPage, parseEdit, saveLead, tagChoices } from '../domain/leads.js'
import { pageNotFound } from '../plugins/pageError.js'
import { leadPage, leadsPage as leadsView } from '../views/leads.js'
import { pageContext, seeOther, sendPage } from './page.js'

// PostgreSQL cannot hold a NUL character; no search or filter value can contain one.
const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength, pattern: '^[^\\u0000]*$' }))

export const FilterQuery = Type.Object({
  q: Text(LIMITS.search),
  tag: Text(LIMITS.tag),
  rating: Type.Optional(Type.String({ pattern: '^(|none|[0-5])$' })),
  device: Text(LIMITS.device)
})

const ListQuery = Type.Composite([FilterQuery, Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) })])
const LeadParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) })
const LeadQuery = Type.Object({ saved: Type.Optional(Type.Literal('1')) })

export async function leads (app: FastifyInstance): Promise<void> {
  const choicesOf = filterChoices(app.db)

  app.get<{ Querystring: Static<typeof ListQuery> }>('/leads/', { schema: { querystring: ListQuery }, config: { access: 'leads' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const { page: pageNumber, ...filter } = request.query
    const [page, choices] = await Promise.all([
      leadsPage(app.db, leadFilter(exhibitor.id, filter), pageNumber ?? 1),
      choicesOf(exhibitor)
    ])
    if (page === undefined) throw pageNotFound()
    // The value chosen stays a choice even when the cached list does not know it yet.
    const withChosen = (list: string[], chosen: string | undefined) => chosen === undefined || chosen === '' || list.includes(chosen) ? list : [...list, chosen]
    return sendPage(reply, leadsView(pageContext(request, reply), {
      exhibitor, filter, page, tags: withChosen(choices.tags, filter.tag), devices: withChosen(choices.devices, filter.device)
    }))
  })

  app.get<{ Params: Static<typeof LeadParams>, Querystring: Static<typeof LeadQuery> }>('/leads/:id/', {
    schema: { params: LeadParams, querystring: LeadQuery },
    config: { access: 'leads' }
  }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const lead = await queries.portalLeads.findLead(app.db, exhibitor.id, request.params.id)
    if (lead === undefined) throw pageNotFound()
    const form = { rating: lead.rating === null ? '' : String(lead.rating), tags: lead.tags, notes: lead.notes }
    return sendPage(reply, leadPage(pageContext(request, reply), {
      exhibitor, lead, choices: tagChoices(exhibitor, lead), saved: request.query.saved === '1', errors: [], form
    }))
  })

  app.post<{ Params: Static<typeof LeadParams> }>('/leads/:id/', { schema: { params: LeadParams }, config: { access: 'leads' } }, async (request, reply) => {
    const exhibitor = request.exhibitor!
    const t = request.t
    const lead = await queries.portalLeads.findLead(app.db, exhibitor.id, request.params.id)
    if (lead === undefined) throw pageNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const choices = tagChoices(exhibitor, lead)
    const parsed = parseEdit(body, choices, { rating: t('leads.rating'), notes: t('leads.notes'), tags: t('leads.tags') })
    if (!parsed.ok) {
      const sent = {
        rating: typeof body.rating === 'string' ? body.rating : '',
        tags: (Array.isArray(body.tags) ? body.tags : [body.tags]).filter((tag): tag is string => typeof tag === 'string'),
        notes: typeof body.notes === 'string' ? body.notes : ''
      }
      return sendPage(reply, leadPage(pageContext(request, reply), {
        exhibitor, lead, choices, saved: false, errors: parsed.errors.map((e) => t(e.key, e.params)), form: sent
      }), 400)
    }
    if (!await saveLead(app.db, exhibitor.id, lead.id, parsed.edit)) throw pageNotFound()
    return seeOther(reply, `/leads/${lead.id}/?saved=1`)
  })
}

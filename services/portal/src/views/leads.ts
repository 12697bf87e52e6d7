import type { queries } from '@showfloor/db'
import type { AttendeeField } from '@showfloor/schemas'
import { fieldLabels, fieldsById } from '../domain/leadFields.js'
import type { FilterInput, LeadsPage } from '../domain/leads.js'
import { html, type Html } from './html.js'
import { localTime } from './format.js'
import { csrfField, layout, type PageContext } from './layout.js'

type Exhibitor = queries.portalExhibitors.PortalExhibitor
type PortalLeadRow = queries.portalLeads.PortalLeadRow

export interface LeadsView {
  exhibitor: Exhibitor
  filter: FilterInput
  page: LeadsPage
  tags: string[]
  devices: string[]
}

function option (value: string, label: string, selected: string | undefined): Html {
  return html`<option value="${value}"${value === (selected ?? '') ? html` selected` : ''}>${label}</option>`
}

/** The URL of the list with the same filters, on another page. */
function pageUrl (filter: FilterInput, page: number): string {
  const params = new URLSearchParams()
  for (const key of ['q', 'tag', 'rating', 'device'] as const) {
    const value = filter[key]
    if (value !== undefined && value !== '') params.set(key, value)
  }
  if (page > 1) params.set('page', String(page))
  const query = params.toString()
  return query === '' ? '/leads/' : `/leads/?${query}`
}

function filters (ctx: PageContext, v: LeadsView): Html {
  const f = v.filter
  return html`<form method="get" action="/leads/" class="filters" role="search" aria-label="${ctx.t('leads.filters')}">
  <div class="field"><label for="q">${ctx.t('leads.search')}</label>
    <input id="q" name="q" type="search" value="${f.q ?? ''}" maxlength="200" placeholder="${ctx.t('leads.searchHint')}"></div>
  <div class="field"><label for="tag">${ctx.t('leads.tag')}</label>
    <select id="tag" name="tag">${option('', ctx.t('leads.any'), f.tag)}${v.tags.map((tag) => option(tag, tag, f.tag))}</select></div>
  <div class="field"><label for="rating">${ctx.t('leads.rating')}</label>
    <select id="rating" name="rating">${option('', ctx.t('leads.any'), f.rating)}${['0', '1', '2', '3', '4', '5'].map((r) => option(r, r, f.rating))}${option('none', ctx.t('leads.none'), f.rating)}</select></div>
  <div class="field"><label for="device">${ctx.t('leads.device')}</label>
    <select id="device" name="device">${option('', ctx.t('leads.any'), f.device)}${v.devices.map((d) => option(d, d, f.device))}</select></div>
  <div class="actions"><button type="submit">${ctx.t('leads.apply')}</button> <a href="/leads/">${ctx.t('leads.reset')}</a></div>
</form>`
}

function exportForm (ctx: PageContext, v: LeadsView): Html {
  const f = v.filter
  const last = v.exhibitor.last_export_at
  return html`<section aria-labelledby="export" class="export">
  <h2 id="export">${ctx.t('export.title')}</h2>
  <p>${ctx.t('export.intro')} ${last === null ? ctx.t('export.never') : ctx.t('export.last', { time: localTime(last, v.exhibitor.timezone) })}</p>
  <form method="post" action="/leads/export">
    ${csrfField(ctx)}
    <input type="hidden" name="q" value="${f.q ?? ''}"><input type="hidden" name="tag" value="${f.tag ?? ''}">
    <input type="hidden" name="rating" value="${f.rating ?? ''}"><input type="hidden" name="device" value="${f.device ?? ''}">
    <div class="check"><input id="since" name="since" type="checkbox" value="1"> <label for="since">${ctx.t('export.since')}</label></div>
    <button type="submit" name="format" value="csv">${ctx.t('export.csv')}</button>
    <button type="submit" name="format" value="xlsx">${ctx.t('export.xlsx')}</button>
  </form>
</section>`
}

function pagination (ctx: PageContext, v: LeadsView): Html {
  const { page, pages } = v.page
  return html`<nav aria-label="${ctx.t('leads.pages')}" class="pages">
  ${page > 1 && html`<a rel="prev" href="${pageUrl(v.filter, page - 1)}">${ctx.t('leads.previous')}</a>`}
  <span>${ctx.t('leads.page', { page, pages })}</span>
  ${page < pages && html`<a rel="next" href="${pageUrl(v.filter, page + 1)}">${ctx.t('leads.next')}</a>`}
</nav>`
}

export function fieldValue (field: AttendeeField | undefined): string {
  return field?.value ?? ''
}

function leadName (ctx: PageContext, row: PortalLeadRow, fields: Map<string, AttendeeField>): string {
  return fields.get('attendee_name')?.value ?? ctx.t('leads.unnamed', { id: row.id })
}

function short (text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function leadsPage (ctx: PageContext, v: LeadsView) {
  const x = v.exhibitor
  const locale = ctx.lang
  const columns = fieldLabels(x.lead_fields, locale, v.page.rows).filter((c) => c.id !== 'attendee_name')
  const nameLabel = fieldLabels(['attendee_name'], locale, [])[0].label
  const rows = v.page.rows.map((row) => {
    const fields = fieldsById(row, x.lead_fields, locale)
    return html`<tr>
      <th scope="row"><a href="/leads/${row.id}/">${leadName(ctx, row, fields)}</a></th>
      ${columns.map((c) => html`<td>${fieldValue(fields.get(c.id))}</td>`)}
      <td class="num">${row.rating ?? ''}</td>
      <td>${row.tags.join(', ')}</td>
      <td>${short(row.notes)}</td>
      <td>${row.device_name ?? ''}</td>
      <td class="time">${localTime(row.scanned, x.timezone)}</td>
    </tr>`
  })
  return layout(ctx, ctx.t('leads.title'), 'leads', html`
${filters(ctx, v)}
<p class="count" role="status">${ctx.t('leads.count', { count: v.page.count })}</p>
${v.page.rows.length === 0
  ? html`<p>${ctx.t('leads.empty')}</p>`
  : html`<div class="table-scroll"><table class="leads">
  <caption class="visually-hidden">${ctx.t('leads.title')}</caption>
  <thead><tr><th scope="col">${nameLabel}</th>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}
    <th scope="col">${ctx.t('leads.rating')}</th><th scope="col">${ctx.t('leads.tags')}</th><th scope="col">${ctx.t('leads.notes')}</th>
    <th scope="col">${ctx.t('leads.device')}</th><th scope="col">${ctx.t('leads.firstScanned')}</th></tr></thead>
  <tbody>${rows}</tbody>
</table></div>`}
${pagination(ctx, v)}
${exportForm(ctx, v)}`)
}

export interface LeadView {
  exhibitor: Exhibitor
  lead: PortalLeadRow
  choices: string[]
  saved: boolean
  errors: string[]
  /** What the form shows: the stored values, or what was sent when it was refused. */
  form: { rating: string, tags: string[], notes: string }
}

export function leadPage (ctx: PageContext, v: LeadView) {
  const x = v.exhibitor
  const lead = v.lead
  const fields = [...fieldsById(lead, x.lead_fields, ctx.lang).values()]
  const title = fields.find((f) => f.id === 'attendee_name')?.value ?? ctx.t('leads.unnamed', { id: lead.id })
  const facts: Array<[string, string]> = [
    [ctx.t('leads.rating'), lead.rating === null ? ctx.t('lead.ratingNone') : String(lead.rating)],
    [ctx.t('leads.tags'), lead.tags.join(', ')],
    [ctx.t('leads.device'), lead.device_name ?? ''],
    [ctx.t('lead.deviceId'), lead.device_uuid ?? ''],
    [ctx.t('leads.firstScanned'), localTime(lead.scanned, x.timezone)],
    [ctx.t('leads.lastChanged'), localTime(lead.last_upload, x.timezone)]
  ]
  return layout(ctx, title, 'leads', html`
<p><a href="/leads/">${ctx.t('lead.back')}</a></p>
${v.saved && html`<p role="status" class="saved">${ctx.t('lead.saved')}</p>`}
<section aria-labelledby="attendee">
  <h2 id="attendee">${ctx.t('lead.attendee')}</h2>
  ${fields.length === 0
    ? html`<p>${ctx.t('lead.noFields')}</p>`
    : html`<dl class="facts">${fields.map((f) => html`<dt>${f.label}</dt><dd>${f.value}${f.details.length > 0 && html`<ul class="details">${f.details.map((d) => html`<li>${d.label}: ${d.value}</li>`)}</ul>`}</dd>`)}</dl>`}
  <dl class="facts">${facts.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>
  ${lead.notes !== '' && html`<h3>${ctx.t('leads.notes')}</h3><p class="notes">${lead.notes}</p>`}
</section>
<section aria-labelledby="edit">
  <h2 id="edit">${ctx.t('lead.edit')}</h2>
  ${v.errors.length > 0 && html`<div role="alert" class="error"><ul>${v.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`}
  <form method="post" action="/leads/${lead.id}/">
    ${csrfField(ctx)}
    <div class="field"><label for="lead-rating">${ctx.t('leads.rating')}</label>
      <select id="lead-rating" name="rating">${option('', ctx.t('lead.ratingNone'), v.form.rating)}${['0', '1', '2', '3', '4', '5'].map((r) => option(r, r, v.form.rating))}</select></div>
    ${v.choices.length > 0 && html`<fieldset><legend>${ctx.t('leads.tags')}</legend>
      ${v.choices.map((tag, i) => html`<div class="check"><input type="checkbox" id="tag-${i}" name="tags" value="${tag}"${v.form.tags.includes(tag) ? html` checked` : ''}> <label for="tag-${i}">${tag}</label></div>`)}
    </fieldset>`}
    <div class="field"><label for="notes">${ctx.t('leads.notes')}</label>
      <textarea id="notes" name="notes" rows="6" maxlength="10000">
${v.form.notes}</textarea></div>
    <button type="submit">${ctx.t('lead.save')}</button>
  </form>
</section>`)
}

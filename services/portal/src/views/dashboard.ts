import type { queries } from '@showfloor/db'
import { localized } from '@showfloor/schemas'
import { html, type Html } from './html.js'
import { localDate } from './format.js'
import { layout, type PageContext } from './layout.js'

type Figures = queries.portalExhibitors.DashboardFigures
type Exhibitor = queries.portalExhibitors.PortalExhibitor

const BAR = 12
const HEIGHT = 120

/** Inline SVG bars (no script, no inline style: the CSP allows neither), titled, with a text summary. */
function chart (ctx: PageContext, perHour: Figures['perHour']): Html {
  const max = Math.max(1, ...perHour.map((h) => h.count))
  const total = perHour.reduce((sum, h) => sum + h.count, 0)
  const width = Math.max(perHour.length, 1) * BAR
  const bars = perHour.map((h, i) => {
    const height = Math.round((h.count / max) * HEIGHT)
    return html`<rect x="${i * BAR + 1}" y="${HEIGHT - height}" width="${BAR - 2}" height="${height}" class="bar"><title>${h.hour}: ${h.count}</title></rect>`
  })
  const ticks = perHour.map((h, i) => h.hour.endsWith(' 00:00') || (i === 0)
    ? html`<text x="${i * BAR + 1}" y="${HEIGHT + 14}" class="tick">${h.hour.slice(5, 10)}</text>`
    : '')
  return html`<svg class="chart" viewBox="0 0 ${width} ${HEIGHT + 20}" role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMinYMin meet">
  <title id="chart-title">${ctx.t('dashboard.perHour')}</title>
  <desc id="chart-desc">${ctx.t('dashboard.perHourSummary', { count: total, max: total === 0 ? 0 : max })}</desc>
  <line x1="0" y1="${HEIGHT}" x2="${width}" y2="${HEIGHT}" class="axis"/>
  ${bars}${ticks}
</svg>`
}

function countTable (caption: string, header: string, rows: Array<[string, number]>, ctx: PageContext, hidden = false): Html {
  return html`<table${hidden ? html` class="visually-hidden"` : ''}>
  <caption>${caption}</caption>
  <thead><tr><th scope="col">${header}</th><th scope="col">${ctx.t('dashboard.leads')}</th></tr></thead>
  <tbody>${rows.map(([label, count]) => html`<tr><th scope="row">${label}</th><td class="num">${count}</td></tr>`)}</tbody>
</table>`
}

export function dashboardPage (ctx: PageContext, x: Exhibitor, figures: Figures) {
  const tz = x.timezone
  const from = localDate(x.date_from, tz)
  const to = x.date_to === null ? from : localDate(x.date_to, tz)
  const hoursWithLeads = figures.perHour.filter((h) => h.count > 0)
  return layout(ctx, ctx.t('dashboard.title'), 'dashboard', html`
<dl class="facts">
  <dt>${ctx.t('dashboard.event')}</dt><dd>${localized(x.event_name, ctx.lang)}</dd>
  <dt>${ctx.t('dashboard.dates')}</dt><dd>${from === to ? from : `${from} – ${to}`}</dd>
  ${x.booth !== null && x.booth !== '' && html`<dt>${ctx.t('dashboard.booth')}</dt><dd>${x.booth}</dd>`}
</dl>
<ul class="figures">
  <li><span class="figure">${figures.total}</span> ${ctx.t('dashboard.total')}</li>
  <li><span class="figure">${figures.today}</span> ${ctx.t('dashboard.today')}</li>
  <li><span class="figure">${figures.devices}</span> ${ctx.t('dashboard.devices')}</li>
</ul>
<section aria-labelledby="per-hour">
  <h2 id="per-hour">${ctx.t('dashboard.perHour')}</h2>
  ${chart(ctx, figures.perHour)}
  ${hoursWithLeads.length === 0
    ? html`<p>${ctx.t('dashboard.noScansInHours')}</p>`
    : countTable(ctx.t('dashboard.perHour'), ctx.t('dashboard.hour'), hoursWithLeads.map((h) => [h.hour, h.count]), ctx, true)}
</section>
<section aria-labelledby="by-rating">
  <h2 id="by-rating">${ctx.t('dashboard.byRating')}</h2>
  ${figures.total === 0
    ? html`<p>${ctx.t('dashboard.noLeads')}</p>`
    : countTable(ctx.t('dashboard.byRating'), ctx.t('leads.rating'), figures.byRating.map((r) => [r.rating === null ? ctx.t('leads.none') : String(r.rating), r.count]), ctx)}
</section>
<section aria-labelledby="by-tag">
  <h2 id="by-tag">${ctx.t('dashboard.byTag')}</h2>
  ${figures.byTag.length === 0
    ? html`<p>${ctx.t('dashboard.noLeads')}</p>`
    : countTable(ctx.t('dashboard.byTag'), ctx.t('leads.tag'), figures.byTag.map((r) => [r.tag, r.count]), ctx)}
</section>`)
}

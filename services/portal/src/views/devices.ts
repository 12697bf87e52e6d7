import type { queries } from '@showfloor/db'
import { html } from './html.js'
import { localTime } from './format.js'
import { csrfField, layout, type PageContext } from './layout.js'

type Device = queries.portalExhibitors.DeviceRow

export function devicesPage (ctx: PageContext, devices: Device[], staffCode: string, replaced: boolean, timeZone: string) {
  return layout(ctx, ctx.t('devices.title'), 'devices', html`
${replaced && html`<p role="status" class="saved">${ctx.t('devices.replaced', { code: staffCode })}</p>`}
${devices.length === 0
  ? html`<p>${ctx.t('devices.empty')}</p>`
  : html`<div class="table-scroll"><table>
  <caption class="visually-hidden">${ctx.t('devices.title')}</caption>
  <thead><tr><th scope="col">${ctx.t('devices.name')}</th><th scope="col">${ctx.t('devices.uuid')}</th>
    <th scope="col">${ctx.t('devices.leads')}</th><th scope="col">${ctx.t('devices.lastUpload')}</th></tr></thead>
  <tbody>${devices.map((d) => html`<tr>
    <th scope="row">${d.device_name ?? ctx.t('devices.unnamed')}</th>
    <td><code>${d.device_uuid ?? ''}</code></td>
    <td class="num">${d.leads}</td>
    <td class="time">${localTime(d.last_upload, timeZone)}</td>
  </tr>`)}</tbody>
</table></div>`}
<section aria-labelledby="staff-code">
  <h2 id="staff-code">${ctx.t('devices.staffCode')}</h2>
  <p><code class="code" id="current-staff-code">${staffCode}</code></p>
  <p>${ctx.t('devices.staffCodeHelp')}</p>
  <form method="post" action="/devices/staff-code">
    ${csrfField(ctx)}
    <p id="new-code-help">${ctx.t('devices.newCodeHelp')}</p>
    <button type="submit" aria-describedby="new-code-help">${ctx.t('devices.newCode')}</button>
  </form>
</section>`)
}

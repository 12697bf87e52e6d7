import type { queries } from '@showfloor/db'
import { localized } from '@showfloor/schemas'
import { html } from './html.js'
import { localTime } from './format.js'
import { layout, type PageContext } from './layout.js'

type Voucher = queries.exhibitorApp.AppVoucherRow

export function vouchersPage (ctx: PageContext, vouchers: Voucher[], timeZone: string, pages: { page: number, pages: number }) {
  return layout(ctx, ctx.t('vouchers.title'), 'vouchers', vouchers.length === 0
    ? html`<p>${ctx.t('vouchers.empty')}</p>`
    : html`<div class="table-scroll"><table>
  <caption class="visually-hidden">${ctx.t('vouchers.title')}</caption>
  <thead><tr><th scope="col">${ctx.t('vouchers.code')}</th><th scope="col">${ctx.t('vouchers.product')}</th>
    <th scope="col">${ctx.t('vouchers.redemptions')}</th><th scope="col">${ctx.t('vouchers.validUntil')}</th><th scope="col">${ctx.t('vouchers.comment')}</th></tr></thead>
  <tbody>${vouchers.map((v) => html`<tr>
    <th scope="row"><code>${v.code}</code></th>
    <td>${v.item_name === null ? ctx.t('vouchers.all') : localized(v.item_name, ctx.lang)}</td>
    <td>${ctx.t('vouchers.redeemedOf', { redeemed: v.redeemed, max: v.max_usages })}</td>
    <td class="time">${v.valid_until === null ? '' : localTime(v.valid_until, timeZone)}</td>
    <td>${v.exhibitor_comment}</td>
  </tr>`)}</tbody>
</table></div>
${pages.pages > 1 && html`<nav aria-label="${ctx.t('leads.pages')}" class="pages">
  ${pages.page > 1 && html`<a rel="prev" href="/vouchers/?page=${pages.page - 1}">${ctx.t('leads.previous')}</a>`}
  <span>${ctx.t('leads.page', pages)}</span>
  ${pages.page < pages.pages && html`<a rel="next" href="/vouchers/?page=${pages.page + 1}">${ctx.t('leads.next')}</a>`}
</nav>`}`)
}

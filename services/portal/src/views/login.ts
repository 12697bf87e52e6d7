import { html } from './html.js'
import { csrfField, layout, type PageContext } from './layout.js'

export function loginPage (ctx: PageContext, error: string | null = null) {
  return layout(ctx, ctx.t('login.title'), null, html`
<p>${ctx.t('login.intro')}</p>
${error !== null && html`<p role="alert" class="error">${error}</p>`}
<form method="post" action="/" class="login">
  ${csrfField(ctx)}
  <label for="access_code">${ctx.t('login.code')}</label>
  <input id="access_code" name="access_code" type="text" required autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="255"${error !== null ? html` aria-invalid="true"` : ''}>
  <button type="submit">${ctx.t('login.submit')}</button>
</form>`)
}

import type { Language, Translate } from '../i18n/index.js'
import { html, type Html } from './html.js'

/** What every page is drawn with. */
export interface PageContext {
  t: Translate
  lang: Language
  /** A CSRF token for the page's forms. */
  csrf: string
  /** The path the language switch returns to. */
  path: string
  exhibitor: { name: string, allow_lead_access: boolean, allow_voucher_access: boolean } | null
}

export type Section = 'dashboard' | 'leads' | 'vouchers' | 'devices' | null

export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`

function navigation (ctx: PageContext, active: Section): Html {
  const x = ctx.exhibitor
  if (x === null) return html``
  const link = (section: Exclude<Section, null>, href: string, label: string) =>
    html`<li><a href="${href}"${active === section ? html` aria-current="page"` : ''}>${label}</a></li>`
  return html`<nav aria-label="${ctx.t('nav.label')}"><ul>
    ${link('dashboard', '/dashboard', ctx.t('nav.dashboard'))}
    ${x.allow_lead_access && link('leads', '/leads/', ctx.t('nav.leads'))}
    ${x.allow_voucher_access && link('vouchers', '/vouchers/', ctx.t('nav.vouchers'))}
    ${link('devices', '/devices/', ctx.t('nav.devices'))}
  </ul></nav>`
}

function languageSwitch (ctx: PageContext): Html {
  const other: Language = ctx.lang === 'en' ? 'de' : 'en'
  return html`<form method="post" action="/language" class="language">
    ${csrfField(ctx)}<input type="hidden" name="next" value="${ctx.path}">
    <span id="language-label">${ctx.t('lang.label')}:</span>
    <button type="submit" name="lang" value="${other}" lang="${other}" aria-describedby="language-label">${ctx.t(`lang.${other}`)}</button>
  </form>`
}

/** The document around a page: header with the exhibitor, navigation, language switch and "Log out". */
export function layout (ctx: PageContext, title: string, active: Section, body: Html): Html {
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${ctx.t('appName')}</title>
<link rel="stylesheet" href="/static/portal.css">
</head>
<body>
<a class="skip" href="#main">${ctx.t('skipToContent')}</a>
<header>
  <p class="brand">${ctx.exhibitor?.name ?? ctx.t('appName')}</p>
  ${navigation(ctx, active)}
  <div class="tools">
    ${languageSwitch(ctx)}
    ${ctx.exhibitor !== null && html`<form method="post" action="/logout">${csrfField(ctx)}<button type="submit">${ctx.t('logout')}</button></form>`}
  </div>
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`
}

export function errorPage (ctx: PageContext, message: string): Html {
  return layout(ctx, ctx.t('error.title'), null, html`<p role="alert">${message}</p>
<p><a href="/">${ctx.t('error.backHome')}</a></p>`)
}

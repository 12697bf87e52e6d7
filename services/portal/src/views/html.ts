/** Markup that is already safe: what `html` produced, never text from a user or the database. */
export class Html {
  constructor (readonly value: string) {}
  toString (): string { return this.value }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c])
}

type Value = Html | string | number | boolean | null | undefined | Value[]

function render (value: Value): string {
  if (value === null || value === undefined || value === false || value === true) return ''
  if (value instanceof Html) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/**
 * The templates' only way to make markup: every interpolated value is escaped unless it is itself
 * `Html` (a nested template); arrays are joined; null, undefined and booleans render nothing (so
 * `${cond && html`...`}` works). No template can forget to escape.
 */
export function html (strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]
  return new Html(out)
}

import type { queries } from '@showfloor/db'
import { displayName, localized } from '@showfloor/schemas'

type AccessCodeMailData = queries.mailRequests.AccessCodeMailData

export interface RenderedMail {
  subject: string
  text: string
  html: string
}

interface Values {
  event: string
  exhibitor: string
  booth: string | null
  contact: string | null
  accessCode: string
  scanningCode: string
  appUrl: string
  organizer: string
}

/** A paragraph of the body: plain text, and the code it introduces (shown on a line of its own). */
interface Paragraph { text: string, code?: { label: string, value: string, link?: boolean } }

interface Texts {
  subject: (v: Values) => string
  paragraphs: (v: Values) => Paragraph[]
}

const TEXTS: Record<'en' | 'de', Texts> = {
  en: {
    subject: (v) => `Your access codes for ${v.event}`,
    paragraphs: (v) => [
      { text: v.contact ? `Hello ${v.contact},` : 'Hello,' },
      {
        text: `${v.exhibitor} is registered as an exhibitor at ${v.event}${v.booth ? ` (booth ${v.booth})` : ''}. ` +
          'With the pretixLEAD app you can scan the badges of the visitors at your booth and collect their contact details as leads.'
      },
      {
        text: 'Your access code gives full access: log in to the lead scanning app with it to scan leads, and to view and ' +
          `export all leads and vouchers of ${v.exhibitor}. Share it only with the people who manage your leads.`,
        code: { label: 'Access code', value: v.accessCode }
      },
      {
        text: 'The booth staff code is for the devices of your booth staff: it allows scanning leads only, not viewing the ' +
          'leads collected or your other data.',
        code: { label: 'Booth staff code', value: v.scanningCode }
      },
      {
        text: 'To log in, open the app and enter this server address and one of the codes.',
        code: { label: 'Server', value: v.appUrl, link: true }
      },
      { text: `Best regards,\n${v.organizer}` }
    ]
  },
  de: {
    subject: (v) => `Ihre Zugangscodes für ${v.event}`,
    paragraphs: (v) => [
      { text: v.contact ? `Guten Tag ${v.contact},` : 'Guten Tag,' },
      {
        text: `${v.exhibitor} ist als Aussteller bei ${v.event}${v.booth ? ` (Stand ${v.booth})` : ''} registriert. ` +
          'Mit der App pretixLEAD können Sie an Ihrem Stand die Ausweise von Besucherinnen und Besuchern scannen und deren Kontaktdaten als Leads erfassen.'
      },
      {
        text: 'Ihr Zugangscode gewährt vollen Zugriff: Melden Sie sich damit in der App an, um Leads zu scannen und alle Leads und ' +
          `Gutscheine von ${v.exhibitor} einzusehen und zu exportieren. Geben Sie ihn nur an Personen weiter, die Ihre Leads verwalten.`,
        code: { label: 'Zugangscode', value: v.accessCode }
      },
      {
        text: 'Der Code für das Standpersonal ist für die Geräte Ihres Standpersonals: Er erlaubt nur das Scannen von Leads, ' +
          'nicht das Einsehen der erfassten Leads oder Ihrer übrigen Daten.',
        code: { label: 'Code für das Standpersonal', value: v.scanningCode }
      },
      {
        text: 'Zum Anmelden öffnen Sie die App und geben diese Serveradresse und einen der Codes ein.',
        code: { label: 'Server', value: v.appUrl, link: true }
      },
      { text: `Mit freundlichen Grüßen\n${v.organizer}` }
    ]
  }
}

/** The language of a locale this mail is written in; English for any other. */
function language (locale: string): 'en' | 'de' {
  return locale.toLowerCase().split(/[-_]/)[0] === 'de' ? 'de' : 'en'
}

function escapeHtml (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/**
 * The access-code mail (contract section 9) in the exhibitor's locale: the event (its name in that
 * locale), the exhibitor, both codes with what each is for, and the App API's address.
 */
export function renderAccessCodeMail (data: AccessCodeMailData, appUrl: string): RenderedMail {
  const lang = language(data.locale)
  const values: Values = {
    event: localized(data.event_name, data.locale) || data.event_slug,
    exhibitor: data.exhibitor_name,
    booth: data.booth,
    contact: displayName(data.contact_name_parts),
    accessCode: data.access_code,
    scanningCode: data.lead_scanning_access_code,
    appUrl,
    organizer: data.organizer_name
  }
  const texts = TEXTS[lang]
  const paragraphs = texts.paragraphs(values)
  const text = paragraphs.map((p) => p.code ? `${p.code.label}: ${p.code.value}\n${p.text}` : p.text).join('\n\n') + '\n'
  const htmlParagraphs = paragraphs.map((p) => {
    const body = escapeHtml(p.text).replace(/\n/g, '<br>')
    if (!p.code) return `<p>${body}</p>`
    const value = p.code.link
      ? `<a href="${escapeHtml(p.code.value)}">${escapeHtml(p.code.value)}</a>`
      : `<strong style="font-family: monospace; font-size: 1.3em; letter-spacing: 0.1em">${escapeHtml(p.code.value)}</strong>`
    return `<p>${escapeHtml(p.code.label)}: ${value}<br>${body}</p>`
  })
  const html = `<!DOCTYPE html>\n<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(texts.subject(values))}</title></head>\n` +
    `<body>\n${htmlParagraphs.join('\n')}\n</body></html>\n`
  return { subject: texts.subject(values), text, html }
}

/** The Cc addresses of `contact_cc_email`: a comma-separated list. */
export function ccAddresses (value: string | null): string[] {
  return (value ?? '').split(',').map((address) => address.trim()).filter((address) => address !== '')
}

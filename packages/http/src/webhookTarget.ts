import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

// Where webhooks may send (contract section 13): http or https, and unless private targets are
// allowed, only public unicast addresses. Checked when a webhook is created or changed, and again
// on every delivery by the lookup that the connection itself uses, so a name that resolves
// elsewhere later (DNS rebinding) is still refused.

/** Whether the address is public unicast (not loopback, private, link-local, multicast, reserved, ...). */
export function isPublicAddress (address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  // IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address they carry.
  return ipaddr.process(address).range() === 'unicast'
}

export class TargetRefused extends Error {
  constructor (readonly address: string, hostname: string) {
    super(`${hostname} resolves to ${address}, which is not a public address`)
    this.name = 'TargetRefused'
  }
}

/** The problem with a target URL's form (scheme, host), or null when it is fine. */
export function targetUrlProblem (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'Enter a valid URL.'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Only http and https URLs are allowed.'
  if (url.hostname === '') return 'Enter a valid URL.'
  return null
}

/** A URL's host as a name or an address, without the brackets of an IPv6 literal. */
export function targetHost (url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/**
 * The addresses the URL's host resolves to that are not public, as creation checks them; empty when
 * all are public (or the name does not resolve now: delivery checks again).
 */
export async function refusedAddresses (value: string): Promise<string[]> {
  const host = targetHost(new URL(value))
  if (isIP(host) !== 0) return isPublicAddress(host) ? [] : [host]
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    dnsLookup(host, { all: true }, (err, found) => { resolve(err ? [] : found) })
  })
  return addresses.map((a) => a.address).filter((address) => !isPublicAddress(address))
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for http.request / net.connect that refuses a name with any non-public address: the
 * connection goes only to an address this function handed out. (An address literal in the URL is
 * not looked up: check it with `isPublicAddress` before connecting.)
 */
export function publicOnlyLookup (hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) { callback(err, []); return }
    const refused = addresses.find((a) => !isPublicAddress(a.address))
    if (refused) { callback(new TargetRefused(refused.address, hostname), []); return }
    if (options.all === true) { callback(null, addresses); return }
    const [first] = addresses
    callback(null, first.address, first.family)
  })
}

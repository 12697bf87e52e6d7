import t from 'tap'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isPublicAddress, publicOnlyLookup, refusedAddresses, targetUrlProblem } from '../src/webhookTarget.js'

t.test('which addresses are public', async (t) => {
  const refused = [
    '127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.251', '239.255.255.250', '255.255.255.255', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not an address'
  ]
  for (const address of refused) t.equal(isPublicAddress(address), false, address)
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) {
    t.equal(isPublicAddress(address), true, address)
  }
})

t.test('target URLs: http or https', async (t) => {
  t.equal(targetUrlProblem('https://example.org/hook'), null)
  t.equal(targetUrlProblem('http://user:pass@example.org:8080/hook?x=1'), null)
  for (const url of ['ftp://example.org/', 'file:///etc/passwd', 'gopher://example.org/', 'javascript:alert(1)']) {
    t.equal(targetUrlProblem(url), 'Only http and https URLs are allowed.', url)
  }
  t.equal(targetUrlProblem('example.org/hook'), 'Enter a valid URL.')
  t.ok((await refusedAddresses('http://localhost/')).length > 0, 'localhost resolves to loopback')
  t.same(await refusedAddresses('http://[::1]:8080/'), ['::1'])
  t.same(await refusedAddresses('https://93.184.216.34/'), [])
})

t.test('the lookup refuses a name that resolves to loopback, so nothing connects', async (t) => {
  let reached = 0
  const server = createServer((_req, res) => { reached++; res.end('ok') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const port = (server.address() as AddressInfo).port
  const error = await new Promise<Error>((resolve) => {
    request({ hostname: 'localhost', port, path: '/', lookup: publicOnlyLookup, agent: false }, () => resolve(new Error('answered')))
      .on('error', resolve)
      .end()
  })
  t.match(error, { name: 'TargetRefused', message: /^localhost resolves to (127\.0\.0\.1|::1), which is not a public address$/ })
  t.equal(reached, 0)
})

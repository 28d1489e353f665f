// The demo page's static server (src/cli/http.ts): only the files of the site, no way out of
// it, bounded requests, correct types; upgrades only where a handler is mounted. And
// `picostack node` serving it: the page, its WebSocket on the same port, --http-port.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocket } from 'ws'
import fc from 'fast-check'
import { DEMO_DIR, MAX_URL_LENGTH, createPageServer, loadSite, sitePath } from '../../src/cli/http.js'
import type { Site } from '../../src/cli/http.js'
import { parseNodeArgs } from '../../src/cli/node.js'
import { nodes } from './_helpers.js'

function tempSite (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'demo-http-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(dir, 'app.js'), 'export {}')
  writeFileSync(join(dir, 'app.css'), 'body{}')
  writeFileSync(join(dir, 'assets', 'logo.svg'), '<svg/>')
  writeFileSync(join(dir, 'data.bin'), new Uint8Array([1, 2, 3]))
  writeFileSync(join(dir, '..', `${dir.split('/').pop() as string}-secret.txt`), 'secret')
  t.after(() => rmSync(join(dir, '..', `${dir.split('/').pop() as string}-secret.txt`), { force: true }))
  symlinkSync('/etc/passwd', join(dir, 'passwd'))
  return dir
}

/** One raw HTTP exchange: status, headers, body. */
async function get (port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  const req = request({ host: '127.0.0.1', port, path, method, headers })
  req.end()
  const [res] = await once(req, 'response') as [IncomingMessage]
  let body = ''
  res.setEncoding('utf8')
  for await (const chunk of res) body += chunk as string
  return { status: res.statusCode ?? 0, headers: res.headers, body }
}

async function serve (t: { after: (fn: () => Promise<void>) => void }, site: Site | null, upgrades = {}): Promise<number> {
  const server = createPageServer(site, upgrades, 2000)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => resolve())) })
  return (server.address() as AddressInfo).port
}

test('http: sitePath keeps requests inside the site', () => {
  assert.equal(sitePath('/'), '/index.html')
  assert.equal(sitePath('/app.js?v=1#x'), '/app.js')
  assert.equal(sitePath('/a%20b.js'), '/a b.js')
  for (const bad of ['', 'app.js', '/../etc/passwd', '/a/../../x', '/%2e%2e/x', '/%2E%2E%2Fx', '/.', '/a/./b', '/x%00', '/a\\..\\b', '/%5c..%5cb', '/%zz', '/' + 'a'.repeat(MAX_URL_LENGTH)]) {
    assert.equal(sitePath(bad), null, bad)
  }
  // whatever the target, a path it yields has no dot segment, NUL or backslash
  fc.assert(fc.property(fc.string({ maxLength: 64 }), s => {
    const p = sitePath('/' + s)
    return p === null || (p.startsWith('/') && !p.includes('\0') && !p.includes('\\') && !p.split('/').some(x => x === '..' || x === '.'))
  }))
})

test('http: serves only the files of the site, with their types and security headers', async t => {
  const dir = tempSite(t)
  const site = loadSite(dir)
  assert.ok(site !== null)
  assert.deepEqual([...site.keys()].sort(), ['/app.css', '/app.js', '/assets/logo.svg', '/data.bin', '/index.html']) // the symlink is skipped
  const port = await serve(t, site)
  const index = await get(port, '/')
  assert.equal(index.status, 200)
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8')
  assert.equal(index.headers['x-content-type-options'], 'nosniff')
  assert.match(String(index.headers['content-security-policy']), /default-src 'self'/)
  assert.equal(index.body, '<!doctype html><title>t</title>')
  assert.equal((await get(port, '/app.js')).headers['content-type'], 'text/javascript; charset=utf-8')
  assert.equal((await get(port, '/app.css')).headers['content-type'], 'text/css; charset=utf-8')
  assert.equal((await get(port, '/assets/logo.svg')).headers['content-type'], 'image/svg+xml')
  assert.equal((await get(port, '/data.bin')).headers['content-type'], 'application/octet-stream')
  const secret = `/../${dir.split('/').pop() as string}-secret.txt`
  for (const [path, status] of [['/passwd', 404], ['/nope', 404], ['/assets', 404], ['/../package.json', 400], ['/%2e%2e/package.json', 400], [secret, 400], ['/%2e%2e' + secret.slice(3), 400], ['/%00', 400]] as const) {
    const r = await get(port, path)
    assert.equal(r.status, status, path)
    assert.ok(!r.body.includes('secret') && !r.body.includes('root:'), path)
  }
  // methods, conditional requests, long targets
  const post = await get(port, '/', 'POST', { 'content-length': '3' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.allow, 'GET, HEAD')
  const head = await get(port, '/app.js', 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body, '')
  assert.equal(head.headers['content-length'], '9')
  assert.equal((await get(port, '/app.js', 'GET', { 'if-none-match': String(head.headers.etag) })).status, 304)
  assert.equal((await get(port, '/' + 'a'.repeat(MAX_URL_LENGTH + 10))).status, 414)
})

test('http: an unbuilt page is a 503 saying how to build it; upgrades only where mounted', async t => {
  assert.equal(loadSite(join(tmpdir(), 'no-such-demo-dir')), null)
  let upgraded = 0
  const port = await serve(t, null, { '/': (_req: unknown, socket: Duplex) => { upgraded++; socket.destroy() } })
  const r = await get(port, '/')
  assert.equal(r.status, 503)
  assert.match(r.body, /npm run build/)
  // an upgrade to an unmounted path is refused with 404
  const sock = connect(port, '127.0.0.1')
  sock.write('GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  let answer = ''
  sock.setEncoding('utf8')
  for await (const chunk of sock) answer += chunk as string
  assert.match(answer, /^HTTP\/1\.1 404/)
  assert.equal(upgraded, 0)
})

test('cli node: --http-port parses (-1 = off) and the page shares its port with a sync WebSocket', async t => {
  assert.equal(parseNodeArgs([]).httpPort, undefined)
  assert.equal(parseNodeArgs(['--http-port=-1']).httpPort, -1)
  assert.equal(parseNodeArgs(['--http-port', '8080']).httpPort, 8080)
  assert.throws(() => parseNodeArgs(['--http-port', 'x']), RangeError)
  const n = nodes(t)
  const node = n.start(['--offline', '--data', n.dir(), '--http-port', '0'])
  const [, port] = await node.line(/^open http:\/\/127\.0\.0\.1:(\d+)\/$/)
  const built = loadSite(DEMO_DIR) !== null
  const page = await get(Number(port), '/')
  assert.equal(page.status, built ? 200 : 503)
  // the node's sync speaks first on ws://host/
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  ws.on('error', () => {})
  await once(ws, 'message')
  ws.terminate()
})

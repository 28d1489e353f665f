// The demo page's HTTP server for `picostack node`: the files of dist/demo (read once, kept in
// memory: a request can only name one of them). The node routes its WebSocket upgrades (sync
// at `/`, so the page dials `ws://location.host/`, and the signalling relay at `/signal`).
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where `npm run build` writes the demo page (dist/demo of this package, from src/cli or dist/cli). */
export const DEMO_DIR: string = fileURLToPath(new URL('../../dist/demo/', import.meta.url))

/** The port `--http-port` defaults to; another free port is taken when it is busy. */
export const DEFAULT_HTTP_PORT = 4280

/** Most files and bytes of a site kept in memory. */
export const SITE_LIMITS: { files: number, bytes: number } = { files: 256, bytes: 32 * 1024 * 1024 }

/** Longest request target served (characters); longer ones get 414. */
export const MAX_URL_LENGTH = 2048

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  wasm: 'application/wasm'
}

/** One file of a site. */
interface SiteFile { body: Uint8Array, type: string, etag: string }

/** A static site: request paths (`/index.html`) to files, all in memory. */
export type Site = ReadonlyMap<string, SiteFile>

/**
 * Reads the regular files under `dir` (symbolic links and other entries are skipped) into a
 * site. `/` is served as `/index.html`.
 *
 * @param dir - the folder
 * @returns the site, or null when `dir` has no index.html (the page is not built)
 * @throws RangeError when the folder holds more than {@link SITE_LIMITS}
 */
export function loadSite (dir: string): Site | null {
  if (!existsSync(join(dir, 'index.html'))) return null
  const site = new Map<string, SiteFile>()
  let bytes = 0
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name)
      const st = lstatSync(path)
      if (st.isDirectory()) { walk(path, `${prefix}${name}/`); continue }
      if (!st.isFile()) continue
      if (site.size >= SITE_LIMITS.files || (bytes += st.size) > SITE_LIMITS.bytes) throw new RangeError(`${dir} holds more than ${SITE_LIMITS.files} files or ${SITE_LIMITS.bytes} bytes`)
      const body = readFileSync(path)
      const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase()
      site.set(`${prefix}${name}`, {
        body,
        type: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
      })
    }
  }
  walk(dir, '/')
  return site
}

/** Headers of every answer: no sniffing, no framing, only this origin's scripts and sockets. */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}

/**
 * The site path a request target names: the path without query, percent-decoded; `/` is
 * `/index.html`. Null when it cannot name a file (too long, not absolute, bad escapes, a NUL,
 * a backslash or a `.`/`..` segment).
 *
 * @param target - the request target (`req.url`)
 * @returns the path, or null
 */
export function sitePath (target: string): string | null {
  if (target.length > MAX_URL_LENGTH || !target.startsWith('/')) return null
  const raw = target.split(/[?#]/, 1)[0] as string
  let path: string
  try { path = decodeURIComponent(raw) } catch { return null }
  if (path.includes('\0') || path.includes('\\') || path.split('/').some(s => s === '.' || s === '..')) return null
  return path === '/' ? '/index.html' : path
}

/**
 * Answers one request from `site`: GET and HEAD only (405 otherwise), 404 for anything that
 * is not one of its files, 304 when the client holds the same version. The request body is
 * never read.
 *
 * @param site - the files, or null (the page is not built: 503 saying so)
 * @param req - the request
 * @param res - the response
 */
export function serveSite (site: Site | null, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
    res.end(req.method === 'HEAD' ? undefined : text + '\n')
  }
  // a request that announces a body is answered and its connection closed: the body is never read
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) res.shouldKeepAlive = false
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method Not Allowed', { allow: 'GET, HEAD' })
  const url = req.url ?? '/'
  if (url.length > MAX_URL_LENGTH) return send(414, 'URI Too Long')
  const path = sitePath(url)
  if (path === null) return send(400, 'Bad Request')
  if (site === null) return send(503, 'The demo page is not built: run npm run build')
  const file = site.get(path)
  if (file === undefined) return send(404, 'Not Found')
  const headers = { ...SECURITY_HEADERS, 'content-type': file.type, 'cache-control': 'no-cache', etag: file.etag }
  if (req.headers['if-none-match'] === file.etag) { res.writeHead(304, headers); res.end(); return }
  res.writeHead(200, { ...headers, 'content-length': String(file.body.byteLength) })
  res.end(req.method === 'HEAD' ? undefined : file.body)
}

/** Handles a WebSocket upgrade request (e.g. a `ws` server's `handleUpgrade`). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * The demo page's HTTP server: {@link serveSite} for requests, `upgrades[path]` for WebSocket
 * upgrades; an upgrade to another path is answered 404 and closed. Requests must arrive whole
 * within `timeout` ms.
 *
 * @param site - the files (null: not built)
 * @param upgrades - upgrade handlers by path, or null to leave upgrades to the caller (e.g. `mountSignal`)
 * @param timeout - headers and request deadline, ms
 * @returns the server (not listening)
 */
export function createPageServer (site: Site | null, upgrades: Record<string, UpgradeHandler> | null, timeout: number): Server {
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => serveSite(site, req, res))
  server.headersTimeout = server.requestTimeout = timeout
  if (upgrades === null) return server
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split(/[?#]/, 1)[0] as string
    if (Object.hasOwn(upgrades, path)) { (upgrades[path] as UpgradeHandler)(req, socket, head); return }
    socket.on('error', () => {})
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
  })
  return server
}

/**
 * Listens on `port`, or on any free port when `fallback` is set and `port` is taken.
 *
 * @param server - the server
 * @param port - the port wanted
 * @param host - the address
 * @param fallback - take another port when `port` is busy
 * @returns the port listened on
 */
export async function listenPage (server: Server, port: number, host: string, fallback: boolean): Promise<number> {
  const attempt = (p: number): Promise<number> => new Promise((resolve, reject) => {
    const onError = (err: Error): void => { server.off('listening', onListening); reject(err) }
    const onListening = (): void => { server.off('error', onError); resolve((server.address() as { port: number }).port) }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(p, host)
  })
  try {
    return await attempt(port)
  } catch (err) {
    if (!fallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    return await attempt(0)
  }
}

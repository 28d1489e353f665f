// The app's node: the same TaskKernel as the page (so it validates every block with the same
// rules), persisted to a folder, serving the page over HTTP and syncing with every page over a
// WebSocket, on one port. `npm start` serves dist/; `npm run dev` serves the watch build.
import { mkdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer } from 'ws'
import { MAX_MESSAGE_SIZE } from 'picostack/kernel'
import { ConnectionGate, HEADER_SIZE, limitConnections, wsWire } from 'picostack/net'
import type { WebSocketLike } from 'picostack/net'
import { TaskKernel } from '../src/blockend/tasks'

/** Where the node listens and what it serves. */
export interface NodeOptions {
  /** Folder of the page to serve (index.html and its bundle). */
  root: string
  /** Folder of the node's database (created if missing). */
  data: string
  /** TCP port; 0 picks a free one. */
  port: number
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string
  /** Serve `/__reload`, a stream of reload events for the dev build (default false). */
  liveReload?: boolean
}

/** A running node. */
export interface AppNode {
  /** The page's address, e.g. http://127.0.0.1:8080/ */
  url: string
  /** The node's kernel. */
  kernel: TaskKernel
  /** Tells every open page to reload (dev builds). */
  reload: () => void
  /** Closes the pages' connections, the server and the kernel. */
  close: () => Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json'
}

/** Starts the node: kernel, static page, WebSocket sync at `/ws`. */
export async function startNode (opts: NodeOptions): Promise<AppNode> {
  const root = resolve(opts.root)
  await mkdir(opts.data, { recursive: true })
  const kernel = new TaskKernel(opts.data)
  await kernel.boot()

  const reloads = new Set<ServerResponse>()
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (opts.liveReload === true && path === '/__reload') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      res.write(': connected\n\n')
      reloads.add(res)
      req.on('close', () => reloads.delete(res))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return }
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path))
    if (file !== root && !file.startsWith(root + sep)) { res.writeHead(403).end(); return }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file')
      const body = await readFile(file)
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
    }
  }
  const http = createServer((req, res) => { serve(req, res).catch(() => res.destroy()) })
  // at most 64 connections, 16 from one address; frames above the sync protocol's limit are refused
  limitConnections(http, new ConnectionGate({ maxConnections: 64, maxPerAddress: 16 }))
  const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: MAX_MESSAGE_SIZE + HEADER_SIZE })
  wss.on('connection', ws => { wsWire(kernel.spawnWire(), ws as unknown as WebSocketLike, { maxFrameSize: MAX_MESSAGE_SIZE + HEADER_SIZE }) })

  try {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail)
      http.listen(opts.port, opts.host ?? '127.0.0.1', () => { http.off('error', fail); ok() })
    })
  } catch (err) {
    await kernel.halt()
    throw err
  }
  const { address, port } = http.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}/`,
    kernel,
    reload: () => { for (const res of reloads) res.write('data: reload\n\n') },
    close: async () => {
      for (const res of reloads) res.end()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      await kernel.halt()
      await new Promise<void>(ok => { http.close(() => ok()); http.closeAllConnections() })
    }
  }
}

/** The node's settings from `--port N --host H --data DIR` (or $PORT), with the defaults. */
export interface NodeArgs {
  port: number
  /** The port was asked for (flag or $PORT): no fallback to another one. */
  explicit: boolean
  host: string
  data: string
}

/** Parses `--port N --host H --data DIR` (and the defaults) for the node's scripts. */
export function nodeArgs (values: { port?: string, host?: string, data?: string }, defaults: { data: string }): NodeArgs {
  const given = values.port ?? process.env.PORT
  const port = Number(given ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port expected 0..65535, got ${given}`)
  return { port, explicit: given !== undefined, host: values.host ?? '127.0.0.1', data: values.data ?? defaults.data }
}

/** Starts on `opts.port`, or on a free port when the default one is taken. */
export async function startOnFreePort ({ explicit, ...opts }: NodeOptions & { explicit: boolean }): Promise<AppNode> {
  try {
    return await startNode(opts)
  } catch (err) {
    if (explicit || (err as { code?: string }).code !== 'EADDRINUSE') throw err
    return await startNode({ ...opts, port: 0 })
  }
}

/** Halts `node` on Ctrl-C or SIGTERM (then `more`), and exits. */
export function haltOnSignal (node: AppNode, more?: () => Promise<void>): void {
  let stopping = false
  const stop = (): void => {
    if (stopping) process.exit(1)
    stopping = true
    console.log('halting')
    Promise.all([node.close(), more?.()]).then(() => process.exit(0), err => { console.error(err); process.exit(1) })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

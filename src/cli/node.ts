// `picostack node`: a persistent peer on embedded defaults (the main job).
// Prints one event per line, `event key=value ...`, values without spaces (text is JSON).
import { createServer as createHttpServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import { createServer, connect } from 'node:net'
import type { Server, Socket } from 'node:net'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { setTimeout as delay } from 'node:timers/promises'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import {
  ConnectionGate, DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_ADDRESS,
  DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT, HEADER_SIZE, limitConnections,
  SignalRelay, streamWire, wsWire
} from '../net/index.js'
import type { WebSocketLike } from '../net/index.js'
import { MAX_MESSAGE_SIZE } from '../kernel/constants.js'
import { isPicoError } from '../errors.js'
import { toHex as hex } from '../feed/index.js'
import { Modem56 } from '../modem/index.js'
import type { SwarmClass } from '../modem/index.js'
import { NodeKernel } from './demo.js'
import { DEFAULT_HTTP_PORT, DEMO_DIR, createPageServer, listenPage, loadSite } from './http.js'
import type { Site } from './http.js'
import { mountSignal } from './signal.js'
import { EXIT, EXIT_CODES_HELP } from './errors.js'
import { untilSignal } from './io.js'
import { makeDirsOrFail } from './dirs.js'
import type { Command, Io } from './io.js'

/** Where a node command writes; lines without the trailing newline. */
export interface NodeIO {
  out: (line: string) => void
  err: (line: string) => void
  /** Lines read here become notes (the demo app). */
  stdin?: Readable
  /** Aborting it halts the node (main.ts wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal
}

export const NODE_HELP: string = `Usage: picostack node [options]

Runs a persistent peer: a kernel on LevelDB, TCP and WebSocket listeners on 127.0.0.1, a
hyperswarm topic when a DHT is reachable. Each line typed on stdin becomes a note block.

Options:
  --data DIR          data folder (default ./.picostack/data)
  --host HOST         listen address (default 127.0.0.1)
  --port N            TCP port for stream wires (default 0 = any free port)
  --ws-port N         WebSocket port (default 0 = any free port; --ws-port=-1 = off)
  --http-port N       the demo page (a shared todo list) and its WebSocket on one port, printed
                      as "open http://HOST:PORT/" (default ${DEFAULT_HTTP_PORT}, or any free port when
                      that one is taken; --http-port=-1 = off)
  --connect HOST:PORT dial another node over TCP (repeatable; redials when the link drops)
  --topic NAME        hyperswarm topic (default picostack)
  --bootstrap H:P     DHT bootstrap node (repeatable; default: the public DHT)
  --offline           do not join any swarm
  --tick MS           create a note every MS milliseconds
  --max-connections N most connections the TCP and WebSocket listeners hold together
                      (default ${DEFAULT_MAX_CONNECTIONS}; 0 = no limit); more are closed at once
  --max-per-address N most of those from one address (default ${DEFAULT_MAX_PER_ADDRESS}; 0 = no limit)
  --handshake-timeout MS  a connection must send a frame and finish the sync handshake in time
                      (default ${DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT})
  --idle-timeout MS   a connection silent this long (not even answering pings) is closed
                      (default ${DEFAULT_IDLE_TIMEOUT}; pings go out at half of it)
  --frame-timeout MS  a frame that has begun must arrive whole in time (default ${DEFAULT_FRAME_TIMEOUT})
  --help              this text

Output, one event per line: identity, listening, open, swarm, dial, peers, chains, note,
halting, halt, error. Ctrl-C (SIGINT) or SIGTERM prints halting and halts within a second.
Try two nodes offline: picostack dht prints a --bootstrap address on 127.0.0.1.
${EXIT_CODES_HELP}`

interface NodeArgs {
  data: string
  host: string
  port: number
  wsPort: number
  /** The demo page's port; undefined = the default (or any free port), -1 = off. */
  httpPort: number | undefined
  connect: Array<{ host: string, port: number }>
  topic: string
  bootstrap: Array<{ host: string, port: number }>
  offline: boolean
  tick: number
  maxConnections: number
  maxPerAddress: number
  handshakeTimeout: number
  idleTimeout: number
  frameTimeout: number
  help: boolean
}

function hostPort (value: string, flag: string): { host: string, port: number } {
  const cut = value.lastIndexOf(':')
  const port = Number(value.slice(cut + 1))
  if (cut <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`${flag} expected HOST:PORT, got ${value}`)
  return { host: value.slice(0, cut), port }
}

function integer (value: string | undefined, flag: string, fallback: number, min: number, max = 65535 * 1000): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new RangeError(`${flag} expected an integer from ${min} to ${max}, got ${value}`)
  return n
}

/** The largest TCP port. */
const PORT_MAX = 65535

/**
 * Parses `picostack node` arguments.
 *
 * @param argv - the arguments after `node`
 * @returns the options
 * @throws RangeError/TypeError on unknown flags or bad values
 */
export function parseNodeArgs (argv: string[]): NodeArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'ws-port': { type: 'string' },
      'http-port': { type: 'string' },
      connect: { type: 'string', multiple: true },
      topic: { type: 'string' },
      bootstrap: { type: 'string', multiple: true },
      offline: { type: 'boolean' },
      tick: { type: 'string' },
      'max-connections': { type: 'string' },
      'max-per-address': { type: 'string' },
      'handshake-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'frame-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  return {
    data: resolve(values.data ?? './.picostack/data'),
    host: values.host ?? '127.0.0.1',
    port: integer(values.port, '--port', 0, 0, PORT_MAX),
    wsPort: integer(values['ws-port'], '--ws-port', 0, -1, PORT_MAX),
    httpPort: values['http-port'] === undefined ? undefined : integer(values['http-port'], '--http-port', 0, -1, PORT_MAX),
    connect: (values.connect ?? []).map(v => hostPort(v, '--connect')),
    topic: values.topic ?? 'picostack',
    bootstrap: (values.bootstrap ?? []).map(v => hostPort(v, '--bootstrap')),
    offline: values.offline ?? false,
    tick: integer(values.tick, '--tick', 0, 0),
    maxConnections: integer(values['max-connections'], '--max-connections', DEFAULT_MAX_CONNECTIONS, 0),
    maxPerAddress: integer(values['max-per-address'], '--max-per-address', DEFAULT_MAX_PER_ADDRESS, 0),
    handshakeTimeout: integer(values['handshake-timeout'], '--handshake-timeout', DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT, 1),
    idleTimeout: integer(values['idle-timeout'], '--idle-timeout', DEFAULT_IDLE_TIMEOUT, 1),
    frameTimeout: integer(values['frame-timeout'], '--frame-timeout', DEFAULT_FRAME_TIMEOUT, 1),
    help: values.help ?? false
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

const short = (hex: string): string => hex.slice(0, 16)

function listen (server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve((server.address() as { port: number }).port))
  })
}

/** Packets the listeners accept: the sync protocol's largest message plus the packet header. */
const MAX_FRAME_SIZE = MAX_MESSAGE_SIZE + HEADER_SIZE

/**
 * Runs `picostack node` until `io.signal` aborts.
 *
 * @param argv - arguments after `node`
 * @param io - output sinks, stdin, and the stop signal
 * @returns the exit code
 */
export async function runNode (argv: string[], io: NodeIO): Promise<number> {
  let args: NodeArgs
  try {
    args = parseNodeArgs(argv)
  } catch (err) {
    io.err(`error ${(err as Error).message}`)
    io.err('try: picostack node --help')
    return EXIT.usage
  }
  if (args.help) { io.out(NODE_HELP); return EXIT.ok }

  const cleanups: Array<() => unknown> = []
  let halted = false
  const stopped: Promise<void> = new Promise<void>(resolve => {
    if (io.signal?.aborted === true) resolve()
    io.signal?.addEventListener('abort', () => { io.out('halting'); resolve() }, { once: true })
  })

  makeDirsOrFail(args.data)
  const kernel = new NodeKernel(args.data, { limits: { handshakeTimeout: args.handshakeTimeout } })
  try {
    await kernel.boot()
  } catch (err) {
    io.err(`error ${JSON.stringify(`cannot open ${args.data}: ${withReason(err)}`)}`)
    await kernel.halt().catch(() => {})
    return EXIT.failure
  }
  io.out(`identity pk=${kernel.pk} node=${kernel.nodeId} data=${JSON.stringify(args.data)}`)

  // status: peers, chains, notes, printed when they change
  let lastPeers = ''
  cleanups.push(kernel.$connections()(peers => {
    const line = `peers count=${peers.length} ids=${peers.map(p => p.nodeId).join(',') || '-'}`
    if (line !== lastPeers) io.out(lastPeers = line)
  }))
  let lastChains = ''
  let chainsPending = false
  const printChains = (): void => {
    if (chainsPending || halted) return
    chainsPending = true
    setImmediate(() => {
      chainsPending = false
      if (halted) return
      kernel.chains().then(chains => {
        const heights = chains.map(c => `${short(hex(c.owner))}:${c.height}`).sort().join(',')
        const line = `chains count=${chains.length} heights=${heights || '-'}`
        if (line !== lastChains && !halted) io.out(lastChains = line)
      }, () => {})
    })
  }
  printChains()
  cleanups.push(kernel.store.onMerge(() => printChains()))
  let lastNote = 0
  cleanups.push(kernel.notes.on(state => {
    if (state.count === lastNote || state.last === null) return
    lastNote = state.count
    io.out(`note count=${state.count} author=${short(state.last.author)} text=${JSON.stringify(state.last.text)}`)
  }))

  // listeners: one gate caps the connections of both; frames above the protocol's limit are refused
  const transport = {
    maxFrameSize: MAX_FRAME_SIZE,
    handshakeTimeout: args.handshakeTimeout,
    idleTimeout: args.idleTimeout,
    frameTimeout: args.frameTimeout
  }
  const gate = new ConnectionGate({ maxConnections: args.maxConnections, maxPerAddress: args.maxPerAddress })
  const sockets = new Set<Socket>()
  const tcp = createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    streamWire(kernel.spawnWire(), socket, transport)
  })
  limitConnections(tcp, gate)
  // the WebSocket listener's own http server: the gate refuses before the HTTP upgrade, and a
  // socket that never completes its upgrade request is closed after the handshake timeout
  const http = createHttpServer({ connectionsCheckingInterval: 1000 }, (_req, res) => { res.writeHead(426, { Connection: 'close' }).end() })
  http.headersTimeout = http.requestTimeout = args.handshakeTimeout
  limitConnections(http, gate)
  let wss: WebSocketServer | null = null
  const relay = new SignalRelay() // one set of rooms for both ports
  cleanups.push(() => relay.close())
  const onWebSocket = (ws: WebSocket): void => { wsWire(kernel.spawnWire(), ws as unknown as WebSocketLike, transport) }
  // the demo page: its files and its WebSocket (ws://location.host/) on one port, behind the gate
  let page: HttpServer | null = null
  let pageWss: WebSocketServer | null = null
  let site: Site | null = null
  if (args.httpPort !== -1) {
    try { site = loadSite(DEMO_DIR) } catch (err) { io.err(`error ${JSON.stringify(`demo page: ${(err as Error).message}`)}`) }
    const sync = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_SIZE, autoPong: false })
    sync.on('connection', onWebSocket)
    pageWss = sync
    page = createPageServer(site, null, args.handshakeTimeout)
    const signal = mountSignal(page, sync, relay) // as on the WebSocket port: /signal relays WebRTC offers, other paths sync
    cleanups.push(() => signal.close())
    limitConnections(page, gate)
  }
  let tcpPort: number
  let wsPort = -1
  let httpPort = -1
  try {
    tcpPort = await listen(tcp, args.port, args.host)
    if (args.wsPort >= 0) {
      // no automatic answer to WebSocket-level pings: the wire has its own, under backpressure
      wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_SIZE, autoPong: false })
      wss.on('connection', onWebSocket)
      const signal = mountSignal(http, wss, relay) // /signal: the WebRTC signalling relay; other paths: sync
      cleanups.push(() => signal.close())
      wsPort = await listen(http, args.wsPort, args.host)
    }
    if (page !== null) httpPort = await listenPage(page, args.httpPort ?? DEFAULT_HTTP_PORT, args.host, args.httpPort === undefined)
  } catch (err) {
    io.err(`error ${JSON.stringify(`cannot listen: ${(err as Error).message}`)}`)
    tcp.close()
    wss?.close()
    http.close()
    page?.close()
    relay.close()
    await kernel.halt()
    return EXIT.failure
  }
  io.out(`listening tcp=${args.host}:${tcpPort} ws=${wsPort >= 0 ? `${args.host}:${wsPort}` : 'off'}`)
  if (page !== null) {
    if (site === null) io.out('demo status=unbuilt hint="npm run build"')
    io.out(`open http://${args.host.includes(':') ? `[${args.host}]` : args.host}:${httpPort}/`)
  }

  // outgoing links, redialled while the node runs
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const dial = (to: { host: string, port: number }): void => {
    if (halted) return
    const addr = `${to.host}:${to.port}`
    const socket = connect(to.port, to.host)
    sockets.add(socket)
    let opened = false
    let reason = 'closed'
    socket.once('connect', () => {
      opened = true
      io.out(`dial to=${addr} status=connected`)
      streamWire(kernel.spawnWire(), socket, transport)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => { reason = err.code ?? JSON.stringify(err.message) })
    socket.once('close', () => {
      sockets.delete(socket)
      if (halted) return
      io.out(`dial to=${addr} status=${opened ? 'closed' : 'failed'} reason=${reason}`)
      const timer = setTimeout(() => { timers.delete(timer); dial(to) }, 1000)
      timers.add(timer)
    })
  }
  for (const to of args.connect) dial(to)

  // the swarm, never fatal
  let modem: Modem56 | null = null
  if (args.offline) {
    io.out(`swarm topic=${args.topic} status=disabled`)
  } else {
    io.out(`swarm topic=${args.topic} status=joining`)
    void (async () => {
      try {
        const { default: Hyperswarm } = await import('hyperswarm')
        // a local DHT: bind to loopback too (hyperswarm alone binds 0.0.0.0, and on one machine
        // the server side then never sees the connection)
        const local = args.bootstrap.length > 0 && args.bootstrap.every(b => LOOPBACK.has(b.host))
        const HyperDHT = local ? (await import('hyperdht')).default : undefined
        const newModem = (): Modem56 => {
          let options: { bootstrap?: NodeArgs['bootstrap'], dht?: unknown } = {}
          if (HyperDHT !== undefined) options = { dht: new HyperDHT({ bootstrap: args.bootstrap, host: '127.0.0.1' }) }
          else if (args.bootstrap.length > 0) options = { bootstrap: args.bootstrap }
          return new Modem56(Hyperswarm as unknown as SwarmClass<typeof options>, options, {
            onerror: err => io.out(`error swarm ${JSON.stringify(err.message)}`)
          }) as Modem56
        }
        // Announce and look up until the DHT answers once: a node started while the DHT was
        // unreachable, or too slow to answer in time, finds peers within minutes instead of at
        // hyperswarm's own refresh, 10 to 12 minutes later. Each try stops waiting when the node
        // halts, after 15 s, or as soon as the DHT has bootstrapped without finding a single
        // node (an unreachable bootstrap); the next comes DHT_RETRY_FIRST later, doubling up to
        // DHT_RETRY_MAX. The topic stays joined throughout: peers may turn up meanwhile. A DHT
        // node that found no other is replaced: it has announced itself to no relay, and stays
        // unreachable for minutes even once the DHT answers.
        const stopping = (): boolean => halted || io.signal?.aborted === true
        for (let wait = DHT_RETRY_FIRST; !stopping(); wait = Math.min(2 * wait, DHT_RETRY_MAX)) {
          if (modem === null) {
            modem = newModem() // the halt, which comes later, destroys it
            await modem.join(args.topic, () => kernel.spawnWire(), { flush: false })
          }
          const dht = (modem.swarm as { dht?: { fullyBootstrapped?: () => Promise<void>, toArray?: () => unknown[] } }).dht
          const noNodes = new AbortController()
          dht?.fullyBootstrapped?.().then(() => { if (dht.toArray?.().length === 0) noNodes.abort() }, () => {})
          const signals = [AbortSignal.timeout(15_000), noNodes.signal]
          if (io.signal !== undefined) signals.push(io.signal)
          let ok = false
          try {
            ok = await modem.refresh(args.topic, { signal: AbortSignal.any(signals) })
          } catch (err) {
            if (!isPicoError(err, 'Aborted')) throw err
          }
          if (stopping()) return
          if (ok) { io.out(`swarm topic=${args.topic} status=joined`); return }
          io.out(`swarm topic=${args.topic} status=offline reason=no-dht-reply retry=${wait / 1000}s`)
          if (dht?.toArray?.().length === 0) {
            const lone = modem
            modem = null
            await lone.destroy()
          }
          await delay(wait, undefined, { signal: io.signal }).catch(() => {})
        }
      } catch (err) {
        if (!halted) io.out(`swarm topic=${args.topic} status=offline reason=${JSON.stringify((err as Error).message)}`)
      }
    })()
  }

  // the demo app: stdin lines and ticks become notes
  const create = (text: string): void => {
    if (halted || text.trim() === '') return
    kernel.createNote(text).catch(err => io.out(`error note ${JSON.stringify((err as Error).message)}`))
  }
  if (io.stdin !== undefined) {
    const rl = createInterface({ input: io.stdin })
    rl.on('line', create)
    cleanups.push(() => rl.close())
  }
  if (args.tick > 0) {
    let n = 0
    const interval = setInterval(() => create(`tick ${++n}`), args.tick)
    cleanups.push(() => clearInterval(interval))
  }

  await stopped
  halted = true
  for (const c of cleanups) c()
  for (const t of timers) clearTimeout(t)
  tcp.close()
  if (wss !== null) {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
  }
  http.close()
  http.closeAllConnections()
  if (pageWss !== null) for (const ws of pageWss.clients) ws.terminate()
  page?.close()
  page?.closeAllConnections()
  // The modem closes its channels at once; the DHT may take seconds to let go, so its
  // destroy runs on without holding the halt (the command exits anyway, see untilSignal).
  const leaving = (modem as Modem56 | null)?.destroy().catch(() => {})
  await kernel.halt()
  for (const s of sockets) s.destroy()
  if (leaving !== undefined) await Promise.race([leaving, new Promise<void>(resolve => setTimeout(resolve, DHT_GRACE_MS).unref())])
  io.out('halt')
  return EXIT.ok
}

/** An error's message, then its innermost cause's (the reason: a lock held, a folder refused). */
function withReason (err: unknown): string {
  let inner = err
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause
  const top = err instanceof Error ? err.message : String(err)
  return inner !== err && inner instanceof Error ? `${top} (${inner.message})` : top
}

/** How long a halting node waits for the DHT to let go before it stops waiting (ms). */
const DHT_GRACE_MS = 200
/** Wait before the second DHT announce and lookup when the first got no answer; it doubles each time. */
const DHT_RETRY_FIRST = 5_000
/** The longest wait between two DHT tries (then hyperswarm's own refresh takes over too). */
const DHT_RETRY_MAX = 300_000

/**
 * The `picostack node` command for main.ts: output lines go to `io.stdout`/`io.stderr`; stdin
 * lines (the demo app) and SIGINT/SIGTERM (halt) come from this process.
 */
export const nodeCommand: Command = {
  summary: 'run a persistent peer (kernel, TCP/WebSocket wires, hyperswarm topic)',
  usage: NODE_HELP + '\n',
  async run (argv: string[], io: Io): Promise<number> {
    try {
      return await untilSignal(signal => runNode(argv, {
        out: line => { io.stdout(line + '\n') },
        err: line => { io.stderr(line + '\n') },
        stdin: process.stdin,
        signal
      }), io.stdoutClosed)
    } finally {
      process.stdin.destroy()
    }
  }
}

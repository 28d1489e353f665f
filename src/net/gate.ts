import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_ADDRESS } from './constants.js'

/** What a {@link ConnectionGate} needs of an accepted socket (a node:net `Socket` fits). */
export interface GateSocket {
  /** The peer's address; undefined once the socket is gone. */
  readonly remoteAddress?: string | undefined
  /** A socket already destroyed is refused (its `'close'` may have passed). */
  readonly destroyed?: boolean
  /** Closes the socket at once (a refused connection). */
  destroy (): unknown
  /** Tells when the socket closed (its slot is freed). */
  once (event: 'close', listener: () => void): unknown
}

/** Options of a {@link ConnectionGate}. */
export interface ConnectionGateOptions {
  /** Most connections admitted at once (256; `0` = no limit). */
  maxConnections?: number
  /** Most connections admitted at once from one address, or one /64 for IPv6 (16; `0` = no limit). */
  maxPerAddress?: number
}

/** A server the gate can guard by its `'connection'` event: node:net, http, https, tls. */
export interface GatedServer {
  /** The server's event dispatch, wrapped so a refused `'connection'` never reaches its listeners. */
  emit (event: string | symbol, ...args: unknown[]): boolean
}

/** A server the gate can guard by its upgrade handler: a `ws` WebSocketServer. */
export interface UpgradingServer {
  /** Completes a WebSocket upgrade, wrapped so a refused request's socket is destroyed. */
  handleUpgrade (request: unknown, socket: GateSocket, head: unknown, callback: (...args: never[]) => void): void
}

function limit (name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`"${name}" expected a non-negative integer, got ${String(value)}`)
  return value === 0 ? Infinity : value
}

/**
 * The key a peer's address counts under: the IPv4 address (also when IPv4-mapped), the first 64
 * bits of an IPv6 address (one host commonly holds a whole /64). @internal
 */
export function addressKey (address: string | undefined): string {
  if (address === undefined || address === '') return '?'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1] as string
  if (!address.includes(':')) return address
  const bare = address.replace(/%.*$/, '').toLowerCase()
  const [head = '', tail] = bare.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return groups.slice(0, 4).map(g => (parseInt(g, 16) || 0).toString(16)).join(':') + '::/64'
}

/**
 * Counts the connections a listener holds, in total and per remote address, and refuses (closes
 * at once, before any protocol work) those over either cap: a peer cannot hold more than its
 * share of a node's sockets, timers and buffers. {@link limitConnections} puts one in front of a
 * server; {@link ConnectionGate.admit} serves any other accept loop.
 *
 * @example
 * ```ts
 * const gate = new ConnectionGate({ maxConnections: 256, maxPerAddress: 16 })
 * net.createServer(socket => { if (gate.admit(socket)) streamWire(hub.createWire(), socket) })
 * ```
 */
export class ConnectionGate {
  readonly #max: number
  readonly #perAddress: number
  readonly #byAddress: Map<string, number> = new Map()
  #count = 0
  #refused = 0

  /**
   * A gate with the given caps.
   * @param options - caps; see {@link ConnectionGateOptions}
   */
  constructor (options: ConnectionGateOptions = {}) {
    this.#max = limit('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)
    this.#perAddress = limit('maxPerAddress', options.maxPerAddress ?? DEFAULT_MAX_PER_ADDRESS)
  }

  /** Connections admitted and not closed yet. */
  get count (): number { return this.#count }

  /** Connections refused so far. */
  get refused (): number { return this.#refused }

  /** Connections admitted and not closed yet from `address` (or its /64). */
  countOf (address: string): number {
    return this.#byAddress.get(addressKey(address)) ?? 0
  }

  /**
   * Admits `socket` and counts it until its `'close'`, or refuses it: destroys it (or calls
   * `refuse`, e.g. a WebSocket's `terminate`) and returns false. Call it first, before any work
   * on the connection.
   *
   * @param socket - the accepted socket
   * @param refuse - how to drop a refused connection (default: `socket.destroy()`)
   * @returns whether the connection may proceed
   */
  admit (socket: GateSocket, refuse: () => void = () => { socket.destroy() }): boolean {
    const key = addressKey(socket.remoteAddress)
    const n = this.#byAddress.get(key) ?? 0
    if (this.#count >= this.#max || n >= this.#perAddress || socket.destroyed === true) {
      this.#refused++
      refuse()
      return false
    }
    this.#count++
    this.#byAddress.set(key, n + 1)
    socket.once('close', () => {
      this.#count--
      const left = (this.#byAddress.get(key) ?? 1) - 1
      if (left === 0) this.#byAddress.delete(key)
      else this.#byAddress.set(key, left)
    })
    return true
  }
}

/**
 * Puts a {@link ConnectionGate} in front of `server`: a connection over a cap is closed before
 * any listener sees it. For a node:net, tls or http server every `'connection'` is admitted or
 * refused (the gate wraps `server.emit`); the http server of a WebSocket listener is the
 * cheapest place, before the HTTP upgrade is even read. For a `ws` WebSocketServer the gate
 * wraps `handleUpgrade`: a refused upgrade request has its socket destroyed without an answer.
 *
 * @param server - a node:net/http/tls Server or a ws WebSocketServer
 * @param options - caps (see {@link ConnectionGateOptions}), or a gate to share between listeners
 * @returns the gate, to read its counts
 * @throws RangeError on a negative or fractional cap
 * @example
 * ```ts
 * const server = net.createServer(socket => streamWire(kernel.spawnWire(), socket))
 * limitConnections(server, { maxConnections: 256, maxPerAddress: 16 })
 * ```
 */
export function limitConnections (server: GatedServer | UpgradingServer, options?: ConnectionGateOptions | ConnectionGate): ConnectionGate {
  const gate = options instanceof ConnectionGate ? options : new ConnectionGate(options)
  if (typeof (server as Partial<UpgradingServer>).handleUpgrade === 'function') {
    const upgrading = server as UpgradingServer
    const handle = upgrading.handleUpgrade
    upgrading.handleUpgrade = function (this: UpgradingServer, request, socket, head, callback): void {
      if (gate.admit(socket)) handle.call(this, request, socket, head, callback)
    }
    return gate
  }
  const emitting = server as GatedServer
  const emit = emitting.emit
  emitting.emit = function (this: GatedServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && !gate.admit(args[0] as GateSocket)) return false
    return emit.call(this, event, ...args)
  }
  return gate
}

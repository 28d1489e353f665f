// The signalling relay: passes WebRTC offers, answers and ICE candidates between the pages of
// one room, and nothing else. It stores no message, and every bound closes the offender's
// connection with a typed close code (SIGNAL_CLOSE_CODES).
import { intOption, randomIdBytes, hexOf } from './mesh.js'
import { SIGNAL_CLOSE_CODES, encodeSignalMessage, parseClientMessage } from './signal-protocol.js'
import type { SignalCloseName } from './signal-protocol.js'

/** Default largest signalling message (bytes): 16 KiB, ample for an SDP offer. */
export const DEFAULT_SIGNAL_MAX_MESSAGE: number = 16 * 1024
/** Default most pages in one room. */
export const DEFAULT_SIGNAL_MAX_PEERS: number = 16
/** Default most rooms at once. */
export const DEFAULT_SIGNAL_MAX_ROOMS: number = 256
/** Default sustained messages per second one page may send. */
export const DEFAULT_SIGNAL_RATE: number = 20
/** Default burst of messages above the rate (a page meeting a full room at once). */
export const DEFAULT_SIGNAL_BURST: number = 100
/** Default time (ms) a page has to join after connecting. */
export const DEFAULT_SIGNAL_JOIN_TIMEOUT: number = 10_000
/** Default interval (ms) of the relay's WebSocket pings; a page missing one is dropped. */
export const DEFAULT_SIGNAL_PING_INTERVAL: number = 30_000
/** Bytes queued for a page above which messages to it are dropped (it does not read). */
const MAX_QUEUED = 256 * 1024

/**
 * The WebSocket interface the relay uses: a `ws` package socket fits (text messages arrive as
 * strings through `addEventListener`). `ping`/`on('pong')`/`terminate` are optional.
 */
export interface SignalSocket {
  /** 1 when open. */
  readonly readyState: number
  /** Bytes queued for sending. */
  readonly bufferedAmount: number
  /** Sends a text message. */
  send (data: string): void
  /** Closes with a code and reason. */
  close (code?: number, reason?: string): void
  /** Drops the connection at once. */
  terminate? (): void
  /** Sends a WebSocket ping. */
  ping? (): void
  /** `ws`'s emitter, used for `'pong'` only. */
  on? (event: 'pong', listener: () => void): unknown
  /** Listens for messages, close and errors. */
  addEventListener (type: 'message' | 'close' | 'error', listener: (event: { data?: unknown }) => void): void
}

/** Options of {@link SignalRelay}. */
export interface SignalRelayOptions {
  /** Largest message accepted, in bytes (16 KiB); give the `ws` server the same `maxPayload`. */
  maxMessageSize?: number
  /** Most pages in a room (16). */
  maxPeersPerRoom?: number
  /** Most rooms at once (256). */
  maxRooms?: number
  /** Sustained messages per second per page (20). */
  rate?: number
  /** Messages a page may send at once above the rate (100). */
  burst?: number
  /** Milliseconds a page has to send `join` (10 000). */
  joinTimeout?: number
  /** Milliseconds between pings; a page that did not answer the previous one is dropped (30 000; 0 = none). */
  pingInterval?: number
}

/** Counters of a {@link SignalRelay}. */
export interface SignalRelayStats {
  /** Pages joined now. */
  readonly peers: number
  /** Rooms now. */
  readonly rooms: number
  /** Messages relayed so far. */
  readonly relayed: number
  /** Bytes relayed so far (what the relay sent on; never more than what the senders sent). */
  readonly relayedBytes: number
  /** Messages dropped: unknown target, or a target that does not read. */
  readonly dropped: number
  /** Connections closed for crossing a bound, by close name. */
  readonly closed: Readonly<Partial<Record<SignalCloseName, number>>>
}

interface Conn {
  readonly socket: SignalSocket
  id: string | null
  room: Room | null
  roomName: string
  tokens: number
  refilled: number
  timer: ReturnType<typeof setTimeout> | null
  /** Pages this one exchanged signals with: told when it leaves. */
  readonly contacts: Set<Conn>
  awaitingPong: boolean
  done: boolean
}

type Room = Map<string, Conn>

const OPEN = 1
const encoder = new TextEncoder()
const utf8Length = (s: string): number => encoder.encode(s).byteLength

/**
 * Relays WebRTC signalling between the pages of a room (see {@link joinRtc} for the page side
 * and the README for the protocol). Hand it each accepted WebSocket with {@link SignalRelay.handle};
 * `picostack node` mounts it at `/signal` on its WebSocket port.
 *
 * What a page can make it do is bounded: one message is at most `maxMessageSize` and costs one
 * token of a per-page bucket (`rate`/s, `burst`); a relayed message is never larger than the one
 * its sender sent; nothing is stored or queued beyond the socket (a page that does not read
 * loses messages); rooms and their size are capped. Crossing a bound closes the page's
 * connection with a code of {@link SIGNAL_CLOSE_CODES}.
 *
 * @example
 * ```ts
 * const relay = new SignalRelay()
 * const wss = new WebSocketServer({ port: 8080, maxPayload: DEFAULT_SIGNAL_MAX_MESSAGE })
 * wss.on('connection', ws => relay.handle(ws))
 * ```
 */
export class SignalRelay {
  readonly #maxMessage: number
  readonly #maxPeers: number
  readonly #maxRooms: number
  readonly #rate: number
  readonly #burst: number
  readonly #joinTimeout: number
  readonly #rooms = new Map<string, Room>()
  readonly #conns = new Set<Conn>()
  readonly #pinger: ReturnType<typeof setInterval> | null = null
  #relayed = 0
  #relayedBytes = 0
  #dropped = 0
  readonly #closedBy: Partial<Record<SignalCloseName, number>> = {}
  #closing = false

  /**
   * @param options - bounds; see {@link SignalRelayOptions}
   * @throws RangeError on a bound that is not a positive integer
   */
  constructor (options: SignalRelayOptions = {}) {
    this.#maxMessage = intOption('maxMessageSize', options.maxMessageSize, DEFAULT_SIGNAL_MAX_MESSAGE)
    this.#maxPeers = intOption('maxPeersPerRoom', options.maxPeersPerRoom, DEFAULT_SIGNAL_MAX_PEERS)
    this.#maxRooms = intOption('maxRooms', options.maxRooms, DEFAULT_SIGNAL_MAX_ROOMS)
    this.#rate = intOption('rate', options.rate, DEFAULT_SIGNAL_RATE)
    this.#burst = intOption('burst', options.burst, DEFAULT_SIGNAL_BURST)
    this.#joinTimeout = intOption('joinTimeout', options.joinTimeout, DEFAULT_SIGNAL_JOIN_TIMEOUT)
    const ping = intOption('pingInterval', options.pingInterval, DEFAULT_SIGNAL_PING_INTERVAL, 0)
    if (ping > 0) {
      this.#pinger = setInterval(() => this.#ping(), ping)
      ;(this.#pinger as { unref?: () => void }).unref?.()
    }
  }

  /** The largest message accepted (bytes): give the WebSocket server the same `maxPayload`. */
  get maxMessageSize (): number { return this.#maxMessage }

  /** Counters, for tests and status lines. */
  get stats (): SignalRelayStats {
    let peers = 0
    for (const room of this.#rooms.values()) peers += room.size
    return { peers, rooms: this.#rooms.size, relayed: this.#relayed, relayedBytes: this.#relayedBytes, dropped: this.#dropped, closed: { ...this.#closedBy } }
  }

  /**
   * Takes an open WebSocket from a page: it must `join` a room within `joinTimeout`.
   *
   * @param socket - an accepted WebSocket (`ws`)
   */
  handle (socket: SignalSocket): void {
    if (this.#closing) { this.#closeSocket(socket, 'Closing'); return }
    const conn: Conn = { socket, id: null, room: null, roomName: '', tokens: this.#burst, refilled: performance.now(), timer: null, contacts: new Set(), awaitingPong: false, done: false }
    this.#conns.add(conn)
    conn.timer = setTimeout(() => { conn.timer = null; this.#fail(conn, 'JoinTimeout') }, this.#joinTimeout)
    ;(conn.timer as { unref?: () => void }).unref?.()
    socket.addEventListener('message', event => this.#onmessage(conn, event.data))
    socket.addEventListener('close', () => this.#gone(conn))
    socket.addEventListener('error', () => this.#gone(conn))
    socket.on?.('pong', () => { conn.awaitingPong = false })
  }

  /** Closes every page's connection (`Closing`) and stops the pings. Idempotent. */
  close (): void {
    if (this.#closing) return
    this.#closing = true
    if (this.#pinger !== null) clearInterval(this.#pinger)
    for (const conn of [...this.#conns]) this.#fail(conn, 'Closing')
  }

  #onmessage (conn: Conn, data: unknown): void {
    if (conn.done) return
    // the bucket first: a flood costs one subtraction per message
    const now = performance.now()
    conn.tokens = Math.min(this.#burst, conn.tokens + (now - conn.refilled) * this.#rate / 1000)
    conn.refilled = now
    if (conn.tokens < 1) { this.#fail(conn, 'RateLimited'); return }
    conn.tokens -= 1
    if (typeof data !== 'string') { this.#fail(conn, 'BadSignal'); return }
    if (data.length > this.#maxMessage) { this.#fail(conn, 'TooLarge'); return }
    const size = utf8Length(data)
    if (size > this.#maxMessage) { this.#fail(conn, 'TooLarge'); return }
    const message = parseClientMessage(data)
    if (message === null) { this.#fail(conn, 'BadSignal'); return }
    if (message.type === 'join') { this.#join(conn, message.room); return }
    if (conn.room === null || conn.id === null) { this.#fail(conn, 'BadSignal'); return }
    const target = conn.room.get(message.peer)
    if (target === undefined || target === conn || target.socket.readyState !== OPEN || target.socket.bufferedAmount > MAX_QUEUED) {
      this.#dropped++
      return
    }
    const out = encodeSignalMessage({ type: 'signal', peer: conn.id, data: message.data })
    const outSize = utf8Length(out)
    // the relay never sends more than it was sent (a page cannot use it as an amplifier)
    if (outSize > size) { this.#fail(conn, 'BadSignal'); return }
    conn.contacts.add(target)
    target.contacts.add(conn)
    this.#send(target, out)
    this.#relayed++
    this.#relayedBytes += outSize
  }

  #join (conn: Conn, name: string): void {
    if (conn.room !== null) { this.#fail(conn, 'BadSignal'); return }
    let room = this.#rooms.get(name)
    if (room === undefined) {
      if (this.#rooms.size >= this.#maxRooms) { this.#fail(conn, 'TooManyRooms'); return }
      room = new Map()
      this.#rooms.set(name, room)
    } else if (room.size >= this.#maxPeers) {
      this.#fail(conn, 'RoomFull')
      return
    }
    if (conn.timer !== null) { clearTimeout(conn.timer); conn.timer = null }
    let id = hexOf(randomIdBytes())
    while (room.has(id)) id = hexOf(randomIdBytes())
    const peers = [...room.keys()]
    conn.id = id
    conn.room = room
    room.set(id, conn)
    conn.roomName = name
    this.#send(conn, encodeSignalMessage({ type: 'welcome', id, peers }))
  }

  #send (conn: Conn, text: string): void {
    if (conn.socket.readyState !== OPEN) return
    try { conn.socket.send(text) } catch { this.#gone(conn) }
  }

  #ping (): void {
    for (const conn of this.#conns) {
      if (conn.done || conn.socket.ping === undefined || conn.socket.on === undefined) continue
      if (conn.awaitingPong) { this.#gone(conn); this.#terminate(conn.socket); continue }
      conn.awaitingPong = true
      try { conn.socket.ping() } catch { this.#gone(conn) }
    }
  }

  #terminate (socket: SignalSocket): void {
    try { if (socket.terminate !== undefined) socket.terminate(); else socket.close() } catch { /* gone */ }
  }

  #closeSocket (socket: SignalSocket, name: SignalCloseName): void {
    this.#closedBy[name] = (this.#closedBy[name] ?? 0) + 1
    try { socket.close(SIGNAL_CLOSE_CODES[name], name) } catch { this.#terminate(socket) }
  }

  #fail (conn: Conn, name: SignalCloseName): void {
    if (conn.done) return
    this.#gone(conn)
    this.#closeSocket(conn.socket, name)
  }

  /** The page is gone: leave its room and tell the pages it signalled with. */
  #gone (conn: Conn): void {
    if (conn.done) return
    conn.done = true
    this.#conns.delete(conn)
    if (conn.timer !== null) { clearTimeout(conn.timer); conn.timer = null }
    const room = conn.room
    if (room === null || conn.id === null) return
    room.delete(conn.id)
    if (room.size === 0) this.#rooms.delete(conn.roomName)
    const leave = encodeSignalMessage({ type: 'leave', peer: conn.id })
    for (const other of conn.contacts) {
      other.contacts.delete(conn)
      if (!other.done) this.#send(other, leave)
    }
    conn.contacts.clear()
  }
}

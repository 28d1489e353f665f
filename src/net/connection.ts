import {
  DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_WRITE_BUFFER_FRAMES, DEFAULT_MIN_FRAME_RATE,
  DEFAULT_TIMEOUT, DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT
} from './constants.js'
import {
  NetError, disconnected, frameTimeout, handshakeTimeout, peerTimeout, protocolError, safetyCatch, slowPeer, toError, unknownPort
} from './errors.js'
import { ERROR, MAX_PORT, PING, PONG, REPLY, decodePacket } from './frame.js'
import type { Packet } from './frame.js'
import type { Answer, Plug, Reply } from './types.js'
import { onAbandon, postTo, replyTo } from './wire.js'
import type { AnswerSink } from './wire.js'

/** Options shared by every transport. Every bound closes the connection with a typed {@link NetError} when crossed. */
export interface TransportOptions {
  /** Largest packet (header + payload, bytes) sent or accepted (16 MiB). A larger incoming one closes the connection with `FrameTooLarge`. */
  maxFrameSize?: number
  /**
   * Milliseconds this side waits for its own application to answer a question that came from
   * the peer (30 000); past it the peer's conversation fails with a `RemoteError` (`Timeout`).
   */
  timeout?: number
  /**
   * Milliseconds of total silence from the peer (not a byte, not even a pong) after which the
   * connection closes with `PeerTimeout` (30 000; `0` disables). Whenever this side has sent
   * nothing for half of it, it sends a ping, which the peer's transport answers. Also the time
   * the bytes queued for a peer may stay above the high-water mark without draining before the
   * connection closes with `SlowPeer`.
   */
  idleTimeout?: number
  /**
   * Milliseconds the peer has, from the moment the connection opens, to send its first complete
   * frame (a ping counts) before the connection closes with `HandshakeTimeout` (10 000; `0`
   * disables). Until this side has sent something, it pings after half of it.
   */
  handshakeTimeout?: number
  /**
   * Milliseconds within which an incoming frame must complete once its first byte arrived
   * (20 000; `0` disables), extended by one second per `minFrameRate` bytes of it received; past
   * it the connection closes with `FrameTimeout`. Byte streams only: a WebSocket delivers whole
   * messages (its partial messages count toward `idleTimeout`).
   */
  frameTimeout?: number
  /**
   * Bytes per second of a frame in progress that earn it more time beyond `frameTimeout`
   * (16 384; `0`: `frameTimeout` alone bounds every frame).
   */
  minFrameRate?: number
  /**
   * Bytes queued for the peer (not yet taken by the OS) above which the transport stops reading
   * from the peer until they drain (2 × `maxFrameSize`), so a peer that never reads cannot make
   * this side buffer answers without bound. A transport that cannot pause its source (a browser
   * WebSocket, a stream without `pause`) closes the connection with `SlowPeer` instead.
   */
  maxWriteBuffer?: number
}

/** What a transport provides to a {@link FrameConnection}. @internal */
export interface Link {
  /** Writes one packet; returns false when the transport's buffer is full (then calls `drained()` later). */
  write (dst: number, src: number, flags: number, payload: Uint8Array): boolean
  /** Closes the transport: gracefully when `error` is null. Called at most once. */
  end (error: Error | null): void
  /** Bytes written and not yet taken by the OS / network. */
  buffered (): number
  /** Above this many buffered bytes the link is full. */
  readonly highWater: number
  /** Stops reading from the peer (absent: the link cannot). */
  pause?: () => void
  /** Reads from the peer again. */
  resume?: () => void
}

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function positive (name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`"${name}" expected a non-negative number, got ${String(value)}`)
  return value
}

/** Reads transport options with defaults. @internal */
export function transportOptions (options: TransportOptions = {}): Required<TransportOptions> {
  const maxFrameSize = positive('maxFrameSize', options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE)
  return {
    maxFrameSize,
    timeout: positive('timeout', options.timeout ?? DEFAULT_TIMEOUT),
    idleTimeout: positive('idleTimeout', options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT),
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout ?? DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT),
    frameTimeout: positive('frameTimeout', options.frameTimeout ?? DEFAULT_FRAME_TIMEOUT),
    minFrameRate: positive('minFrameRate', options.minFrameRate ?? DEFAULT_MIN_FRAME_RATE),
    maxWriteBuffer: positive('maxWriteBuffer', options.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER_FRAMES * maxFrameSize)
  }
}

/** A timeout option as a number of ms, `Infinity` when disabled. */
const bound = (ms: number): number => ms === 0 ? Infinity : ms
const now = (): number => performance.now()

/** A payload that is a small view of a large buffer is copied so it does not pin the buffer. */
function own (payload: Uint8Array): Uint8Array {
  return payload.byteLength * 4 < payload.buffer.byteLength ? payload.slice() : payload
}

/**
 * Carries one plug's conversations over a packet transport (WebSocket, byte stream): keeps the routing
 * table of ports awaiting the peer's replies, turns packets into messages and replies, and
 * closes the plug on any protocol violation. Transports only move packets. @internal
 */
export class FrameConnection implements AnswerSink {
  readonly #plug: Plug
  readonly #link: Link
  readonly #options: Required<TransportOptions>
  /** Send options of the waits for our application's answers (one object, not one per message). */
  readonly #ask: { timeout: number }
  /** Port → the local reply function waiting for the peer's answer. */
  readonly #routes: Map<number, Reply> = new Map()
  #nextPort = 1
  #wrapped = false
  #closed = false
  #transportGone = false
  #drain: Promise<void> | null = null
  #resolveDrain: (() => void) | null = null
  #rejectDrain: ((err: Error) => void) | null = null

  // Liveness (all times from performance.now(), bounds Infinity when disabled). One timer per
  // connection, armed for the earliest deadline; traffic only moves timestamps.
  readonly #idle: number
  readonly #handshake: number
  readonly #frame: number
  /** We ping when we have sent nothing for this long. */
  readonly #pingEvery: number
  #timer: ReturnType<typeof setTimeout> | null = null
  #timerAt = Infinity
  #openedAt = 0
  #lastHeard = 0
  #lastSent = 0
  /** When the first ping is due if we have sent nothing by then (later ones: `#lastSent + #pingEvery`). */
  #firstPing = Infinity
  #sentAny = false
  /** The peer sent a complete frame (the handshake guard is off). */
  #gotFrame = false
  #frames = 0
  /** Start of the unfinished incoming frame (0: between frames), and `#frames` then. */
  #partialSince = 0
  #partialFrame = 0
  /** Bytes of the unfinished frame received so far. */
  #partialBytes = 0
  /** Milliseconds of extra time one byte of a frame in progress earns (0: none). */
  readonly #msPerByte: number
  /** Since when the write buffer is above the high-water mark (0: it is not), and its size then. */
  #fullSince = 0
  #fullLevel = 0
  #paused = false
  #pongDue = false

  constructor (plug: Plug, link: Link, options: Required<TransportOptions>) {
    this.#plug = plug
    this.#link = link
    this.#options = options
    this.#ask = { timeout: options.timeout }
    this.#idle = bound(options.idleTimeout)
    this.#handshake = bound(options.handshakeTimeout)
    this.#frame = bound(options.frameTimeout)
    this.#pingEvery = this.#idle / 2
    this.#msPerByte = options.minFrameRate > 0 ? 1000 / options.minFrameRate : 0
  }

  /** Number of conversations waiting for the peer. */
  get waiting (): number { return this.#routes.size }

  /** Opens the plug: from now on messages flow both ways, and the liveness bounds run. */
  start (): void {
    const t = now()
    this.#openedAt = this.#lastHeard = t
    // first ping after half the shorter of the idle and handshake bounds: the peer's handshake
    // guard hears from us in time even when neither application speaks first
    this.#firstPing = t + Math.min(this.#idle, this.#handshake) / 2
    this.#plug.closed.then(err => this.#shutdown(err), safetyCatch)
    this.#plug.open((message, reply) => this.#send(message, reply))
    if (!this.#closed) this.#check()
  }

  /**
   * The transport received bytes (a chunk of a byte stream, after decoding it): the peer is
   * alive. `partial` is the number of bytes of an unfinished frame now held (0: none).
   */
  heard (partial: number): void {
    const t = now()
    this.#lastHeard = t
    if (partial === 0) { this.#partialSince = 0; return }
    this.#partialBytes = partial
    if (this.#partialSince !== 0 && this.#partialFrame === this.#frames) return // the same frame goes on
    this.#partialSince = t
    this.#partialFrame = this.#frames
    this.#arm(this.#frameDeadline())
  }

  /** When the frame in progress must be complete: `frameTimeout` after its start, plus what its bytes earned. */
  #frameDeadline (): number {
    return this.#partialSince + this.#frame + this.#partialBytes * this.#msPerByte
  }

  /** The transport delivered one packet's bytes (message transports). */
  receiveBytes (bytes: Uint8Array): void {
    if (this.#closed) return
    this.#lastHeard = now()
    let packet
    try {
      packet = decodePacket(bytes)
    } catch (err) {
      this.fail(toError(err))
      return
    }
    this.receive(packet)
  }

  /** The transport delivered one decoded packet. */
  receive (packet: Packet): void {
    if (this.#closed) return
    this.#gotFrame = true
    this.#frames++
    const { dst, src, flags } = packet
    switch (flags) {
      case PING: if (!this.#pongDue) { this.#pongDue = true; queueMicrotask(this.#pong) } return
      case PONG: return
    }
    const payload = own(packet.payload)
    if (dst === 0) {
      if (flags === ERROR) { this.fail(protocolError('error packet without a conversation')); return }
      if (src !== 0) postTo(this.#plug, payload, this.#ask, this, src)
      else this.#plug.postMessage(payload, false).catch(safetyCatch)
      return
    }
    const reply = this.#routes.get(dst)
    if (reply === undefined) {
      // A port we handed out earlier: its asker gave up (timeout, abort) — a late answer, dropped.
      // A port never handed out: the peer is broken.
      if (dst >= this.#nextPort && !this.#wrapped) this.fail(unknownPort(dst))
      return
    }
    this.#routes.delete(dst)
    if (flags === ERROR) {
      const text = decoder.decode(payload)
      const cut = text.indexOf('\n')
      const code = cut < 0 ? 'Error' : text.slice(0, cut)
      reply.reject(new NetError('RemoteError', `RemoteError: peer failed with ${code}: ${cut < 0 ? text : text.slice(cut + 1)}`))
    } else if (src !== 0) {
      try { replyTo(reply, payload, true, this.#ask, this, src) } catch (err) { this.failed(toError(err), src) }
    } else {
      try { replyTo(reply, payload, false, undefined, this, 0) } catch (err) { safetyCatch(err) }
    }
  }

  /**
   * Answers the pings of one batch of input with one pong (a flood of pings in one chunk costs
   * one write), and none while bytes pile up for a peer that does not read them.
   */
  #pong = (): void => {
    this.#pongDue = false
    if (!this.#closed && this.#link.buffered() <= this.#link.highWater) this.#write(0, 0, PONG, EMPTY)
  }

  /** The transport's buffer has room again. */
  drained (): void {
    this.#fullSince = 0
    if (this.#paused) { this.#paused = false; this.#link.resume?.() }
    const resolve = this.#resolveDrain
    this.#drain = this.#resolveDrain = this.#rejectDrain = null
    resolve?.()
  }

  /** The transport closed (`error` null = cleanly). */
  transportClosed (error: Error | null): void {
    this.#transportGone = true
    this.#plug.close(error ?? undefined)
  }

  /** Ends the connection with an error (protocol violation, peer timeout). */
  fail (error: Error): void {
    this.#plug.close(error)
  }

  /** The application posted a message: allocate a port when it expects a reply, then write. */
  #send (message: Uint8Array, reply: Reply | null): Promise<void> | undefined {
    if (this.#closed) throw disconnected()
    if (message.byteLength + 9 > this.#options.maxFrameSize) {
      throw new RangeError(`"message" of ${message.byteLength} bytes exceeds the transport's maxFrameSize of ${this.#options.maxFrameSize}`)
    }
    if (reply === null) return this.#write(0, 0, 0, message)
    return this.#write(0, this.#route(reply), REPLY, message)
  }

  /** Our application answered the peer's port `dst`: send it (with a port when it expects a reply). @internal */
  answered (answer: Answer, dst: number): void {
    if (this.#plug.isClosed) return
    try {
      const next = answer[1]
      if (next === null) this.#write(dst, 0, 0, answer[0])
      else this.#write(dst, this.#route(next), REPLY, answer[0])
    } catch (err) { this.fail(toError(err)) }
  }

  /** Our application failed to answer the peer's port `dst`: tell the peer. @internal */
  failed (error: Error, dst: number): void {
    if (this.#plug.isClosed) return // the close itself tells the peer
    try {
      const c = (error as { code?: unknown }).code
      const code = typeof c === 'string' ? c : error.name
      this.#write(dst, 0, ERROR, encoder.encode(`${code}\n${error.message}`.slice(0, 1024)))
    } catch (err) { this.fail(toError(err)) }
  }

  #route (reply: Reply): number {
    let port = this.#nextPort
    while (this.#routes.has(port)) port = port === MAX_PORT ? 1 : port + 1
    if (port === MAX_PORT) { this.#nextPort = 1; this.#wrapped = true } else this.#nextPort = port + 1
    this.#routes.set(port, reply)
    onAbandon(reply, () => { if (this.#routes.get(port) === reply) this.#routes.delete(port) })
    return port
  }

  #write (dst: number, src: number, flags: number, payload: Uint8Array): Promise<void> | undefined {
    this.#lastSent = now()
    this.#sentAny = true
    if (this.#link.write(dst, src, flags, payload)) return undefined
    this.#full()
    if (this.#drain === null) {
      this.#drain = new Promise((resolve, reject) => { this.#resolveDrain = resolve; this.#rejectDrain = reject })
      this.#drain.catch(() => {})
    }
    return this.#drain
  }

  /** The write buffer is above the high-water mark: watch it drain; past `maxWriteBuffer` stop reading. */
  #full (): void {
    if (this.#fullSince === 0) {
      this.#fullSince = this.#lastSent
      this.#fullLevel = this.#link.buffered()
      this.#arm(this.#fullSince + this.#idle)
    }
    if (this.#paused || this.#link.buffered() <= this.#options.maxWriteBuffer) return
    if (this.#link.pause === undefined) {
      this.fail(slowPeer(`more than ${this.#options.maxWriteBuffer} bytes queued for a peer that does not read them`))
      return
    }
    this.#paused = true
    this.#link.pause()
  }

  /** Arms the timer for `at` unless it already fires earlier. */
  #arm (at: number): void {
    if (at >= this.#timerAt || at === Infinity || this.#closed) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(this.#tick, Math.max(1, Math.ceil(at - now())))
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #tick = (): void => {
    this.#timer = null
    this.#timerAt = Infinity
    if (!this.#closed) this.#check()
  }

  #pingAt (): number {
    return this.#sentAny ? this.#lastSent + this.#pingEvery : this.#firstPing
  }

  /** Enforces every liveness bound that has passed, sends a ping when due, re-arms. */
  #check (): void {
    const t = now()
    if (this.#paused) { // we do not read the peer now: its silence is ours; the write buffer decides
      this.#lastHeard = t
      if (this.#partialSince !== 0) this.#partialSince = t
    }
    if (!this.#gotFrame && t - this.#openedAt >= this.#handshake) { this.fail(handshakeTimeout(this.#options.handshakeTimeout)); return }
    if (t - this.#lastHeard >= this.#idle) { this.fail(peerTimeout(this.#options.idleTimeout)); return }
    if (this.#partialSince !== 0 && t >= this.#frameDeadline()) { this.fail(frameTimeout(this.#options.frameTimeout)); return }
    if (this.#fullSince !== 0) {
      const level = this.#link.buffered()
      if (level <= this.#link.highWater) {
        this.#fullSince = 0 // drained without telling (a link that only polls)
      } else if (level < this.#fullLevel) {
        this.#fullSince = t // it moves, slowly: a slow reader, not a dead one
        this.#fullLevel = level
      } else if (t - this.#fullSince >= this.#idle) {
        this.fail(slowPeer(`${level} bytes queued for the peer did not drain within ${this.#options.idleTimeout} ms`))
        return
      }
    }
    if (t >= this.#pingAt()) {
      // with bytes queued for the peer it has something to read already
      if (this.#link.buffered() <= this.#link.highWater) this.#write(0, 0, PING, EMPTY)
      else { this.#lastSent = t; this.#sentAny = true }
      if (this.#closed) return
    }
    let next = Math.min(this.#lastHeard + this.#idle, this.#pingAt())
    if (!this.#gotFrame) next = Math.min(next, this.#openedAt + this.#handshake)
    if (this.#partialSince !== 0) next = Math.min(next, this.#frameDeadline())
    if (this.#fullSince !== 0) next = Math.min(next, this.#fullSince + this.#idle)
    this.#arm(next)
  }

  #shutdown (error: Error | null): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; this.#timerAt = Infinity }
    this.#routes.clear()
    this.#rejectDrain?.(error ?? disconnected())
    this.#drain = this.#resolveDrain = this.#rejectDrain = null
    if (!this.#transportGone) {
      this.#transportGone = true
      this.#link.end(error)
    }
  }
}

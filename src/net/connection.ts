import { DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_TIMEOUT } from './constants.js'
import { NetError, disconnected, peerTimeout, protocolError, safetyCatch, toError, unknownPort } from './errors.js'
import { ERROR, MAX_PORT, PING, PONG, REPLY, decodePacket } from './frame.js'
import type { Packet } from './frame.js'
import type { Answer, Plug, Reply } from './types.js'
import { onAbandon, postTo, replyTo } from './wire.js'
import type { AnswerSink } from './wire.js'

/** Options shared by every transport. */
export interface TransportOptions {
  /** Largest packet (header + payload, bytes) sent or accepted (16 MiB). A larger incoming one closes the connection with `FrameTooLarge`. */
  maxFrameSize?: number
  /**
   * Milliseconds this side waits for its own application to answer a question that came from
   * the peer (30 000); past it the peer's conversation fails with a `RemoteError` (`Timeout`).
   */
  timeout?: number
  /**
   * Milliseconds of total silence from a peer that owes replies after which the connection
   * closes with `PeerTimeout` (30 000; a ping is sent halfway; `0` disables).
   */
  idleTimeout?: number
}

/** What a transport provides to a {@link FrameConnection}. @internal */
export interface Link {
  /** Writes one packet; returns false when the transport's buffer is full (then calls `drained()` later). */
  write (dst: number, src: number, flags: number, payload: Uint8Array): boolean
  /** Closes the transport: gracefully when `error` is null. Called at most once. */
  end (error: Error | null): void
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
  return {
    maxFrameSize: positive('maxFrameSize', options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE),
    timeout: positive('timeout', options.timeout ?? DEFAULT_TIMEOUT),
    idleTimeout: positive('idleTimeout', options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT)
  }
}

/** A payload that is a small view of a large buffer is copied so it does not pin the buffer. */
function own (payload: Uint8Array): Uint8Array {
  return payload.byteLength * 4 < payload.buffer.byteLength ? payload.slice() : payload
}

/**
 * Carries one plug's conversations over a packet transport (spec/net.md §4): keeps the routing
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
  #heardFrom = false
  #pinged = false
  #timer: ReturnType<typeof setTimeout> | null = null
  #drain: Promise<void> | null = null
  #resolveDrain: (() => void) | null = null
  #rejectDrain: ((err: Error) => void) | null = null

  constructor (plug: Plug, link: Link, options: Required<TransportOptions>) {
    this.#plug = plug
    this.#link = link
    this.#options = options
    this.#ask = { timeout: options.timeout }
  }

  /** Number of conversations waiting for the peer. */
  get waiting (): number { return this.#routes.size }

  /** Opens the plug: from now on messages flow both ways. */
  start (): void {
    this.#plug.closed.then(err => this.#shutdown(err), safetyCatch)
    this.#plug.open((message, reply) => this.#send(message, reply))
  }

  /** The transport delivered one packet's bytes (message transports). */
  receiveBytes (bytes: Uint8Array): void {
    if (this.#closed) return
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
    this.#heardFrom = true
    const { dst, src, flags } = packet
    switch (flags) {
      case PING: this.#write(0, 0, PONG, EMPTY); return
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

  /** The transport's buffer has room again. */
  drained (): void {
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
    this.#arm()
    return port
  }

  #write (dst: number, src: number, flags: number, payload: Uint8Array): Promise<void> | undefined {
    if (this.#link.write(dst, src, flags, payload)) return undefined
    if (this.#drain === null) {
      this.#drain = new Promise((resolve, reject) => { this.#resolveDrain = resolve; this.#rejectDrain = reject })
      this.#drain.catch(() => {})
    }
    return this.#drain
  }

  /** Keepalive: runs only while the peer owes replies. */
  #arm (): void {
    const idle = this.#options.idleTimeout
    if (this.#timer !== null || idle === 0 || idle === Infinity || this.#closed) return
    this.#timer = setTimeout(this.#tick, Math.max(1, idle / 2))
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #tick = (): void => {
    this.#timer = null
    if (this.#closed) return
    if (this.#routes.size === 0) { this.#pinged = false; this.#heardFrom = false; return }
    if (this.#heardFrom) {
      this.#heardFrom = false
      this.#pinged = false
    } else if (this.#pinged) {
      this.fail(peerTimeout(this.#options.idleTimeout))
      return
    } else {
      this.#pinged = true
      this.#write(0, 0, PING, EMPTY)
    }
    this.#arm()
  }

  #shutdown (error: Error | null): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null }
    this.#routes.clear()
    this.#rejectDrain?.(error ?? disconnected())
    this.#drain = this.#resolveDrain = this.#rejectDrain = null
    if (!this.#transportGone) {
      this.#transportGone = true
      this.#link.end(error)
    }
  }
}

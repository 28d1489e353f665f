import { FrameConnection, transportOptions } from './connection.js'
import type { TransportOptions } from './connection.js'
import { DEFAULT_WS_HIGH_WATER } from './constants.js'
import { connectionError, frameTooLarge, protocolError } from './errors.js'
import { HEADER_SIZE, outgoing, plain, writeHeader } from './frame.js'
import { wireOptions } from './stream.js'
import type { Plug } from './types.js'
import { isPlug, picoWire } from './wire.js'

/** A WebSocket event as the transport reads it (fields of MessageEvent / CloseEvent / ErrorEvent). */
export interface WebSocketEventLike {
  /** The event name: `open`, `message`, `close` or `error`. */
  readonly type?: string
  /** A message's payload (an `ArrayBuffer`, a `Uint8Array` or a string). */
  readonly data?: unknown
  /** A close event's status code. */
  readonly code?: number
  /** A close event's reason text. */
  readonly reason?: string
  /** A close event: whether the closing handshake completed. */
  readonly wasClean?: boolean
  /** An error event's message. */
  readonly message?: string
}

/**
 * The standard WebSocket interface the transport uses: the browser's native `WebSocket` and the
 * `ws` package's both fit.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the standard values). */
  readonly readyState: number
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number
  /** How binary messages arrive; the transport sets `'arraybuffer'`. */
  binaryType: string
  /** Sends a binary message. */
  send (data: Uint8Array): void
  /** Closes the socket. */
  close (code?: number, reason?: string): void
  /** Listens for a socket event. */
  addEventListener (type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void
  /** Removes a socket event listener. */
  removeEventListener (type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void
  /**
   * Optional (the `ws` package has them, browsers do not): the transport stops reading while
   * more than `maxWriteBuffer` is queued for a peer that does not read; without them it closes
   * the connection with `SlowPeer` instead.
   */
  /** Optional (`ws` has it): stops reading while our write buffer is full. */
  pause? (): void
  /** Optional: reads again. */
  resume? (): void
}

/** Options of {@link wsWire}. */
export interface WebSocketOptions extends TransportOptions {
  /** `bufferedAmount` (bytes) above which sends wait until it drops (1 MiB). */
  highWaterMark?: number
}

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
/** Poll interval (ms) while waiting for `bufferedAmount` to drop: WebSocket has no drain event. */
const DRAIN_POLL = 2

/** Turns an incoming WebSocket message into bytes, or null when it is not binary. */
function bytesOf (data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (data instanceof Uint8Array) return plain(data)
  return null
}

/**
 * Carries `plug`'s conversations over a WebSocket, one packet per binary message (a
 * frame without its length prefix). The plug is opened when the socket is. Closing the plug
 * closes the socket (code 1000, or 4000 with the error's code as reason); the socket closing
 * closes the plug (`ConnectionError` unless clean). A text message, an oversized message, a
 * malformed packet or a reply to an unknown port closes the connection with a typed error, and
 * so does a peer that crosses a liveness bound (`PeerTimeout`, `HandshakeTimeout`, `SlowPeer`;
 * see {@link TransportOptions}). Give a `ws` server `maxPayload: maxFrameSize` so it refuses an
 * oversized message before buffering it.
 * Sets `binaryType` to `'nodebuffer'` where supported (the `ws` package: received bytes are not
 * copied), else to `'arraybuffer'`.
 *
 * @param plug - an unopened plug
 * @param socket - a WebSocket (native in browsers, `ws` in Node), connecting or open
 * @param options - {@link TransportOptions} and `highWaterMark`
 * @throws TypeError when `plug` is not a plug or already has a handler
 * @example
 * ```ts
 * wss.on('connection', ws => wsWire(hub.createWire(), ws))
 * ```
 */
export function wsWire (plug: Plug, socket: WebSocketLike, options?: WebSocketOptions): void {
  if (!isPlug(plug)) throw new TypeError('"plug" expected a plug')
  if (typeof socket?.send !== 'function' || typeof socket.addEventListener !== 'function') throw new TypeError('"socket" expected a WebSocket')
  const opts = transportOptions(options)
  const highWater = options?.highWaterMark ?? DEFAULT_WS_HIGH_WATER
  socket.binaryType = 'nodebuffer' // ws: hands over the received bytes as they are, no copy
  if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer' // browsers ignore or reset an unknown type
  let poll: ReturnType<typeof setTimeout> | null = null
  let detached = false

  const detach = (): void => {
    if (detached) return
    detached = true
    if (poll !== null) { clearTimeout(poll); poll = null }
    socket.removeEventListener('open', onopen)
    socket.removeEventListener('message', onmessage)
  }
  const ondone = (): void => {
    detach()
    socket.removeEventListener('close', onclose)
    socket.removeEventListener('error', onerror)
  }
  const onopen = (): void => conn.start()
  const onmessage = (event: WebSocketEventLike): void => {
    if (detached) return
    const bytes = bytesOf(event.data)
    if (bytes === null) conn.fail(protocolError('text or non-binary WebSocket message'))
    else if (bytes.byteLength > opts.maxFrameSize) conn.fail(frameTooLarge(bytes.byteLength, opts.maxFrameSize))
    else conn.receiveBytes(bytes)
  }
  const onclose = (event: WebSocketEventLike): void => {
    ondone()
    const clean = event.code === 1000 || (event.wasClean === true && event.code !== 4000)
    conn.transportClosed(clean ? null : connectionError(`WebSocket closed with ${String(event.code)} ${event.reason ?? ''}`.trim()))
  }
  // stays until 'close' so a late error never goes unhandled
  const onerror = (event: WebSocketEventLike): void => {
    detach()
    conn.transportClosed(connectionError(`WebSocket error${event.message !== undefined ? ': ' + event.message : ''}`))
  }
  const waitDrain = (): void => {
    poll = null
    if (detached) return
    if (socket.bufferedAmount > highWater) poll = setTimeout(waitDrain, DRAIN_POLL)
    else conn.drained()
  }

  const conn = new FrameConnection(plug, {
    write (dst, src, flags, payload) {
      const packet = outgoing(HEADER_SIZE + payload.byteLength)
      writeHeader(packet, 0, dst, src, flags)
      packet.set(payload, HEADER_SIZE)
      socket.send(packet)
      if (socket.bufferedAmount <= highWater) return true
      if (poll === null) poll = setTimeout(waitDrain, DRAIN_POLL)
      return false
    },
    buffered: () => socket.bufferedAmount,
    highWater,
    ...(typeof socket.pause === 'function' && typeof socket.resume === 'function'
      ? { pause: () => { socket.pause?.() }, resume: () => { socket.resume?.() } }
      : {}),
    end (error) {
      detach()
      if (socket.readyState >= CLOSING) { ondone(); return }
      const code = error === null ? 1000 : 4000
      const reason = error === null ? '' : String((error as { code?: unknown }).code ?? error.name).slice(0, 100)
      socket.close(code, reason)
    }
  }, opts)

  socket.addEventListener('message', onmessage)
  socket.addEventListener('close', onclose)
  socket.addEventListener('error', onerror)
  if (socket.readyState === OPEN) conn.start()
  else if (socket.readyState === CONNECTING) socket.addEventListener('open', onopen)
  else { ondone(); conn.start(); conn.transportClosed(connectionError('WebSocket already closed')) }
}

/**
 * Turns a WebSocket (browser-native or `ws`) into a plug. Same semantics as {@link wsWire}.
 *
 * @param socket - a WebSocket, connecting or open
 * @param options - transport options plus the wire's `id` and reply `timeout`
 * @returns a plug to open with a handler, splice, or hand to a hub
 * @example
 * ```ts
 * const plug = fromWebSocket(new WebSocket('ws://127.0.0.1:8080'))
 * await plug.open(onmessage)
 * ```
 */
export function fromWebSocket (socket: WebSocketLike, options?: WebSocketOptions & { id?: string }): Plug {
  const [app, loose] = picoWire(wireOptions(options))
  wsWire(loose, socket, options)
  return app
}

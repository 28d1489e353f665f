import { FrameConnection, transportOptions } from './connection.js'
import type { TransportOptions } from './connection.js'
import { connectionError, toError, truncatedFrame } from './errors.js'
import { FrameDecoder, HEADER_SIZE, LENGTH_SIZE, outgoing, plain, writeFrameHeader } from './frame.js'
import type { Packet } from './frame.js'
import type { Plug } from './types.js'
import { isPlug, picoWire } from './wire.js'

/**
 * The part of a Node `Duplex` (net.Socket, tls, a hyperswarm/streamx connection, ...) the
 * stream transport uses. Chunks arrive as `Uint8Array` (a Node `Buffer` is one).
 */
export interface DuplexLike {
  /** Writes bytes; false when the caller should wait for `drain`. */
  write (chunk: Uint8Array): boolean
  /** Ends the writable side. */
  end (): unknown
  /** Destroys the stream. */
  destroy (error?: Error): unknown
  /** Incoming bytes. */
  on (event: 'data', listener: (chunk: Uint8Array) => void): unknown
  /** A stream failure. */
  on (event: 'error', listener: (error: Error) => void): unknown
  /** The stream ended, closed, or can take writes again. */
  on (event: 'end' | 'close' | 'drain', listener: () => void): unknown
  /** Removes a `data` listener. */
  removeListener (event: 'data', listener: (chunk: Uint8Array) => void): unknown
  /** Removes an `error` listener. */
  removeListener (event: 'error', listener: (error: Error) => void): unknown
  /** Removes an `end`/`close`/`drain` listener. */
  removeListener (event: 'end' | 'close' | 'drain', listener: () => void): unknown
  /** Optional (net.Socket has them): batch the header and payload writes into one syscall. */
  cork? (): void
  /** Flushes the writes batched since `cork`. */
  uncork? (): void
  /** Optional (net.Socket has it): the transport turns Nagle's algorithm off for request/reply latency. */
  setNoDelay? (noDelay?: boolean): unknown
  /**
   * Optional (a Node Readable has it): the transport stops reading while too much is queued for
   * a peer that does not read.
   */
  pause? (): unknown
  /** Optional: reads again. */
  resume? (): unknown
  /** Optional (Writable streams have it): bytes queued for writing. */
  readonly writableLength?: number
  /** Optional (Writable streams have it): the queue size above which `write` returns false. */
  readonly writableHighWaterMark?: number
  /** Optional (Node streams have it): true once the stream was destroyed. */
  readonly destroyed?: boolean
}

/** Options of {@link streamWire} and {@link fromStream}. */
export interface StreamOptions extends TransportOptions {
  /**
   * Reassemble a large frame inside the memory of the chunk it begins in, instead of a fresh
   * buffer (one allocation and one copy fewer per large message). Default: true for a node:net
   * `Socket` (TCP, Unix, TLS), whose chunks are fresh reads nobody else holds; false for any
   * other stream, whose chunks may be memory the writer still uses (an in-process pair).
   */
  reuseChunks?: boolean
}

/** node:net's `Socket` where the platform has one (looked up at run time: no import for bundlers). */
const NetSocket = ((globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  ?.getBuiltinModule?.('node:net') as { Socket?: abstract new (...args: never[]) => object } | undefined)?.Socket

/** High-water mark assumed for a stream that does not report `writableHighWaterMark` (Node's default). */
const DEFAULT_STREAM_HIGH_WATER = 16 * 1024

/** Payloads up to this size are copied next to their header and written once. */
const COPY_LIMIT = 16 * 1024

/**
 * Carries `plug`'s conversations over a byte stream as length-prefixed frames (frames
 * survive any chunking). The plug is opened at once. Closing the plug ends the
 * stream (`end()` when closed without error, `destroy()` with one); the stream ending or failing
 * closes the plug. A frame above `maxFrameSize`, a malformed packet or a reply to an unknown
 * port closes the connection with `FrameTooLarge`, `ProtocolError` or `UnknownPort`; a stream
 * that ends inside a frame with `TruncatedFrame`; a socket error with `ConnectionError`; a peer
 * that stays silent, sends no first frame, drips a frame or does not read what we send with
 * `PeerTimeout`, `HandshakeTimeout`, `FrameTimeout` or `SlowPeer` (see {@link TransportOptions}).
 * `await plug.postMessage(...)` waits while the stream's buffer is full (backpressure); above
 * `maxWriteBuffer` queued the transport stops reading the peer until it drains.
 * With `reuseChunks` (the default on a node:net Socket) the transport owns the chunks the stream
 * emits and may reassemble a frame inside a chunk's memory: nothing else should read its `'data'`.
 *
 * @param plug - an unopened plug, e.g. from {@link Hub.createWire} or {@link picoWire}
 * @param stream - any Node Duplex (TCP or Unix socket, hyperswarm connection)
 * @param options - {@link TransportOptions} and `reuseChunks`
 * @throws TypeError when `plug` is not a plug or already has a handler
 * @example
 * ```ts
 * net.createServer(socket => streamWire(hub.createWire(), socket))
 * ```
 */
export function streamWire (plug: Plug, stream: DuplexLike, options?: StreamOptions): void {
  if (!isPlug(plug)) throw new TypeError('"plug" expected a plug')
  if (typeof stream?.write !== 'function' || typeof stream.on !== 'function') throw new TypeError('"stream" expected a Duplex stream')
  const opts = transportOptions(options)
  const reuseChunks = options?.reuseChunks ?? (NetSocket !== undefined && stream instanceof NetSocket)
  const decoder = new FrameDecoder(opts.maxFrameSize, { reuseChunks })
  let finished = false // our listeners except error/close are gone

  const detach = (): void => {
    if (finished) return
    finished = true
    stream.removeListener('data', ondata)
    stream.removeListener('end', onend)
    stream.removeListener('drain', ondrain)
  }
  // error/close stay until 'close' so a late socket error never goes unhandled
  const onclose = (): void => {
    detach()
    stream.removeListener('close', onclose)
    stream.removeListener('error', onerror)
    conn.transportClosed(null)
  }
  const onerror = (err: Error): void => {
    detach()
    conn.transportClosed(connectionError(err.message, err))
  }
  const onend = (): void => {
    detach()
    if (stream.destroyed !== true) stream.end() // finish our half too (a half-open Duplex would not)
    conn.transportClosed(decoder.buffered > 0 ? truncatedFrame(decoder.buffered) : null)
  }
  const ondrain = (): void => { queued = 0; conn.drained() }
  const onpacket = (packet: Packet): void => conn.receive(packet)
  const ondata = (chunk: Uint8Array): void => {
    if (finished) return
    try {
      decoder.push(plain(chunk), onpacket)
    } catch (err) {
      detach()
      conn.fail(toError(err))
      return
    }
    conn.heard(decoder.buffered)
  }
  const counted = typeof stream.writableLength === 'number'
  let queued = 0 // without writableLength: bytes written since the stream last had room
  const sent = (ok: boolean, size: number): boolean => {
    if (!counted) queued = ok ? 0 : queued + size
    return ok
  }

  const conn = new FrameConnection(plug, {
    write (dst, src, flags, payload) {
      const size = payload.byteLength
      if (size <= COPY_LIMIT) {
        const frame = outgoing(LENGTH_SIZE + HEADER_SIZE + size)
        writeFrameHeader(frame, dst, src, flags, size)
        frame.set(payload, LENGTH_SIZE + HEADER_SIZE)
        return sent(stream.write(frame), frame.byteLength)
      }
      const header = outgoing(LENGTH_SIZE + HEADER_SIZE)
      writeFrameHeader(header, dst, src, flags, size)
      stream.cork?.()
      stream.write(header)
      const ok = stream.write(payload)
      stream.uncork?.()
      return sent(ok, LENGTH_SIZE + HEADER_SIZE + size)
    },
    buffered: () => counted ? stream.writableLength as number : queued,
    highWater: stream.writableHighWaterMark ?? DEFAULT_STREAM_HIGH_WATER,
    ...(typeof stream.pause === 'function' && typeof stream.resume === 'function'
      ? { pause: () => { stream.pause?.() }, resume: () => { stream.resume?.() } }
      : {}),
    end (error) {
      detach()
      if (stream.destroyed === true) { onclose(); return }
      if (error === null) stream.end()
      else stream.destroy()
    }
  }, opts)

  // Frames are whole messages: Nagle's algorithm would hold a reply's tail segment back until
  // the peer's delayed ACK (tens of milliseconds per round trip on TCP).
  if (typeof stream.setNoDelay === 'function') stream.setNoDelay(true)
  stream.on('data', ondata)
  stream.on('end', onend)
  stream.on('drain', ondrain)
  stream.on('error', onerror)
  stream.on('close', onclose)
  conn.start()
}

/**
 * Turns any Node Duplex stream (TCP or Unix socket, a hyperswarm connection) into a plug: the
 * returned plug talks to whatever plug the peer attached to its end of the stream.
 * Same semantics and errors as {@link streamWire}.
 *
 * @param stream - the connection
 * @param options - transport options plus the wire's `id` and reply `timeout`
 * @returns a plug to open with a handler, splice, or hand to a hub
 * @example
 * ```ts
 * const plug = fromStream(net.connect(port, '127.0.0.1'))
 * await plug.open(onmessage)
 * const [answer] = await plug.postMessage(question, true)
 * ```
 */
export function fromStream (stream: DuplexLike, options?: StreamOptions & { id?: string }): Plug {
  const [app, loose] = picoWire(wireOptions(options))
  streamWire(loose, stream, options)
  return app
}

/** The wire options carried inside transport options. @internal */
export function wireOptions (options: (TransportOptions & { id?: string }) | undefined): { id?: string, timeout?: number } {
  const out: { id?: string, timeout?: number } = {}
  if (options?.id !== undefined) out.id = options.id
  if (options?.timeout !== undefined) out.timeout = options.timeout
  return out
}

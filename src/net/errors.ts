import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link NetError}. They are API (README "net" lists when each occurs).
 *
 * - `Disconnected`: the wire is (or became) closed before the message was delivered or answered.
 * - `Timeout`: no reply arrived within the message's timeout; the wire stays open.
 * - `Aborted`: the caller's `signal` aborted the wait; the wire stays open.
 * - `AlreadyReplied`: a reply function was called a second time.
 * - `RemoteError`: the peer's handler failed or rejected the conversation (over a transport).
 * - `ProtocolError`: the peer sent bytes that are not a valid packet; the connection is closed.
 * - `FrameTooLarge`: the peer announced a frame above the maximum size; the connection is closed.
 * - `TruncatedFrame`: the stream ended in the middle of a frame; the connection is closed.
 * - `UnknownPort`: the peer replied to a conversation that was never opened; the connection is closed.
 * - `PeerTimeout`: the peer sent nothing at all (not even a pong to our ping) for the transport's `idleTimeout`; the connection is closed.
 * - `HandshakeTimeout`: the peer sent no complete frame within the transport's `handshakeTimeout` of opening; the connection is closed.
 * - `FrameTimeout`: a frame the peer began did not complete within the transport's `frameTimeout` (plus the time its bytes earned at `minFrameRate`); the connection is closed.
 * - `SlowPeer`: the peer did not read what we sent: the bytes queued for it stayed above the high-water mark without draining for `idleTimeout`, or passed `maxWriteBuffer` on a transport that cannot stop reading; the connection is closed.
 * - `ConnectionError`: the underlying socket failed (the socket's error is the `cause`).
 * - `NodeTimedout`: a hub wire's loose end was not opened within the hub's `openTimeout`.
 * - `NoAnswer`: a repeater hub had no other node that answered a message expecting a reply.
 * - `SignalRefused`: the WebRTC signalling relay closed the page's connection with one of its
 *   close codes (`SIGNAL_CLOSE_CODES`: `RoomFull`, `RateLimited`, ...; the name is in the message).
 */
export type NetErrorCode =
  | 'Disconnected'
  | 'Timeout'
  | 'Aborted'
  | 'AlreadyReplied'
  | 'RemoteError'
  | 'ProtocolError'
  | 'FrameTooLarge'
  | 'TruncatedFrame'
  | 'UnknownPort'
  | 'PeerTimeout'
  | 'HandshakeTimeout'
  | 'FrameTimeout'
  | 'SlowPeer'
  | 'ConnectionError'
  | 'NodeTimedout'
  | 'NoAnswer'
  | 'SignalRefused'

/**
 * The error class of `picostack/net`; `code` says what happened.
 *
 * @example
 * ```ts
 * try { await plug.postMessage(bytes, true) } catch (err) {
 *   if (err instanceof NetError && err.code === 'Timeout') retryLater()
 * }
 * ```
 */
export class NetError extends PicoError<NetErrorCode> {}

/** @internal */
export const disconnected = (): NetError => new NetError('Disconnected', 'Disconnected: the wire is closed')
/** @internal */
export const timeout = (ms: number): NetError => new NetError('Timeout', `Timeout: no reply within ${ms} ms`)
/** @internal */
export const aborted = (reason: unknown): NetError => new NetError('Aborted', 'Aborted: the signal aborted the wait', { cause: reason })
/** @internal */
export const alreadyReplied = (): NetError => new NetError('AlreadyReplied', 'AlreadyReplied: this reply function was already used')
/** @internal */
export const protocolError = (detail: string): NetError => new NetError('ProtocolError', `ProtocolError: ${detail}`)
/** @internal */
export const frameTooLarge = (size: number, max: number): NetError =>
  new NetError('FrameTooLarge', `FrameTooLarge: frame of ${size} bytes exceeds the maximum of ${max}`)
/** @internal */
export const truncatedFrame = (buffered: number): NetError =>
  new NetError('TruncatedFrame', `TruncatedFrame: stream ended with ${buffered} bytes of an unfinished frame`)
/** @internal */
export const unknownPort = (port: number): NetError => new NetError('UnknownPort', `UnknownPort: reply to port ${port}, which was never opened`)
/** @internal */
export const peerTimeout = (ms: number): NetError => new NetError('PeerTimeout', `PeerTimeout: peer silent for ${ms} ms`)
/** @internal */
export const handshakeTimeout = (ms: number): NetError => new NetError('HandshakeTimeout', `HandshakeTimeout: no complete frame within ${ms} ms of opening`)
/** @internal */
export const frameTimeout = (ms: number): NetError => new NetError('FrameTimeout', `FrameTimeout: a frame did not complete within ${ms} ms and the time its bytes earned`)
/** @internal */
export const slowPeer = (detail: string): NetError => new NetError('SlowPeer', `SlowPeer: ${detail}`)
/** @internal */
export const connectionError = (detail: string, cause?: unknown): NetError =>
  new NetError('ConnectionError', `ConnectionError: ${detail}`, { cause })

/** Coerce anything thrown into an Error (handlers may throw non-errors). @internal */
export function toError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * For a rejection nobody waits for: a programmer error (a bug, not bad input) is re-thrown
 * asynchronously so it surfaces as an uncaught exception; anything else is dropped
 * (after hypercore's safety-catch). @internal
 */
export function safetyCatch (err: unknown): void {
  if (
    err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError ||
    err instanceof RangeError || err instanceof EvalError
  ) {
    queueMicrotask(() => { throw err })
  }
}

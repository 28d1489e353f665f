/**
 * Per-message options of {@link Plug.postMessage} and {@link Reply}.
 */
export interface SendOptions {
  /**
   * Milliseconds to wait for the reply (only when a reply is expected). Defaults to the wire's
   * `timeout`; `0` or `Infinity` waits without a timer.
   */
  timeout?: number
  /** Aborting it rejects the wait with `Aborted` (the wire stays open). */
  signal?: AbortSignal
}

/** Options of {@link picoWire} and {@link Hub.createWire}. */
export interface WireOptions {
  /** A label shared by both ends (can be set once later through `plug.id`). */
  id?: string
  /** Default reply timeout in ms for messages sent on this wire (30 000; `0` = none). */
  timeout?: number
}

/**
 * What a send that expects a reply resolves to: the answer and, when the answerer expects a
 * reply in turn, the function to send it (else `null`). Holding a conversation of any length is
 * a chain of these.
 */
export type Answer = readonly [message: Uint8Array, replyTo: Reply | null]

/**
 * A transmitter back to whoever sent the message it answers. Call it once.
 * `reply(bytes)` ends the conversation (resolves `undefined`); `reply(bytes, true)` asks for a
 * further answer and resolves to the next {@link Answer}.
 */
export interface Reply {
  (message: Uint8Array, replyExpected: true, options?: SendOptions): Promise<Answer>
  (message: Uint8Array, replyExpected?: false, options?: SendOptions): Promise<undefined>
  (message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined>
  /** Aborted when the asker stops waiting (timeout, abort, close); stop working on the answer. */
  readonly signal: AbortSignal
  /**
   * Ends the conversation with a failure: the asker's promise rejects with `error` (over a
   * transport, with a `RemoteError` carrying its code and message). No-op once answered.
   */
  reject(error: Error): void
}

/**
 * Receives the messages posted from the other end of a wire.
 *
 * `reply` is a {@link Reply} when the sender expects an answer, else `null`. If the handler
 * throws, or returns a promise that rejects before the reply was given, the sender's promise
 * rejects with that error. A message without reply expected counts as delivered when the
 * handler returns (or its promise settles).
 */
export type Handler = (message: Uint8Array, reply: Reply | null, plug: Plug) => void | Promise<void>

/**
 * One end of a wire. Messages are `Uint8Array` only, in memory as on every transport.
 */
export interface Plug {
  /** The wire's label, shared by both ends; settable once (`TypeError` after). */
  id: string | undefined
  /** The opposite end. */
  readonly other: Plug
  /** Resolves once the other end has a handler; rejects `Disconnected` once the wire is closed. */
  readonly opened: Promise<void>
  /** Resolves when the wire closes, with the close error or `null`. Never rejects. */
  readonly closed: Promise<Error | null>
  /** The other end has a handler and the wire is open. */
  readonly isActive: boolean
  /** The wire is closed (same for both ends). */
  readonly isClosed: boolean
  /**
   * With a handler: registers it (once per end) and resolves with this plug when the other end
   * is open too. With another plug: {@link spliceWires}(this, plug); returns its close function.
   */
  open(handler: Handler): Promise<Plug>
  /** Splices this wire to another plug's wire: {@link spliceWires}(this, plug); returns its close function. */
  open(plug: Plug): () => void
  /**
   * Posts `message` to the other end's handler. Waits for the other end to open. Resolves
   * `undefined` once delivered, or the {@link Answer} when `replyExpected`.
   * Rejects `Disconnected`, `Timeout`, `Aborted`, or the handler's error.
   */
  postMessage(message: Uint8Array, replyExpected: true, options?: SendOptions): Promise<Answer>
  /** Posts `message` without expecting a reply: resolves `undefined` once delivered. */
  postMessage(message: Uint8Array, replyExpected?: false, options?: SendOptions): Promise<undefined>
  /** Posts `message`; resolves the {@link Answer} when `replyExpected`, else `undefined` once delivered. */
  postMessage(message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined>
  /**
   * Closes the wire (both ends, idempotent): every pending wait rejects with `error` (or
   * `Disconnected`), `closed` resolves with `error ?? null`.
   */
  close(error?: Error): void
}

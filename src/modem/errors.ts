import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link ModemError}.
 *
 * - `Destroyed`: `join()` or `refresh()` on a modem that was destroyed.
 * - `Aborted`: the `signal` given to `join()` or `refresh()` aborted the wait for the swarm (the topic stays joined).
 * - `NotJoined`: `refresh()` of a topic that is not joined.
 * - `ProtocolError`: a peer sent a channel message that is not valid (the connection is closed).
 * - `HandshakeTimeout`: a peer sent no HELLO within `handshakeTimeout` (the connection is closed).
 * - `ChannelClosed`: a message arrived for a topic channel that is not open (late or stray).
 * - `SpawnFailed`: a topic's `spawnWire` threw or did not return a plug (no channel for that peer).
 */
export type ModemErrorCode =
  | 'Destroyed'
  | 'Aborted'
  | 'NotJoined'
  | 'ProtocolError'
  | 'HandshakeTimeout'
  | 'ChannelClosed'
  | 'SpawnFailed'

/**
 * The error class of `picostack/modem`; `code` says what happened.
 *
 * @example
 * ```ts
 * const modem = new Modem56(Hyperswarm, {}, { onerror: err => { if (err.code === 'ProtocolError') count++ } })
 * ```
 */
export class ModemError extends PicoError<ModemErrorCode> {}

/** @internal */
export const modemError = (code: ModemErrorCode, detail?: string, cause?: unknown): ModemError =>
  new ModemError(code, detail === undefined ? code : `${code}: ${detail}`, cause === undefined ? undefined : { cause })

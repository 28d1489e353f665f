import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link KernelError}.
 *
 * - `ProtocolError`: a peer sent a message that breaks the sync protocol's grammar or limits.
 * - `InvalidBlocks`: a peer sent blocks that do not parse, link or verify.
 * - `VersionMismatch`: the peer speaks another protocol version.
 * - `DuplicatePeer`: a second wire to an already connected peer was dropped.
 * - `Flood`: a peer sent more than the connection's inbound limits allow (its window, its wants,
 *   or the most of the node's inbound budget).
 * - `AuthFailed`: a peer did not prove the node key it announced.
 * - `HandshakeTimeout`: a peer did not complete `hello` and `auth` in time.
 * - `SlowPeer`: a peer did not read what was sent to it (its outbound queue, or the most of the
 *   node's outbound budget, overflowed).
 * - `NotReady`: the kernel was used before `boot()` completed.
 * - `UnknownCollection`: no collection of that name is registered.
 * - `InvalidBlock`: a block created locally was rejected by the store.
 * - `Closed`: the kernel was halted.
 */
export type KernelErrorCode =
  | 'ProtocolError'
  | 'InvalidBlocks'
  | 'VersionMismatch'
  | 'DuplicatePeer'
  | 'Flood'
  | 'AuthFailed'
  | 'HandshakeTimeout'
  | 'SlowPeer'
  | 'NotReady'
  | 'UnknownCollection'
  | 'InvalidBlock'
  | 'Closed'

/** Error raised by the kernel and its sync protocol; see {@link KernelErrorCode}. */
export class KernelError extends PicoError<KernelErrorCode> {}

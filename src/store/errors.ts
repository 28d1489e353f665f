import { PicoError } from '../errors.js'

/**
 * Stable code of a refused block, in `DispatchResult.rejected[i].code`, in `rejected` events
 * and as the `code` of the StoreError a loud dispatch or `createBlock` throws. `reason` carries
 * the detail (for built-in codes it starts with the code; for `Rejected` and `Postponed` it is
 * the application's own text, which can never be mistaken for a built-in code).
 *
 * Built in (the engine refused the block):
 * - `SignatureVerificationFailed`: the block's signature does not verify (a forged or corrupted block).
 * - `UnrecognizedBlockFormat`: the body is not CBOR `[root, payload, date]`.
 * - `UnknownCollection`: no Memory or slice takes the block's root.
 * - `NotOwner`: the block extends a chain its signer does not own, and the store's
 *   `appendPolicy` is `'owner'` (the default).
 * - `Refused`: the repo's merge rule refused it (a fork or a second genesis without a strategy).
 * - `Evicted`: the block (or its parent) was evicted by the garbage collector recently.
 * - `InvalidObjectId`: `idOf` threw or returned something that is not an id.
 * - `ComputeFailed` / `ComputeReturnedUndefined`: `compute` threw / returned undefined.
 * - `FilterFailed`: a slice's `filter` threw.
 * - `ReducerFailed` / `ReducerReturnedUndefined`: a slice's `reducer` threw / returned undefined.
 * - `TrapFailed`: a `trap` threw.
 * - `ExpiresAtFailed`: `expiresAt` threw.
 * - `InvalidExpiry`: `expiresAt` returned NaN, -Infinity or a non-number (Infinity = never).
 * - `UnencodableState`: the new state cannot be encoded (CBOR).
 *
 * The application's (`reason` = its text):
 * - `Rejected`: `ctx.reject(reason)`, a slice filter's string or Error.
 * - `Postponed`: `ctx.postpone()` asked for a retry and the retries ran out (or the dispatch was loud).
 */
export type RejectionCode =
  | 'SignatureVerificationFailed'
  | 'UnrecognizedBlockFormat'
  | 'UnknownCollection'
  | 'NotOwner'
  | 'Refused'
  | 'Evicted'
  | 'InvalidObjectId'
  | 'ComputeFailed'
  | 'ComputeReturnedUndefined'
  | 'FilterFailed'
  | 'ReducerFailed'
  | 'ReducerReturnedUndefined'
  | 'TrapFailed'
  | 'ExpiresAtFailed'
  | 'InvalidExpiry'
  | 'UnencodableState'
  | 'Rejected'
  | 'Postponed'

/**
 * Stable codes of {@link StoreError}: every {@link RejectionCode} (thrown by a loud dispatch or
 * `createBlock` for the first refused block, with the reason as `reason` and message), and:
 *
 * - `InvalidPatch`: a DiffMemory patch is malformed or does not fit the value it is applied to.
 * - `InvalidBlock`: `decodeBody` / `decodeBlock` of bytes that are not `[root, payload, date]`.
 * - `UnknownCollection`: `on()` of a collection that is not registered (and the rejection code).
 * - `Closed`: the store was used after (or during) `close()`.
 * - `Reentrant`: `dispatch`, `createBlock`, `DiffMemory.mutate`, `load`, `reload` or `gc` was called from inside
 *   the store's own rules (`idOf`, `compute`, `expiresAt`, `trap`, `filter`, `reducer`) while
 *   they run under the store's lock: it would wait for itself forever. Detected in Node also
 *   after the rule's awaits (AsyncLocalStorage); elsewhere for calls made before its first `await`.
 * - `MempoolFull`: the out-of-order block pool refused a block it has no room for.
 * - `NotLoaded`: the store was used before `load()`.
 * - `BranchNotFound`: a block was created on a branch the repo does not hold.
 * - `UnsupportedVersion`: `load()` found a store layout version this code does not read
 *   (written by a newer version).
 */
export type StoreErrorCode =
  | RejectionCode
  | 'InvalidPatch'
  | 'InvalidBlock'
  | 'Closed'
  | 'Reentrant'
  | 'MempoolFull'
  | 'NotLoaded'
  | 'BranchNotFound'
  | 'UnsupportedVersion'

/**
 * Error raised by the store component; see {@link StoreErrorCode} for the codes.
 *
 * @example
 * ```ts
 * try { applyPatch(state, payload) } catch (err) {
 *   if (err instanceof StoreError && err.code === 'InvalidPatch') reject(err.message)
 * }
 * ```
 */
export class StoreError extends PicoError<StoreErrorCode> {
  /** For a refused block: the rejection's reason (as in `DispatchResult.rejected`); else undefined. */
  readonly reason: string | undefined

  /**
   * A store error.
   * @param code - the stable code
   * @param message - human-readable detail (defaults to the code)
   * @param options - `cause` when wrapping another error; `reason` of a refused block
   */
  constructor (code: StoreErrorCode, message?: string, options?: { cause?: unknown, reason?: string }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.reason = options?.reason
  }
}

/**
 * Builds a {@link StoreError}.
 *
 * @param code - the stable code
 * @param message - detail (defaults to the code)
 * @param cause - the error being wrapped, if any
 * @returns the error, to be thrown by the caller
 */
export function storeError (code: StoreErrorCode, message?: string, cause?: unknown): StoreError {
  return new StoreError(code, message, cause === undefined ? undefined : { cause })
}

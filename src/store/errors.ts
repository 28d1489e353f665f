import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link StoreError}.
 *
 * - `InvalidPatch`: a DiffMemory patch is malformed or does not fit the value it is applied to.
 * - `InvalidBlock`: a block body does not decode to `[root, payload, date]`.
 * - `UnknownCollection`: a block names a collection (Memory) that is not registered.
 * - `Rejected`: the application's rules refused a block.
 * - `Postponed`: the application asked to retry a block later.
 * - `Closed`: the store was used after `close()`.
 * - `MempoolFull`: the out-of-order block pool refused a block it has no room for.
 * - `NotLoaded`: the store was used before `load()`.
 * - `BranchNotFound`: a block was created on a branch the repo does not hold.
 * - `UnsupportedVersion`: `load()` found a store layout version this code does not read
 *   (written by a newer version).
 */
export type StoreErrorCode =
  | 'InvalidPatch'
  | 'InvalidBlock'
  | 'UnknownCollection'
  | 'Rejected'
  | 'Postponed'
  | 'Closed'
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
export class StoreError extends PicoError<StoreErrorCode> {}

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

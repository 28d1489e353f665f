import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link RepoError}.
 *
 * - `UnknownChain`: a partial feed (its first block is not genesis) whose parent is not stored,
 *   so its chain and owner are unknown (the original's `CannotMerge: Unknown Chain`).
 * - `ParentNotFound`: a chain walk met a missing block after its first (a broken chain).
 * - `FeedNotFound`: `resolveFeed` of a block that is not stored.
 * - `ReferenceNotFound`: `rollback` was given a `stopAt` that is not on the rolled-back chain.
 * - `CorruptIndex`: an index value has the wrong size (the database was modified behind the repo).
 * - `Closed`: the database is closing or closed.
 * - `UnsupportedVersion`: the database holds a repo layout version this code does not read
 *   (written by a newer version); nothing is read or written.
 */
export type RepoErrorCode =
  | 'UnknownChain'
  | 'ParentNotFound'
  | 'FeedNotFound'
  | 'ReferenceNotFound'
  | 'CorruptIndex'
  | 'Closed'
  | 'UnsupportedVersion'

/** Error raised by the repo component; see {@link RepoErrorCode} for the codes. */
export class RepoError extends PicoError<RepoErrorCode> {}

/** @internal */
export const repoErr = (code: RepoErrorCode, message?: string, cause?: unknown): RepoError =>
  new RepoError(code, message, cause === undefined ? undefined : { cause })

import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link FeedError}.
 *
 * - `SignatureVerificationFailed`: a block's signature does not verify under its AUTHOR key.
 * - `InvalidParent`: a block's PSIG does not name the previous block of the feed.
 * - `BufferUnderflow`: the bytes end inside a block (declared length past the end).
 * - `InvalidVarint`: a length prefix is non-canonical or longer than 4 bytes.
 * - `InvalidHeader`: an unknown or repeated header type, a missing AUTHOR, or an empty body.
 * - `InvalidFeed`: reserved (wrong-typed input is a TypeError; garbage bytes get one of the
 *   codes above).
 * - `Diverged`: two feeds share a point but differ after it.
 * - `Unrelated`: two feeds share no block or parent.
 * - `MemoryTaken`: a feed whose memory was handed to another feed by a reverse merge (only
 *   the merge's internal copy ever is: no feed reachable through the API throws it).
 */
export type FeedErrorCode =
  | 'SignatureVerificationFailed'
  | 'InvalidParent'
  | 'BufferUnderflow'
  | 'InvalidVarint'
  | 'InvalidHeader'
  | 'InvalidFeed'
  | 'Diverged'
  | 'Unrelated'
  | 'MemoryTaken'

/** Error raised by the feed component; see {@link FeedErrorCode} for the codes. */
export class FeedError extends PicoError<FeedErrorCode> {}

/** @internal */
export const err = (code: FeedErrorCode, message?: string): FeedError => new FeedError(code, message)

// Public option, result and event types of the Store.
import type { Feed, Block } from '../feed/index.js'
import type { MergeStrategy } from '../repo/index.js'
import type { Mempool } from './mempool.js'
import type { LockOptions } from './lock.js'
import type { ObjectId } from './keys.js'
import type { RejectionCode } from './errors.js'
import type { Memory } from './memory.js'

/**
 * Where `createBlock` appends: a Feed (a copy is extended: the caller's feed is left as it
 * was); a public key (32 bytes or 64 hex digits) = the head of that key's chain; a block id
 * (64 bytes or 128 hex digits) = that block (a fork when it is not a tip); `null` /
 * `undefined` = the signer's own chain (a new chain when it has none, or in detached mode).
 */
export type Branch = Feed | Uint8Array | string | null | undefined

/** Options of {@link Store}. */
export interface StoreOptions {
  /** Merge strategy handed to `repo.prepareBlock` (default: the repo's). */
  strategy?: MergeStrategy
  /** Sets `repo.allowDetached` only when given (otherwise the repo's own setting stays). */
  allowDetached?: boolean
  /** Orphan-block pool (default: a new Mempool with its default bounds). */
  mempool?: Mempool
  /** How many evicted block ids to remember, so they are not re-accepted when a peer sends them again. Default 65536. */
  tombstones?: number
  /** How long an evicted id is remembered, ms. Default 1 hour. */
  tombstoneTtlMs?: number
  /**
   * Who may append to a chain. `'owner'` (the default): only the chain's owner (its genesis
   * author); a block another key signed onto it is rejected with `NotOwner` before any rule
   * runs, whatever the merge strategies say. `'any'`: multi-writer chains, an explicit opt-in:
   * any key may extend any chain, and rules tell the two apart with `ctx.owner` / `ctx.signer`.
   * Passed to the Repo the store creates; a Repo given to the store must have the same policy.
   */
  appendPolicy?: 'owner' | 'any'
}

/** Options of {@link Store.dispatch}. */
export interface DispatchOptions extends LockOptions {
  /** Throw a StoreError on the first refusal (for locally created blocks). */
  loud?: boolean
  /** Who sent the feed; handed to `onMerge` listeners (the kernel gossips to every peer but it). */
  source?: unknown
}

/** One refused block and why. */
export interface Rejected {
  /** The block. */
  block: Block
  /** Stable code: built-in, or `Rejected` / `Postponed` for the application's own refusals. */
  code: RejectionCode
  /** Detail: for `Rejected` / `Postponed` the application's reason; else starts with the code. */
  reason: string
}

/** What one dispatch did: each block's outcome, so a caller sees partial success. */
export interface DispatchResult {
  /** Accepted segments, per chain, in order (each a Feed of consecutive accepted blocks). */
  accepted: Feed[]
  /** Refused blocks (later blocks of the same chain are then not considered). */
  rejected: Rejected[]
  /** Blocks postponed for a retry. */
  postponed: number
  /** Blocks stashed in the mempool until their parent arrives. */
  stashed: number
}

/** Events delivered to {@link Store.tap} listeners, after the change is committed. */
export type StoreEvent =
  | {
    /** An object of a collection changed. */
    event: 'change'
    /** The collection's name. */
    root: string
    /** The object's id. */
    id: ObjectId
    /** Its new value. */
    value: unknown
  }
  | {
    /** A block was accepted. */
    event: 'merged'
    /** The block. */
    block: Block
    /** The collection that took it. */
    root: string
  }
  | {
    /** A patch (one or more blocks) was merged. */
    event: 'patch-merged'
    /** The blocks merged. */
    patch: Feed
  }
  | {
    /** A block was refused. */
    event: 'rejected'
    /** The block. */
    block: Block
    /** Why, as a stable code. */
    code: RejectionCode
    /** Why, in words. */
    reason: string
  }
  | {
    /** A block was postponed: it is retried later. */
    event: 'postponed'
    /** The block. */
    block: Block
    /** Why, in words. */
    reason: string
    /** The delay before it is tried again, ms. */
    time: number
    /** How many times it was postponed so far. */
    attempt: number
  }
  | {
    /** Blocks that cannot be applied yet were kept for later. */
    event: 'stashed'
    /** How many blocks. */
    blocks: number
  }
  | {
    /** The garbage collector evicted a chain no object refers to any more. */
    event: 'rollback'
    /** The chain's blocks, removed. */
    evicted: Feed
    /** The chain's root id, bytes. */
    root: Uint8Array
  }
  | {
    /** A block was applied again while the state was rebuilt. */
    event: 'reload'
    /** The block. */
    block: Block
    /** The collection that took it. */
    root: string
  }
  | {
    /** A listener or a background task failed. */
    event: 'error'
    /** What was thrown. */
    error: unknown
  }

/**
 * What a subscriber of collection `M` receives ({@link Store.on}, {@link Memory.on}): a
 * slice's value, or a Memory's objects `{ [id]: value }`.
 *
 * @example
 * ```ts
 * type Clock = Observed<Slice<number>>       // number
 * type Counters = Observed<Memory<number>>   // Readonly<Record<string, number>>
 * ```
 */
export type Observed<M> = M extends Memory<unknown, infer V> ? V : unknown

/** A neuron: subscribe with a callback (called synchronously with the current value), get an unsubscribe. */
export type StateNeuron<T> = (cb: (v: T) => void) => () => void

/** Options of {@link Store.gcStart}. */
export interface GcOptions {
  /** Interval between runs, ms (default 3000). */
  intervalMs?: number
  /** Stops the periodic GC when aborted. */
  signal?: AbortSignal
}

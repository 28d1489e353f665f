// Types shared by Memory, slices and the Store: contexts, verdicts, signals.
import type { Block } from '../feed/index.js'
import type { ObjectId } from './keys.js'
import type { RejectionCode } from './errors.js'

/** What every block is dispatched with: the block, its chain and the time of the dispatch. */
export interface DispatchContext {
  /** The block being processed. */
  block: Block
  /** The previous block of the chain, null for a genesis block. */
  parentBlock: Block | null
  /**
   * Public key of the chain's owner: the author of its genesis block (bytes). The object a
   * block addresses by default is its owner's (see `Memory.idOf`).
   */
  owner: Uint8Array
  /**
   * Public key that signed this block (bytes, = `block.key`). Equal to `owner` unless the
   * store accepts multi-writer chains (`appendPolicy: 'any'`): then a rule that must only
   * take the owner's word checks `signer` against `owner`.
   */
  signer: Uint8Array
  /** Hex of {@link DispatchContext.owner} (the picostore name, kept as an alias; not the signer). */
  AUTHOR: string
  /** Hex chain id (the genesis block's signature). */
  CHAIN: string
  /** Collection name / block type from the body. */
  root: string
  /** Payload from the body. */
  payload: unknown
  /** Date from the body (ms epoch, author's clock). */
  date: number
}

/** A refusal, as returned by `ctx.reject()`. */
export interface Rejection {
  readonly [k: symbol]: true
  /** Why the block is refused. */
  readonly message: string
}

/** A request to retry later, as returned by `ctx.postpone()`. */
export interface Reschedule {
  readonly [k: symbol]: true
  /** Why the block waits. */
  readonly message: string
  /** The delay before it is tried again, ms. */
  readonly time: number
  /** How many times at most it is tried again before it is rejected. */
  readonly retries: number
}

/** Marker of a Rejection. */
export const SYM_REJECT: symbol = Symbol.for('PiC0VM::reject')
/** Marker of a Reschedule. */
export const SYM_POSTPONE: symbol = Symbol.for('PiC0VM::postpone')

/** The context of `Memory.compute(value, ctx)`. */
export interface ComputeContext extends DispatchContext {
  /** The object id `idOf` returned. */
  id: ObjectId
  /** Refuse the block. The reason defaults to `Rejected` (never an empty reason). */
  reject: (message?: string) => Rejection
  /** Retry the block after `timeMs`, at most `retries` times (default 3), then reject it (a block is never retried forever). */
  postpone: (timeMs: number, message?: string, retries?: number) => Reschedule
  /** After the block is accepted, map secondary `key` to this block's id. */
  index: (key: Uint8Array | string) => void
  /** Read a secondary key (sees earlier `index` calls of committed blocks). */
  lookup: (key: Uint8Array | string) => Promise<Uint8Array | undefined>
  /** Raise a signal, delivered to every collection's `trap` before the block is committed. */
  signal: (type: string, payload?: unknown) => void
}

/** `latch(root, id)`: another object's expiry (0 when it does not exist). */
export type Latch = (root: string, id: ObjectId | Uint8Array) => number

/** `mutate(id, fn)` as given to traps: replace object `id` with `fn(value)`. */
export type Mutate = (id: ObjectId | Uint8Array, fn: (value: unknown) => unknown) => Promise<void>

/** @internal outcome of running one block through a collection */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'reject', code: RejectionCode, reason: string, cause?: unknown }
  | { kind: 'postpone', reason: string, time: number, retries: number }

/** @internal the verdict of an accepted block (shared: verdicts are only read) */
export const OK: Verdict = Object.freeze({ kind: 'ok' })

/** @internal a raised signal */
export interface RaisedSignal { type: string, payload: unknown }

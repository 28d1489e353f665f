// The legacy slice API (picostore 1.x/2.x) on top of the engine: one value per slice,
// filter + reducer, persisted and committed like any Memory object (id 0).
import type { Block } from '../feed/index.js'
import { Memory, isEntry } from './memory.js'
import type { Store } from './store.js'
import type { Txn } from './txn.js'
import { OK, type Verdict } from './context.js'

/** Context of a slice's `filter`. */
export interface FilterContext<S> {
  /** The block being considered. */
  block: Block
  /** The block it follows in its chain, or null for a genesis block. */
  parentBlock: Block | null
  /** The slice's current state. */
  state: S
  /** The whole store state `{ [name]: value }`. */
  root: Record<string, unknown>
  /** Public key of the chain's owner (its genesis author), bytes. */
  owner: Uint8Array
  /** Public key that signed the block (= `block.key`); differs from `owner` only with `appendPolicy: 'any'`. */
  signer: Uint8Array
  /** Hex of `owner` (picostore's name, kept as an alias; not the signer). */
  AUTHOR: string
  /** Hex chain id. */
  CHAIN: string
}

/** Context of a slice's `reducer`. */
export interface ReducerContext<S> extends FilterContext<S> {
  /** Raise a signal offered to every slice's `trap` and Memory's `trap`. */
  signal: (code: string, payload?: unknown) => void
}

/** Context of a slice's `trap`. */
export interface TrapContext<S> extends FilterContext<S> {
  /** The signal's code, as raised with `signal(code, payload)`. */
  code: string
  /** The signal's payload (undefined when none was given). */
  payload: unknown
}

/** A legacy slice (picostore 1.x/2.x, as used by picostack 1.x apps and the seed example). */
export interface SliceSpec<S = unknown> {
  /** Slice name (unique among slices and Memories). */
  name: string
  /** State before any block. */
  initialValue?: S
  /**
   * Decides whether the slice takes the block: nothing/false → accept; `true` → ignore silently;
   * a string (or Error) → reject the block with that reason. Missing filter → accept all.
   */
  filter?: (ctx: FilterContext<S>) => unknown
  /** Returns the new state (undefined rejects the block). */
  reducer: (ctx: ReducerContext<S>) => S | Promise<S>
  /** Reacts to signals: returns a new state, or undefined for no change. */
  trap?: (ctx: TrapContext<S>) => S | undefined | Promise<S | undefined>
}

function failed (code: 'FilterFailed' | 'ReducerFailed', err: unknown): Verdict {
  return { kind: 'reject', code, reason: `${code}: ${err instanceof Error ? err.message : String(err)}`, cause: err }
}

const CONTEXT_KEYS = ['block', 'parentBlock', 'owner', 'signer', 'AUTHOR', 'CHAIN', 'state', 'root']

/**
 * Whether a filter's context still has exactly its own properties, in order (the filter added,
 * removed or redefined none): the reducer's context, `{ ...fctx, signal }`, is then built as a
 * literal with the same properties (V8 builds a spread followed by more properties slowly).
 */
function plainContext (fctx: object): boolean {
  const own = Reflect.ownKeys(fctx)
  if (own.length !== CONTEXT_KEYS.length || Object.keys(fctx).length !== own.length) return false
  for (let i = 0; i < own.length; i++) if (own[i] !== CONTEXT_KEYS[i]) return false
  return true
}

function isThenable (v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

/**
 * A registered slice, as `store.register(spec)` returns it: a {@link Memory} with one object
 * (id 0) whose value the spec's reducer computes.
 */
export class Slice<S = unknown> extends Memory<S, S> {
  /** The spec it was registered with. */
  readonly spec: SliceSpec<S>

  constructor (store: Store, spec: SliceSpec<S>) {
    super(store, spec.name)
    this.spec = spec
    this.initialValue = spec.initialValue
  }

  /** The slice's value. */
  get value (): S { return this.readState(0) }

  /** The slice's value (what its subscribers receive), as {@link Slice.value}. */
  override get state (): S { return this.value }

  override _observed (): unknown { return this.value }

  /** @internal filter + reducer; 'skip' when the filter ignores the block */
  async _reduce (ctx: Omit<FilterContext<S>, 'state' | 'root'>, txn: Txn): Promise<Verdict | 'skip'> {
    const prev = txn.read(this, 0)
    const state = (prev !== undefined ? prev.value : this._initial()) as S
    // A literal, not a spread of `ctx` (the same properties in the same order): cheaper per
    // block. The reducer's context stays a spread: it carries what the filter added to its own.
    const fctx: FilterContext<S> = {
      block: ctx.block, parentBlock: ctx.parentBlock, owner: ctx.owner, signer: ctx.signer, AUTHOR: ctx.AUTHOR, CHAIN: ctx.CHAIN, state, root: this.store.state
    }
    const store = this.store
    const filter = this.spec.filter
    let r: unknown
    try {
      const out = filter === undefined ? false : store._guard(() => filter(fctx), filter)
      r = isThenable(out) ? await out : out
    } catch (err) {
      return failed('FilterFailed', err)
    }
    if (r === true) return 'skip'
    if (typeof r === 'string') return { kind: 'reject', code: 'Rejected', reason: r === '' ? 'Rejected' : r }
    if (r instanceof Error) return { kind: 'reject', code: 'Rejected', reason: r.message === '' ? 'Rejected' : r.message, cause: r }
    let next: unknown
    try {
      const signal = (type: string, payload?: unknown): void => { txn.signals.push({ type, payload }) }
      const rctx = plainContext(fctx)
        ? {
            block: fctx.block, parentBlock: fctx.parentBlock, owner: fctx.owner, signer: fctx.signer, AUTHOR: fctx.AUTHOR, CHAIN: fctx.CHAIN, state: fctx.state, root: fctx.root, signal
          }
        : { ...fctx, signal }
      const out = store._guard(() => this.spec.reducer(rctx), this.spec.reducer)
      next = isThenable(out) ? await out : out
    } catch (err) {
      return failed('ReducerFailed', err)
    }
    if (next === undefined) return { kind: 'reject', code: 'ReducerReturnedUndefined', reason: 'ReducerReturnedUndefined' }
    const e = this._entryFor(prev, next, txn)
    if (!isEntry(e)) return { kind: 'reject', ...e }
    txn.write(this, 0, e)
    return OK
  }

  /** @internal */
  async _sliceTrap (code: string, payload: unknown, ctx: Omit<FilterContext<S>, 'state' | 'root'>, txn: Txn): Promise<void> {
    if (this.spec.trap === undefined) return
    const prev = txn.read(this, 0)
    const state = (prev !== undefined ? prev.value : this._initial()) as S
    const trap = this.spec.trap
    const tctx = { ...ctx, state, root: this.store.state, code, payload }
    const out = this.store._guard(() => trap(tctx), trap)
    const next = isThenable(out) ? await out : out
    if (next === undefined) return
    const e = this._entryFor(prev, next, txn)
    if (!isEntry(e)) throw new TypeError(e.reason)
    txn.write(this, 0, e)
  }
}

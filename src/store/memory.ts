// Memory: a collection of state objects and the rules that change them.
import { toHex, s2b, type Feed } from '../feed/index.js'
import { bytesEqual } from '../internal/bytes.js'
import type { Store, Branch, StateNeuron } from './store.js'
import type { ObjectId } from './keys.js'
import { deepFreeze, clone } from './freeze.js'
import type { Txn, Entry } from './txn.js'
import {
  OK, SYM_REJECT, SYM_POSTPONE,
  type ComputeContext, type DispatchContext, type Latch, type Mutate, type Rejection, type Reschedule, type Verdict
} from './context.js'

/** Deepest `latch` recursion; beyond it `latch` returns Infinity (a documented limit, so a cycle of references cannot recurse without end). */
export const LATCH_DEPTH = 5

/** Normalises an object id: bytes become lowercase hex; strings and finite numbers pass. */
export function normalizeId (id: unknown): ObjectId {
  if (id instanceof Uint8Array) return toHex(id)
  if (typeof id === 'string') return id
  if (typeof id === 'number' && Number.isFinite(id)) return id
  throw new TypeError(`object id expected string, Uint8Array or finite number, got ${typeof id}`)
}

/**
 * @internal The expiry an object is stored with: `expiresAt`'s ms rounded up to an integer and
 * kept within [0, 2^53 - 1] (timers are keyed by it, so it must be exact); Infinity = never.
 * NaN, -Infinity and non-numbers are invalid (undefined).
 */
export function normalizeExpiry (x: unknown): number | undefined {
  if (typeof x !== 'number' || Number.isNaN(x) || x === -Infinity) return undefined
  if (x === Infinity) return Infinity
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.ceil(x)))
}

function message (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * A collection of state objects `{ [id]: value }` and the application's rules for it
 * ("consensus in code"). Extend it and override {@link Memory.compute} (and optionally
 * `initialValue`, {@link Memory.idOf}, {@link Memory.expiresAt}, `trap`); register the class with
 * `store.register(name, Class)`.
 *
 * @example
 * ```ts
 * class Counter extends Memory<number> {
 *   initialValue = 0
 *   compute (value: number, { payload, reject }: ComputeContext) {
 *     if (typeof payload !== 'number' || payload <= value) return reject('MustIncrease')
 *     return payload
 *   }
 * }
 * const counter = store.register('counter', Counter)
 * await counter.createBlock(null, 7, secret)
 * counter.on(all => console.log(all))           // all: Readonly<Record<string, number>>
 * ```
 *
 * @typeParam T - the value of one object
 * @typeParam V - what subscribers receive: `{ [id]: value }` (a {@link Slice} receives its value)
 */
export class Memory<T = unknown, V = Readonly<Record<string, T>>> {
  /** The store this collection belongs to. */
  readonly store: Store
  /** The collection name (the `root` of its blocks). */
  readonly name: string
  /** Number of committed writes to this collection (persisted). */
  version: number = 0
  /** Id of the last block that changed this collection (persisted). */
  head: Uint8Array | undefined = undefined
  /** Value of an object that does not exist yet (cloned per read). Override in subclasses. */
  declare initialValue: T | undefined

  /** @internal */ readonly _nameBytes: Uint8Array
  /** @internal */ readonly _cache: Map<ObjectId, Entry> = new Map()
  /** @internal */ readonly _observers: Set<(state: unknown) => void> = new Set()
  private _view: unknown = undefined

  /**
   * Called by `store.register(name, Class)`; do not call it yourself.
   *
   * @param store - the owning store
   * @param name - collection name, 1..255 UTF-8 bytes
   */
  constructor (store: Store, name: string) {
    this.store = store
    this.name = name
    this._nameBytes = s2b(name)
  }

  /**
   * The object id a block addresses. Default: `CHAIN` when the repo is in detached mode, else
   * `AUTHOR` (the hex of the chain's owner, never of another signer).
   *
   * @param ctx - the dispatch context
   * @returns a string, bytes (converted to hex) or a finite number
   */
  idOf (ctx: DispatchContext): ObjectId | Uint8Array | Promise<ObjectId | Uint8Array> {
    return this.store.repo.allowDetached ? ctx.CHAIN : ctx.AUTHOR
  }

  /**
   * Computes the new value of the object, or refuses the block with `ctx.reject()` /
   * `ctx.postpone()`. `value` is deep-frozen: build a new value.
   *
   * @param _value - the current value (or a clone of `initialValue`)
   * @param _ctx - the compute context
   * @returns the new value
   */
  compute (_value: T, _ctx: ComputeContext): T | Rejection | Reschedule | Promise<T | Rejection | Reschedule> {
    throw new TypeError(`${this.constructor.name}.compute(value, ctx) must be implemented`)
  }

  /**
   * When the object should be swept by the garbage collector.
   *
   * @param _value - the object's value
   * @param _latch - `latch(root, id)` returns another object's expiry (0 when it is gone)
   * @returns ms epoch, or Infinity for never. Any finite number is honoured: it is rounded up
   *   to an integer ms (negative: due at once); NaN, -Infinity or a non-number refuses the block
   *   (`InvalidExpiry`)
   */
  expiresAt (_value: T, _latch: Latch): number {
    return Infinity
  }

  /**
   * Receives every signal raised by any collection's accepted block, before the
   * block is committed; `mutate` writes go into the same batch. Override to react; the
   * default ignores signals.
   *
   * @param _type - signal type
   * @param _payload - signal payload
   * @param _mutate - `mutate(id, fn)` replaces object `id` with `fn(value)`
   */
  trap (_type: string, _payload: unknown, _mutate: Mutate): void | Promise<void> {}

  /**
   * The committed value of an object, or a fresh clone of `initialValue`.
   *
   * @param id - object id (bytes are read as hex)
   * @returns the (deep-frozen) value
   */
  readState (id: ObjectId | Uint8Array): T {
    const e = this._cache.get(normalizeId(id))
    return (e !== undefined ? e.value : this._initial()) as T
  }

  /**
   * @param id - object id
   * @returns whether the object exists
   */
  hasState (id: ObjectId | Uint8Array): boolean {
    return this._cache.has(normalizeId(id))
  }

  /**
   * What subscribers receive: the whole collection `{ [id]: value }` (read-only, rebuilt after
   * each change); a {@link Slice}'s value.
   */
  get state (): V {
    if (this._view === undefined) {
      const o: Record<string, unknown> = {}
      for (const [id, e] of this._cache) o[String(id)] = e.value
      this._view = Object.freeze(o)
    }
    return this._view as V
  }

  /**
   * Subscribes to the collection: `observer` is called now and after each committed change.
   *
   * @param observer - receives {@link Memory.state}
   * @returns unsubscribe
   */
  sub (observer: (state: V) => void): () => void {
    return this.store.on<V>(this.name, observer)
  }

  /**
   * Subscribes to the collection, typed from it: a Memory's observer gets `{ [id]: value }`,
   * a slice's its value. Called now and after each committed change.
   *
   * @param observer - the callback
   * @returns unsubscribe
   * @throws StoreError `Closed`
   * @example
   * ```ts
   * const counter = store.register('counter', Counter) // a Memory<number>
   * counter.on(all => Object.values(all).map(n => n + 1))
   * ```
   */
  on (observer: (value: V) => void): () => void {
    return this.store.on<V>(this.name, observer)
  }

  /**
   * The neuron form of {@link Memory.on}.
   *
   * @returns `(cb) => unsubscribe`
   * @throws StoreError `Closed`
   */
  $ (): StateNeuron<V> {
    return this.store.$<V>(this.name)
  }

  /**
   * Reads a secondary index entry.
   *
   * @param key - the key given to `ctx.index`
   * @returns the id of the block that indexed it, or undefined
   */
  async lookup (key: Uint8Array | string): Promise<Uint8Array | undefined> {
    return await this.store._lookup(this, key, undefined)
  }

  /**
   * Appends a block for this collection to `branch` (a copy) and dispatches it loudly.
   *
   * @param branch - where to append (see {@link Branch})
   * @param payload - the payload
   * @param secret - the author's secret key
   * @returns the branch with the new block appended
   * @throws StoreError `Rejected` / `Postponed` when the rules refuse the block
   */
  async createBlock (branch: Branch, payload: unknown, secret: Uint8Array | string): Promise<Feed> {
    return await this.store.createBlock(this.name, payload, secret, { branch })
  }

  /** @internal the value handed to observers */
  _observed (): unknown { return this.state }

  /** @internal */
  _changed (): void { this._view = undefined }

  /** @internal */
  _initial (): unknown {
    return deepFreeze(clone(this.initialValue))
  }

  /** @internal runs compute for one block; writes go to `txn` */
  async _apply (dctx: DispatchContext, txn: Txn, blockRoot: Uint8Array): Promise<Verdict> {
    let id: ObjectId
    const store = this.store
    try {
      // Await only a thenable: most idOf/compute are synchronous (one microtask turn saved each).
      const raw = store._guard(() => this.idOf(dctx), this.idOf)
      id = normalizeId(isThenable(raw) ? await raw : raw)
    } catch (err) {
      return { kind: 'reject', code: 'InvalidObjectId', reason: `InvalidObjectId: ${message(err)}`, cause: err }
    }
    const prev = txn.read(this, id)
    const value = prev !== undefined ? prev.value : this._initial()
    let verdict: Verdict | undefined
    const indexed: Uint8Array[] = []
    const refuse = (v: Verdict): void => {
      if (verdict !== undefined) throw new Error(`Merge already rejected: ${(verdict as { reason: string }).reason}`)
      verdict = v
    }
    // The DispatchContext fields copied one by one (an object spread is slower on this path).
    const ctx: ComputeContext = {
      block: dctx.block,
      parentBlock: dctx.parentBlock,
      owner: dctx.owner,
      signer: dctx.signer,
      AUTHOR: dctx.AUTHOR,
      CHAIN: dctx.CHAIN,
      root: dctx.root,
      payload: dctx.payload,
      date: dctx.date,
      id,
      reject: (msg?: string): Rejection => {
        const reason = msg === undefined || msg === '' ? 'Rejected' : String(msg)
        refuse({ kind: 'reject', code: 'Rejected', reason })
        return { [SYM_REJECT]: true, message: reason }
      },
      postpone: (time: number, msg?: string, retries = 3): Reschedule => {
        const reason = msg === undefined || msg === '' ? 'Postponed' : String(msg)
        const t = Number.isFinite(time) && time >= 0 ? time : 0
        refuse({ kind: 'postpone', reason, time: t, retries })
        return { [SYM_POSTPONE]: true, message: reason, time: t, retries }
      },
      index: (key: Uint8Array | string): void => { indexed.push(typeof key === 'string' ? s2b(key) : key.slice()) },
      lookup: async (key: Uint8Array | string): Promise<Uint8Array | undefined> => await store._lookup(this, key, txn),
      signal: (type: string, payload?: unknown): void => { txn.signals.push({ type, payload }) }
    }
    let draft: unknown
    try {
      const out = store._guard(() => this.compute(value as T, ctx), this.compute)
      draft = isThenable(out) ? await out : out
    } catch (err) {
      if (verdict !== undefined) return verdict
      return { kind: 'reject', code: 'ComputeFailed', reason: `ComputeFailed: ${message(err)}`, cause: err }
    }
    if (verdict !== undefined) return verdict
    if (draft === undefined) return { kind: 'reject', code: 'ComputeReturnedUndefined', reason: 'ComputeReturnedUndefined' }
    const blockId = dctx.block.sig
    const e = this._entryFor(prev, draft, txn)
    if (!isEntry(e)) return { kind: 'reject', ...e }
    if (!e.roots.some(r => bytesEqual(r, blockRoot))) e.roots = [...e.roots, blockRoot]
    for (const k of indexed) {
      e.idx = [...e.idx, [k, blockId]]
      txn.index.push({ owner: this, key: k, blockId, id })
    }
    txn.write(this, id, e)
    return OK
  }

  /** @internal builds the next entry for `draft`, or the rejection */
  _entryFor (prev: Entry | undefined, draft: unknown, txn: Txn): Entry | EntryFailure {
    const value = deepFreeze(draft)
    let raw: unknown
    try {
      raw = this.store._guard(() => this.expiresAt(value as T, this.store._latch(txn, 0)), this.expiresAt)
    } catch (err) {
      return { code: 'ExpiresAtFailed', reason: `ExpiresAtFailed: ${message(err)}`, cause: err }
    }
    const exp = normalizeExpiry(raw)
    if (exp === undefined) return { code: 'InvalidExpiry', reason: `InvalidExpiry: ${this.name}.expiresAt() returned ${String(raw)}` }
    return { value, exp, roots: prev?.roots ?? [], idx: prev?.idx ?? [] }
  }

  /** @internal trap delivery: `mutate` writes into the block's transaction */
  async _trap (type: string, payload: unknown, txn: Txn): Promise<void> {
    if (this.trap === Memory.prototype.trap) return
    const mutate: Mutate = async (rawId, fn) => {
      const id = normalizeId(rawId)
      const prev = txn.read(this, id)
      const out = this.store._guard(() => fn(prev !== undefined ? prev.value : this._initial()), fn)
      const next = isThenable(out) ? await out : out
      if (next === undefined) throw new TypeError('Expected mutate#callback() to return new state')
      const e = this._entryFor(prev, next, txn)
      if (!isEntry(e)) throw new TypeError(e.reason)
      txn.write(this, id, e)
    }
    const out = this.store._guard(() => this.trap(type, payload, mutate), this.trap)
    if (isThenable(out)) await out
  }
}

/** @internal why an entry could not be built */
export interface EntryFailure { code: 'ExpiresAtFailed' | 'InvalidExpiry', reason: string, cause?: unknown }

/** @internal */
export function isEntry (e: Entry | EntryFailure): e is Entry {
  return (e as EntryFailure).code === undefined
}

function isThenable (v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

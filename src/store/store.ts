// The block engine (spec/store.md A2), rebuilt to close gaps S1-S30: one atomic batch per
// accepted block, per-object persistence, a per-store lock, retried postpones, a bounded
// mempool, a working GC with tombstones, one dispatch result object.
import { encode, decode } from 'cborg'
import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import { Feed, feedFrom, isFeed, toHex, fromHex, type Block, type FeedInput } from '../feed/index.js'
import { signingKey } from '../feed/keys.js'
import { Repo, type MergeStrategy, type BatchOp, type RepoStage } from '../repo/index.js'
import { Mempool } from './mempool.js'
import { StoreError } from './errors.js'
import { Lock, type LockOptions } from './lock.js'
import { decodeBody, encodeBody } from './body.js'
import { Memory, normalizeId, LATCH_DEPTH } from './memory.js'
import { Slice, type SliceSpec } from './slice.js'
import { Txn, type Entry, type TxnOwner } from './txn.js'
import { deepFreeze } from './freeze.js'
import type { DispatchContext, Latch, Verdict } from './context.js'
import {
  K_LOG, K_SEQ, K_STATE, K_META, K_INDEX, K_REF, NONE, type ObjectId,
  stateKey, statePrefix, metaKey, indexKey, refKey, refPrefix, logKey, seqKey, timerKey, parseTimerKey,
  parseIdKey, prefixEnd, u64, readU64
} from './keys.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- abstract-level's generic database types */
type Db = AbstractLevel<any, any, any>
type Sub = AbstractSublevel<any, any, Uint8Array, Uint8Array>
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Where `createBlock` appends: a Feed (a copy is extended, gaps S17); 32 bytes = the head of
 * that public key's chain; 64 bytes = that block (a fork when it is not a tip); `null` /
 * `undefined` = the signer's own chain (a new chain when it has none, or in detached mode).
 */
export type Branch = Feed | Uint8Array | null | undefined

/** Options of {@link Store}. */
export interface StoreOptions {
  /** Merge strategy handed to `repo.prepareBlock` (default: the repo's). */
  strategy?: MergeStrategy
  /** Sets `repo.allowDetached` only when given (gaps S22). */
  allowDetached?: boolean
  /** Orphan-block pool (default: a new Mempool with its default bounds). */
  mempool?: Mempool
  /** How many evicted block ids to remember, so they are not re-accepted (gaps S24). Default 65536. */
  tombstones?: number
  /** How long an evicted id is remembered, ms. Default 1 hour. */
  tombstoneTtlMs?: number
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
  block: Block
  reason: string
}

/** What one dispatch did (gaps S18). */
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
  | { event: 'change', root: string, id: ObjectId, value: unknown }
  | { event: 'merged', block: Block, root: string }
  | { event: 'patch-merged', patch: Feed }
  | { event: 'rejected', block: Block, reason: string }
  | { event: 'postponed', block: Block, reason: string, time: number, attempt: number }
  | { event: 'stashed', blocks: number }
  | { event: 'rollback', evicted: Feed, root: Uint8Array }
  | { event: 'reload', block: Block, root: string }
  | { event: 'error', error: unknown }

/** A neuron: subscribe with a callback (called synchronously with the current value), get an unsubscribe. */
export type StateNeuron<T> = (cb: (v: T) => void) => () => void

/** Options of {@link Store.gcStart}. */
export interface GcOptions {
  /** Interval between runs, ms (default 3000). */
  intervalMs?: number
  /** Stops the periodic GC when aborted. */
  signal?: AbortSignal
}

/** @internal parent/chain facts of a block about to be processed */
interface Link { parent: Block | null, chainId: Uint8Array, owner: Uint8Array, hx?: Hx | undefined }
/** @internal hex forms of a chain's owner and id, computed once per chain */
interface Hx { author: string, chain: string }

type Outcome = Verdict | { kind: 'stored' } | { kind: 'orphan' }

const CHAIN_CACHE = 4096
/** Most blocks committed in one batch (well below CHAIN_CACHE: staged ids stay cached until committed). */
const GROUP_MAX = 1000

/**
 * @internal effects of accepted blocks not yet written: the Memories' caches already hold them
 * (later blocks see them), `old` / `meta` undo them if the commit fails.
 */
interface Stage {
  rs: RepoStage
  ops: BatchOp[]
  old: Map<TxnOwner, Map<ObjectId, Entry | undefined>>
  enc: Map<TxnOwner, Map<ObjectId, Uint8Array>>
  meta: Map<TxnOwner, { version: number, head: Uint8Array | undefined }>
  idx: Map<string, { owner: TxnOwner, key: Uint8Array, blockId: Uint8Array }>
  events: StoreEvent[]
  hids: string[]
  blocks: number
  /** Blocks given a seq in this stage. */
  seqs: number
}

function latin1 (b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[])
}

function withPrefix (prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const k = new Uint8Array(prefix.length + key.length)
  k.set(prefix, 0)
  k.set(key, prefix.length)
  return k
}

function eq (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function range (prefixByte: number): { gte: Uint8Array, lt: Uint8Array } {
  return { gte: Uint8Array.of(prefixByte), lt: Uint8Array.of(prefixByte + 1) }
}

/** A feed of consecutive `blocks` (already verified or trusted) with `room` spare bytes, not the 2 KiB default. */
function feedOf (blocks: Block[], room: number): Feed {
  let size = 4 + room
  for (const b of blocks) size += b.blockSize
  const f = new Feed(size)
  for (const b of blocks) f._push(b, false)
  return f
}

function newResult (): DispatchResult {
  return { accepted: [], rejected: [], postponed: 0, stashed: 0 }
}

/**
 * The block engine: routes each block of a feed to its Memory (by the body's root) and to
 * every legacy slice (by their filters), and commits each accepted block with all its effects
 * in one atomic batch.
 *
 * @example
 * ```ts
 * const store = new Store(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))
 * store.register({ name: 'clock', initialValue: 0,
 *   filter: ({ block }) => decodeBlock(block.body).type !== 'tick',
 *   reducer: ({ block }) => decodeBlock(block.body).time as number })
 * await store.load()
 * await store.createBlock('tick', { time: Date.now() }, sk)
 * store.on('clock', v => console.log(v))
 * ```
 */
export class Store {
  /** The block repository (shares the store's database). */
  readonly repo: Repo
  /** The orphan-block pool. */
  readonly mempool: Mempool
  /** True after {@link Store.close}. */
  closed: boolean = false
  /** True after {@link Store.load}. */
  loaded: boolean = false

  private readonly _db: Db
  private readonly _s: Sub
  private readonly _t: Sub
  private readonly _lock: Lock = new Lock()
  private readonly _strategy: MergeStrategy | undefined
  private readonly _roots: Map<string, Memory> = new Map()
  private readonly _slices: Slice[] = []
  private readonly _taps: Set<(e: StoreEvent) => void> = new Set()
  private readonly _subs: Map<string, Set<(v: unknown) => void>> = new Map()
  private readonly _mergeCbs: Set<(feeds: Feed[], source: unknown) => void> = new Set()
  private readonly _dirty: Set<string> = new Set()
  private readonly _chains: Map<string, Link & { block: Block }> = new Map()
  private readonly _tomb: Map<string, number> = new Map()
  private readonly _tombMax: number
  private readonly _tombTtl: number
  private readonly _attempts: Map<string, number> = new Map()
  private readonly _timers: Set<ReturnType<typeof setTimeout>> = new Set()
  private _gcTimer: ReturnType<typeof setInterval> | undefined
  private _seq = 0
  private readonly _sp: Uint8Array
  private readonly _tp: Uint8Array
  private readonly _stage: Stage
  /**
   * Group commit: the staged writes of dispatches that ended while other work waited for the
   * lock, left for a later lock holder to write in the same batch. Settled by the `_flush`
   * that writes them; never set while nothing is staged.
   */
  private _group: { promise: Promise<void>, resolve: () => void, reject: (err: unknown) => void } | null = null

  /**
   * @param dbOrRepo - a Repo, or an abstract-level database (a Repo is created on it)
   * @param opts - see {@link StoreOptions}
   */
  constructor (dbOrRepo: Repo | Db, opts: StoreOptions = {}) {
    this.repo = dbOrRepo instanceof Repo ? dbOrRepo : new Repo(dbOrRepo as never)
    if (opts.allowDetached !== undefined) this.repo.allowDetached = opts.allowDetached
    this._strategy = opts.strategy
    this.mempool = opts.mempool ?? new Mempool()
    this._tombMax = opts.tombstones ?? 65536
    this._tombTtl = opts.tombstoneTtlMs ?? 3_600_000
    this._db = this.repo.db as unknown as Db
    this._s = this._db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as Sub
    this._t = this._db.sublevel('store-gc', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as Sub
    // Batch operations go to the root database with the sublevels' prefixes (no per-op sublevel work).
    this._sp = this._s.prefixKey(new Uint8Array(0), 'view') as Uint8Array
    this._tp = this._t.prefixKey(new Uint8Array(0), 'view') as Uint8Array
    const rs = this.repo.stage()
    rs.beforeStrategy = async () => { await this._flush() }
    this._stage = {
      rs, ops: [], old: new Map(), enc: new Map(), meta: new Map(), idx: new Map(), events: [], hids: [], blocks: 0, seqs: 0
    }
  }

  // ── registration ────────────────────────────────────────────────────────────────────────

  /**
   * Registers a Memory class under `name`, or a legacy slice (object form). Before `load()`.
   *
   * @param nameOrSlice - collection name, or a {@link SliceSpec}
   * @param MemoryClass - a strict subclass of {@link Memory} (with a name)
   * @returns the Memory (or slice) instance
   * @throws TypeError on a duplicate or invalid name, a non-subclass, or after `load()`
   * @example
   * ```ts
   * const counter = store.register('counter', Counter)
   * store.register({ name: 'tasks', initialValue: [], filter, reducer })
   * ```
   */
  register<M extends Memory<unknown>>(nameOrSlice: string, MemoryClass: new (store: Store, name: string) => M): M
  register<S>(nameOrSlice: SliceSpec<S>): Slice<S>
  register (nameOrSlice: string | SliceSpec, MemoryClass?: new (store: Store, name: string) => Memory<unknown>): Memory<unknown> | Slice {
    if (this.loaded) throw new TypeError('register() must be called before load()')
    if (typeof nameOrSlice === 'object' && nameOrSlice !== null) {
      const spec = nameOrSlice
      this._checkName(spec.name)
      if (typeof spec.reducer !== 'function') throw new TypeError('"slice.reducer" expected a function')
      if (spec.filter !== undefined && typeof spec.filter !== 'function') throw new TypeError('"slice.filter" expected a function')
      const s = new Slice(this, spec)
      this._roots.set(spec.name, s as Memory)
      this._slices.push(s)
      return s
    }
    this._checkName(nameOrSlice)
    if (typeof MemoryClass !== 'function' || !(MemoryClass.prototype instanceof Memory)) {
      throw new TypeError('"MemoryClass" expected a subclass of Memory')
    }
    const m = new MemoryClass(this, nameOrSlice)
    this._roots.set(nameOrSlice, m as Memory)
    return m
  }

  private _checkName (name: unknown): asserts name is string {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('"name" expected a non-empty string')
    if (new TextEncoder().encode(name).length > 255) throw new RangeError('"name" longer than 255 bytes')
    if (this._roots.has(name)) throw new TypeError(`"name" ${name} is already registered`)
  }

  /** Registered collections (Memories and slices) by name. */
  get roots (): ReadonlyMap<string, Memory> { return this._roots }

  /** The whole state `{ [name]: Memory.state | slice value }`. */
  get state (): Record<string, unknown> {
    const o: Record<string, unknown> = {}
    for (const [name, m] of this._roots) o[name] = m._observed()
    return o
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────

  /**
   * Restores every collection's persisted state (per object), versions, heads and the
   * acceptance log position. No `reload()` is ever needed after a restart. Idempotent.
   *
   * @param opts - `signal` aborts waiting for the lock
   * @throws StoreError `Closed`
   */
  async load (opts: LockOptions = {}): Promise<void> {
    this._checkOpen()
    await this._lock.run(async () => {
      this._checkOpen()
      if (this.loaded) return
      for (const m of this._roots.values()) {
        m._cache.clear()
        const prefix = statePrefix(m._nameBytes)
        for await (const [k, v] of this._s.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
          m._cache.set(parseIdKey(k.subarray(prefix.length)), decodeEntry(v))
        }
        const meta = await this._s.get(metaKey(m._nameBytes))
        if (meta !== undefined) {
          const { version, head } = decode(meta) as { version: number, head: Uint8Array | null }
          m.version = version
          m.head = head ?? undefined
        }
        m._changed()
        this._dirty.add(m.name)
      }
      // The acceptance position: the highest `seq` of any collection meta (written with every
      // batch that accepts blocks), or the LAST_SEQ record (batches that touched no meta), or
      // the newest entry of the older per-block log.
      let seq = 0
      for await (const v of this._s.values(range(K_META))) seq = Math.max(seq, (decode(v) as { seq?: number }).seq ?? 0)
      for await (const [k, v] of this._s.iterator({ ...range(K_LOG), reverse: true, limit: 1 })) {
        seq = Math.max(seq, k.length === 1 ? readU64(v) : readU64(k, 1))
      }
      this._seq = seq
      this.loaded = true
    }, opts)
    this._notify()
  }

  /**
   * Stops GC and retries, waits for running work, closes the database. Idempotent; every
   * later operation rejects with `Closed`.
   */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.gcStop()
    for (const t of this._timers) clearTimeout(t)
    this._timers.clear()
    await this._lock.run(async () => {
      await this._flush().catch(() => {}) // a group left by dispatches: its members get the failure
      await this.repo.close()
    })
  }

  private _checkOpen (): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed')
  }

  private _checkLoaded (): void {
    this._checkOpen()
    if (!this.loaded) throw new StoreError('NotLoaded', 'store not ready, call load()')
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────────

  /**
   * Subscribes to a collection: `cb` gets the current value now, then after every committed
   * change (never inside the lock; a throwing callback is reported as an `error` event, gaps S25).
   *
   * @param name - a registered Memory (gets `{ [id]: value }`) or slice (gets its value)
   * @param cb - observer
   * @returns unsubscribe
   * @throws StoreError `UnknownCollection`
   */
  on (name: string, cb: (value: unknown) => void): () => void {
    const m = this._roots.get(name)
    if (m === undefined) throw new StoreError('UnknownCollection', `No collection named "${name}"`)
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    let set = this._subs.get(name)
    if (set === undefined) { set = new Set(); this._subs.set(name, set) }
    const own = (v: unknown): void => { cb(v) }
    set.add(own)
    cb(m._observed())
    return () => { set.delete(own) }
  }

  /**
   * The neuron form of {@link Store.on}.
   *
   * @param name - collection name
   * @returns `(cb) => unsubscribe`
   */
  $<T = unknown>(name: string): StateNeuron<T> {
    return (cb: (v: T) => void) => this.on(name, cb as (v: unknown) => void)
  }

  /**
   * Listens to the event log (events are delivered after commit; listener errors are isolated).
   *
   * @param cb - receives each {@link StoreEvent}
   * @returns unsubscribe
   */
  tap (cb: (e: StoreEvent) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    this._taps.add(cb)
    return () => { this._taps.delete(cb) }
  }

  /**
   * Called after each committed dispatch that accepted blocks, with the accepted segments and
   * the dispatch's `source` (the kernel's gossip hook).
   *
   * @param cb - listener
   * @returns unsubscribe
   */
  onMerge (cb: (feeds: Feed[], source: unknown) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    this._mergeCbs.add(cb)
    return () => { this._mergeCbs.delete(cb) }
  }

  private _emit (e: StoreEvent): void {
    for (const cb of this._taps) {
      try { cb(e) } catch (error) {
        if (e.event !== 'error') this._emit({ event: 'error', error })
      }
    }
  }

  private _notify (): void {
    const names = [...this._dirty]
    this._dirty.clear()
    for (const name of names) {
      const set = this._subs.get(name)
      const m = this._roots.get(name)
      if (set === undefined || m === undefined || set.size === 0) continue
      const v = m._observed()
      for (const cb of [...set]) {
        try { cb(v) } catch (error) { this._emit({ event: 'error', error }) }
      }
    }
  }

  // ── dispatch ────────────────────────────────────────────────────────────────────────────

  /**
   * Ingests a feed: skips stored blocks (checked before any verification), verifies each new
   * block once, stashes orphans in the mempool, runs the rules and commits each accepted block
   * atomically. Returns once its blocks are written; dispatches waiting for one another share
   * one batch (group commit).
   *
   * @param input - a Feed, blocks, or feed bytes (parsed here, verified lazily)
   * @param opts - `loud` throws on refusal; `source` is passed to `onMerge`; `signal` aborts the lock wait
   * @returns one {@link DispatchResult}
   * @throws FeedError when `input` does not parse; StoreError `Closed`, `NotLoaded`; with
   *   `loud`: `Rejected`, `InvalidBlock`, `UnknownCollection`, `Postponed`
   */
  async dispatch (input: FeedInput, opts: DispatchOptions = {}): Promise<DispatchResult> {
    this._checkOpen()
    const feed = isFeed(input) ? input : feedFrom(input, true)
    if (feed.length === 0) return newResult()
    return await this._dispatch(async () => feed, opts)
  }

  /**
   * Runs `source` and ingests the feed it returns under the lock, then commits. When more work
   * is waiting for the lock, the commit is left to the next holder so that consecutive
   * dispatches share one batch (group commit); either way this returns only once the batch
   * holding its blocks is written.
   */
  private async _dispatch (source: () => Promise<Feed>, opts: DispatchOptions): Promise<DispatchResult> {
    const res = newResult()
    let group: Promise<void> | null = null
    await this._lock.run(async () => {
      this._checkLoaded()
      const queue: Block[][] = [(await source()).blocks as Block[]]
      for (let i = 0; i < queue.length; i++) await this._ingest(queue[i] as Block[], res, opts, queue)
      group = (await this._commitOrDefer()).group
    }, opts)
    if (group !== null) {
      // Queued behind the work that was waiting: writes the group unless a holder already did.
      await this._lock.run(async () => { await this._flush() }).catch(() => {})
      await group
    }
    this._notify()
    if (res.accepted.length > 0) {
      for (const cb of [...this._mergeCbs]) {
        try { cb(res.accepted, opts.source) } catch (error) { this._emit({ event: 'error', error }) }
      }
    }
    if (opts.loud === true) {
      const r = res.rejected[0]
      if (r !== undefined) {
        const code = r.reason.startsWith('UnrecognizedBlockFormat') ? 'InvalidBlock' : r.reason.startsWith('UnknownCollection') ? 'UnknownCollection' : 'Rejected'
        throw new StoreError(code, r.reason)
      }
    }
    return res
  }

  /**
   * Writes what is staged now, or, when other work waits for the lock, joins the group left to
   * it (returned wrapped: an async function would adopt a bare promise and wait for it here).
   */
  private async _commitOrDefer (): Promise<{ group: Promise<void> | null }> {
    const st = this._stage
    if (st.blocks === 0 && st.rs.size === 0) return { group: null }
    if (this._lock.pending <= 1) { await this._flush(); return { group: null } }
    if (this._group === null) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
      promise.catch(() => {}) // awaited by every member; a failure must not surface as unhandled meanwhile
      this._group = { promise, resolve, reject }
    }
    return { group: this._group.promise }
  }

  private async _ingest (blocks: Block[], res: DispatchResult, opts: DispatchOptions, queue: Block[][]): Promise<void> {
    let seg: Block[] = []
    // The accepted run becomes a patch; its event is delivered after the batch that holds it.
    const record = (): void => {
      if (seg.length === 0) return
      const patch = feedOf(seg, 0)
      res.accepted.push(patch)
      if (this._taps.size > 0) this._stage.events.push({ event: 'patch-merged', patch })
      seg = []
    }
    let prev: (Link & { block: Block }) | undefined
    let lastKnown: Block | undefined
    let fresh = false
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k] as Block
      const hid = latin1(b.sig)
      const continues = prev !== undefined && eq(b.psig, prev.block.sig)
      // Cheap "already have it" checks come before any verification (a child of a block
      // accepted in this run cannot be stored yet).
      if (!(continues && fresh) && (this._chains.has(hid) || await this.repo.hasBlock(b.sig))) {
        lastKnown = b; prev = this._chains.get(hid); fresh = false; continue
      }
      if (this._tomb.size > 0 && (this._isTomb(hid) || (b.psig !== undefined && this._isTomb(latin1(b.psig))))) {
        await this._flush()
        this._addTomb(hid)
        this._reject(res, b, 'Evicted')
        break
      }
      let link: Link | undefined
      if (b.psig === undefined) link = { parent: null, chainId: b.sig, owner: b.key }
      else if (continues && prev !== undefined) link = { parent: prev.block, chainId: prev.chainId, owner: prev.owner, hx: prev.hx }
      else link = await this._linkOf(b.psig, lastKnown)
      if (link === undefined) { await this._flush(); this._stash(blocks.slice(k), res); break }
      if (!b._verified && !b.verify()) { await this._flush(); this._reject(res, b, 'SignatureVerificationFailed'); break }
      // Reaching here, the block is known not to be stored (checked above, or its parent was
      // accepted in this run): the repo skips its own check.
      const out = await this._processBlock(b, link, false)
      if (out.kind === 'ok') {
        seg.push(b)
        prev = { parent: link.parent, chainId: link.chainId, owner: link.owner, hx: link.hx, block: b }
        fresh = true
        this._remember(hid, prev)
        this._stage.hids.push(hid)
        this._attempts.delete(hid)
        if (this.mempool.size > 0) {
          const kids = this.mempool.take(b.sig)
          for (const f of kids) queue.push(f.blocks as Block[])
        }
        if (this._stage.blocks >= GROUP_MAX) await this._flush()
        continue
      }
      await this._flush()
      if (out.kind === 'stored') { lastKnown = b; prev = undefined; fresh = false; continue }
      if (out.kind === 'orphan') { this._stash(blocks.slice(k), res); break }
      if (out.kind === 'postpone') { this._postpone(blocks.slice(k), out, res, opts); break }
      this._reject(res, b, out.reason)
      break
    }
    record() // committed by the dispatch (now, or with its group)
  }

  private _reject (res: DispatchResult, block: Block, reason: string): void {
    this._attempts.delete(latin1(block.sig))
    res.rejected.push({ block, reason })
    this._emit({ event: 'rejected', block, reason })
  }

  private _stash (blocks: Block[], res: DispatchResult): void {
    this.mempool.add(blocks)
    res.stashed += blocks.length
    this._emit({ event: 'stashed', blocks: blocks.length })
  }

  private _postpone (blocks: Block[], v: { reason: string, time: number, retries: number }, res: DispatchResult, opts: DispatchOptions): void {
    const first = blocks[0] as Block
    const hid = latin1(first.sig)
    const attempt = (this._attempts.get(hid) ?? 0) + 1
    if (attempt > v.retries || opts.loud === true) {
      this._reject(res, first, v.reason)
      return
    }
    this._attempts.set(hid, attempt)
    res.postponed += 1
    this._emit({ event: 'postponed', block: first, reason: v.reason, time: v.time, attempt })
    const t = setTimeout(() => {
      this._timers.delete(t)
      if (this.closed) return
      this.dispatch(blocks, { source: opts.source }).catch((error: unknown) => {
        if (!this.closed) this._emit({ event: 'error', error })
      })
    }, v.time)
    this._timers.add(t)
  }

  /** Parent, chain id and owner of a stored block `psig` (undefined when it is not stored). */
  private async _linkOf (psig: Uint8Array, known: Block | undefined): Promise<Link | undefined> {
    const cached = this._chains.get(latin1(psig))
    if (cached !== undefined) return { parent: cached.block, chainId: cached.chainId, owner: cached.owner, hx: cached.hx }
    const parent = known !== undefined && eq(known.sig, psig) ? known : await this.repo.readBlock(psig)
    if (parent === undefined) return undefined
    const [c, owner] = await Promise.all([this.repo.chainOf(psig), this.repo.ownerOf(psig)])
    if (c === undefined || owner === undefined) return undefined
    return { parent, chainId: c.chainId, owner }
  }

  private _remember (hid: string, l: Link & { block: Block }): void {
    if (this._chains.size >= CHAIN_CACHE) {
      const first = this._chains.keys().next().value
      if (first !== undefined) this._chains.delete(first)
    }
    this._chains.set(hid, l)
  }

  /** Runs one block through the rules and commits it with all its effects in one batch. */
  private async _processBlock (b: Block, link: Link, replay: boolean): Promise<Outcome> {
    let body
    try {
      body = decodeBody(b.body)
    } catch (err) {
      return { kind: 'reject', reason: (err as Error).message, cause: err }
    }
    const hx = link.hx ??= { author: toHex(link.owner), chain: toHex(link.chainId) }
    const dctx: DispatchContext = {
      block: b,
      parentBlock: link.parent,
      AUTHOR: hx.author,
      CHAIN: hx.chain,
      root: body.root,
      payload: body.payload,
      date: body.date
    }
    const blockRoot = this.repo.allowDetached ? link.chainId : link.owner
    const txn = new Txn()
    let taken = false
    const mem = this._roots.get(body.root)
    if (mem !== undefined && !(mem instanceof Slice)) {
      const v = await mem._apply(dctx, txn, blockRoot)
      if (v.kind !== 'ok') return v
      taken = true
    }
    const sctx = { block: b, parentBlock: link.parent, AUTHOR: dctx.AUTHOR, CHAIN: dctx.CHAIN }
    for (const s of this._slices) {
      const v = await s._reduce(sctx, txn)
      if (v === 'skip') continue
      if (v.kind !== 'ok') return v
      taken = true
    }
    if (!taken) return { kind: 'reject', reason: `UnknownCollection: ${body.root}` }
    // Traps run inside the block's transaction and are awaited (gaps S11).
    for (const sig of txn.signals) {
      try {
        for (const m of this._roots.values()) {
          if (m instanceof Slice) await m._sliceTrap(sig.type, sig.payload, sctx, txn)
          else await m._trap(sig.type, sig.payload, txn)
        }
      } catch (err) {
        return { kind: 'reject', reason: `TrapFailed: ${(err as Error).message}`, cause: err }
      }
    }
    // Encode the block's state first: an unencodable value refuses the block before anything is staged.
    const encs: Array<[TxnOwner, ObjectId, Uint8Array]> = []
    try {
      for (const [owner, m] of txn.objs) for (const [id, e] of m) if (e !== null) encs.push([owner, id, encodeEntry(e)])
    } catch (err) {
      if (!replay) {
        await this._flush()
        const prep = await this.repo.prepareBlock(b, this._strategy)
        if (!prep.accepted) return refusal(prep.reason)
      }
      return { kind: 'reject', reason: `UnencodableState: ${(err as Error).message}`, cause: err }
    }
    const st = this._stage
    if (!replay) {
      const prep = await this.repo.prepareBlock(b, this._strategy, { stage: st.rs, fresh: true })
      if (!prep.accepted) return refusal(prep.reason)
      // The acceptance log: block id -> seq; the position itself is kept in the metas.
      st.ops.push(this._put(this._sp, seqKey(b.sig), u64(++this._seq)))
      st.seqs++
    }
    this._stageTxn(txn, encs, b.sig)
    if (this._taps.size > 0) st.events.push(replay ? { event: 'reload', block: b, root: body.root } : { event: 'merged', block: b, root: body.root })
    return { kind: 'ok' }
  }

  /** The meta record of a collection; `seq` = the acceptance position when it was written. */
  private _metaOp (m: Memory, version: number): BatchOp {
    return this._put(this._sp, metaKey(m._nameBytes), encode({ version, head: m.head ?? null, seq: this._seq }))
  }

  private _lastSeqOp (): BatchOp {
    return this._put(this._sp, Uint8Array.of(K_LOG), u64(this._seq))
  }

  private _put (prefix: Uint8Array, key: Uint8Array, value: Uint8Array): BatchOp {
    return { type: 'put', key: withPrefix(prefix, key), value, keyEncoding: 'view', valueEncoding: 'view' } as unknown as BatchOp
  }

  private _del (prefix: Uint8Array, key: Uint8Array): BatchOp {
    return { type: 'del', key: withPrefix(prefix, key), keyEncoding: 'view' } as unknown as BatchOp
  }

  /**
   * Applies a block's transaction to the caches (so later blocks of the run see it) and
   * remembers what it replaced, to undo it if the commit fails.
   */
  private _stageTxn (txn: Txn, encs: Array<[TxnOwner, ObjectId, Uint8Array]>, head: Uint8Array): void {
    const st = this._stage
    const emit = this._taps.size > 0
    for (const [owner, m] of txn.objs) {
      const mem = owner as Memory
      let old = st.old.get(owner)
      if (old === undefined) {
        old = new Map()
        st.old.set(owner, old)
        st.meta.set(owner, { version: mem.version, head: mem.head })
      }
      for (const [id, e] of m) {
        if (!old.has(id)) old.set(id, owner._cache.get(id))
        if (e === null) owner._cache.delete(id)
        else owner._cache.set(id, e)
        if (emit) st.events.push({ event: 'change', root: owner.name, id, value: e === null ? undefined : e.value })
      }
      mem.version++
      mem.head = head
      mem._changed()
      this._dirty.add(owner.name)
    }
    for (const [owner, id, bytes] of encs) {
      let m = st.enc.get(owner)
      if (m === undefined) { m = new Map(); st.enc.set(owner, m) }
      m.set(id, bytes)
    }
    for (const x of txn.index) st.idx.set(ownerKey(x.owner, x.key), { owner: x.owner, key: x.key, blockId: x.blockId })
    st.blocks++
  }

  /**
   * Commits everything staged in ONE batch (repo operations, state, indices, references,
   * timers, metas, acceptance log), then delivers the staged events. On failure the caches are
   * restored and the error is rethrown.
   */
  private async _flush (): Promise<void> {
    const st = this._stage
    if (st.blocks === 0 && st.rs.size === 0) return
    const ops = st.rs.ops
    for (const op of st.ops) ops.push(op)
    for (const [owner, encs] of st.enc) {
      const name = owner._nameBytes
      const olds = st.old.get(owner)
      for (const [id, bytes] of encs) {
        const e = owner._cache.get(id)
        const old = olds?.get(id)
        if (e === undefined) {
          ops.push(this._del(this._sp, stateKey(name, id)))
          if (old !== undefined && Number.isFinite(old.exp)) ops.push(this._del(this._tp, timerKey(old.exp, name, id)))
          continue
        }
        ops.push(this._put(this._sp, stateKey(name, id), bytes))
        const oldExp = old?.exp ?? Infinity
        if (oldExp !== e.exp) {
          if (Number.isFinite(oldExp)) ops.push(this._del(this._tp, timerKey(oldExp, name, id)))
          if (Number.isFinite(e.exp)) ops.push(this._put(this._tp, timerKey(e.exp, name, id), NONE))
        }
        for (const r of e.roots) {
          if (old === undefined || !old.roots.some(o => eq(o, r))) ops.push(this._put(this._sp, refKey(r, name, id), NONE))
        }
      }
    }
    for (const owner of st.meta.keys()) ops.push(this._metaOp(owner as Memory, (owner as Memory).version))
    if (st.seqs > 0 && st.meta.size === 0) ops.push(this._lastSeqOp())
    for (const x of st.idx.values()) ops.push(this._put(this._sp, indexKey(x.owner._nameBytes, x.key), x.blockId))
    const events = st.events
    const group = this._group
    this._group = null
    try {
      if (ops.length > 0) await this._db.batch(ops as never)
    } catch (err) {
      group?.reject(err)
      for (const [owner, olds] of st.old) {
        for (const [id, e] of olds) {
          if (e === undefined) owner._cache.delete(id)
          else owner._cache.set(id, e)
        }
        const mem = owner as Memory
        const meta = st.meta.get(owner)
        if (meta !== undefined) { mem.version = meta.version; mem.head = meta.head }
        mem._changed()
      }
      for (const hid of st.hids) this._chains.delete(hid)
      this._clearStage()
      throw err
    }
    this._clearStage()
    group?.resolve()
    for (const e of events) this._emit(e)
  }

  private _clearStage (): void {
    const st = this._stage
    st.rs.clear()
    st.ops = []
    st.old.clear()
    st.enc.clear()
    st.meta.clear()
    st.idx.clear()
    st.events = []
    st.hids.length = 0
    st.blocks = 0
    st.seqs = 0
  }

  /** @internal secondary index read, seeing the pending transaction first */
  async _lookup (owner: TxnOwner, key: Uint8Array | string, txn: Txn | undefined): Promise<Uint8Array | undefined> {
    const kb = typeof key === 'string' ? new TextEncoder().encode(key) : key
    if (txn !== undefined) {
      for (let i = txn.index.length - 1; i >= 0; i--) {
        const x = txn.index[i] as Txn['index'][number]
        if (x.owner === owner && eq(x.key, kb)) return x.blockId
      }
    }
    if (this._stage.idx.size > 0) {
      const x = this._stage.idx.get(ownerKey(owner, kb))
      if (x !== undefined) return x.blockId
    }
    const v = await this._s.get(indexKey(owner._nameBytes, kb))
    return v === undefined ? undefined : new Uint8Array(v) // a plain Uint8Array, never a Buffer
  }

  /** @internal `latch(root, id)` for expiresAt (spec A5.3; depth limit LATCH_DEPTH → Infinity) */
  _latch (txn: Txn | undefined, depth: number): Latch {
    return (root, rawId) => {
      const m = this._roots.get(root)
      if (m === undefined) throw new TypeError(`Cannot latch, memory ${root} does not exist`)
      if (depth >= LATCH_DEPTH) return Infinity
      const id = normalizeId(rawId)
      const e = txn !== undefined ? txn.read(m, id) : m._cache.get(id)
      if (e === undefined) return 0
      return m.expiresAt(e.value as never, this._latch(txn, depth + 1))
    }
  }

  // ── block creation ──────────────────────────────────────────────────────────────────────

  /**
   * Creates a block `[root, payload, now]` on `branch` (a copy), signs it and dispatches it loudly,
   * all under the store's lock: calls in flight together on one chain each extend the block the
   * previous call created.
   *
   * @param root - collection name / block type
   * @param payload - application data
   * @param secret - the author's secret key (32 bytes or 64 hex)
   * @param opts - `branch` (see {@link Branch}), `signal`
   * @returns the branch with the new block appended (`feed.last` is the new block)
   * @throws StoreError `Rejected`, `Postponed`, `UnknownCollection`, `BranchNotFound`, `Closed`
   */
  async createBlock (root: string, payload: unknown, secret: Uint8Array | string, opts: { branch?: Branch, signal?: AbortSignal } = {}): Promise<Feed> {
    this._checkLoaded()
    const pk = signingKey(secret).pk
    let feed: Feed | undefined
    // Under the lock: concurrent calls on one chain each extend the block the previous created.
    await this._dispatch(async () => {
      feed = await this._branch(opts.branch, pk, true)
      feed.append(encodeBody(root, payload, Date.now()), secret)
      return feed
    }, { loud: true, signal: opts.signal })
    return feed as Feed
  }

  /**
   * Resolves a {@link Branch} to a new Feed that can be appended to.
   *
   * @param branch - see {@link Branch}
   * @param signer - public key used for `null`/`undefined`
   * @returns a Feed (never the caller's instance)
   * @throws StoreError `BranchNotFound` when a given block id is not stored
   */
  async readBranch (branch: Branch, signer?: Uint8Array): Promise<Feed> {
    return await this._branch(branch, signer, false)
  }

  /** {@link readBranch}; with `staged`, the blocks staged and not yet written count too (for callers holding the lock). */
  private async _branch (branch: Branch, signer: Uint8Array | undefined, staged: boolean): Promise<Feed> {
    if (isFeed(branch)) return branch.clone()
    if (branch instanceof Uint8Array && branch.length === 64) {
      const b = (staged ? this._chains.get(latin1(branch))?.block : undefined) ?? await this.repo.readBlock(branch)
      if (b === undefined) throw new StoreError('BranchNotFound', `block ${toHex(branch, 8)} is not stored`)
      return feedOf([b], b.blockSize + 256)
    }
    const pk = branch instanceof Uint8Array ? branch : signer
    if (branch instanceof Uint8Array && branch.length !== 32) throw new RangeError(`"branch" expected 32 or 64 bytes, got ${branch.length}`)
    if (pk === undefined || (branch == null && this.repo.allowDetached)) return new Feed()
    const tip = await this.repo.headOf(pk, staged ? this._stage.rs : undefined)
    if (tip === undefined) return new Feed()
    // A block accepted in this session is cached with its link (blocks never change).
    const b = this._chains.get(latin1(tip))?.block ?? await this.repo.readBlock(tip)
    // Room for the block a caller appends next (typically as large as its parent).
    return b === undefined ? new Feed() : feedOf([b], b.blockSize + 256)
  }

  // ── replay ──────────────────────────────────────────────────────────────────────────────

  /**
   * Rebuilds all derived data (state, indices, references, timers) from scratch by replaying
   * the stored blocks in their original acceptance order (gaps S20).
   *
   * @param opts - `signal` aborts waiting for the lock
   * @returns names of the collections touched
   * @throws StoreError `Closed`, `NotLoaded`
   */
  async reload (opts: LockOptions = {}): Promise<string[]> {
    this._checkLoaded()
    const touched = new Set<string>()
    await this._lock.run(async () => {
      this._checkLoaded()
      await this._flush()
      const log: Array<[number, Uint8Array]> = []
      for await (const [k, v] of this._s.iterator(range(K_SEQ))) log.push([readU64(v), k.slice(1)])
      log.sort((a, b) => a[0] - b[0])
      const ids = log.map(e => e[1])
      for (const p of [K_STATE, K_META, K_INDEX, K_REF]) await this._s.clear(range(p))
      await this._db.batch([this._lastSeqOp()] as never) // the metas held the position
      await this._t.clear()
      this._chains.clear()
      for (const m of this._roots.values()) {
        m._cache.clear()
        m.version = 0
        m.head = undefined
        m._changed()
        this._dirty.add(m.name)
      }
      const links = new Map<string, Link & { block: Block }>()
      for (const id of ids) {
        const b = await this.repo.readBlock(id)
        if (b === undefined) continue
        let link: Link | undefined
        if (b.psig === undefined) link = { parent: null, chainId: b.sig, owner: b.key }
        else link = links.get(latin1(b.psig)) ?? await this._linkOf(b.psig, undefined)
        if (link === undefined) continue
        const out = await this._processBlock(b, link, true)
        if (out.kind === 'ok') {
          links.set(latin1(b.sig), { ...link, parent: link.parent, block: b })
          touched.add(decodeBody(b.body).root)
          if (this._stage.blocks >= GROUP_MAX) await this._flush()
        } else if (out.kind === 'reject' || out.kind === 'postpone') {
          await this._flush()
          this._emit({ event: 'rejected', block: b, reason: out.reason })
        }
      }
      await this._flush()
    }, opts)
    this._notify()
    return [...touched]
  }

  // ── garbage collection ──────────────────────────────────────────────────────────────────

  /**
   * Number of objects that reference a block root (author pk, or chain id in detached mode).
   *
   * @param blockRoot - pk or chain id, bytes or hex
   * @returns the count
   */
  async referencesOf (blockRoot: Uint8Array | string): Promise<number> {
    const p = refPrefix(typeof blockRoot === 'string' ? fromHex(blockRoot) : blockRoot)
    let n = 0
    for await (const _ of this._s.keys({ gte: p, lt: prefixEnd(p) })) n++
    return n
  }

  /**
   * Runs the garbage collector under the lock (gaps S6): visits every timer due at `now`,
   * sweeps expired objects, drops their references and evicts chains no object references,
   * each sweep in one batch with its rollback (gaps S5).
   *
   * @param now - ms epoch (default `Date.now()`)
   * @param opts - `signal` aborts waiting for the lock
   * @returns the evicted feeds
   * @throws StoreError `Closed`, `NotLoaded`
   */
  async gc (now: number = Date.now(), opts: LockOptions = {}): Promise<Feed[]> {
    this._checkLoaded()
    const evicted: Feed[] = []
    await this._lock.run(async () => {
      this._checkLoaded()
      await this._flush()
      const due: Uint8Array[] = []
      for await (const k of this._t.keys({ lt: u64(Math.floor(now) + 1) })) due.push(k)
      for (const k of due) await this._visit(k, now, evicted)
    }, opts)
    this._notify()
    return evicted
  }

  private async _visit (k: Uint8Array, now: number, evicted: Feed[]): Promise<void> {
    const { due, name, id } = parseTimerKey(k)
    const m = this._roots.get(name)
    const e = m?._cache.get(id)
    if (m === undefined || e === undefined || e.exp !== due) { await this._t.del(k); return }
    let exp: number
    try {
      exp = m.expiresAt(e.value as never, this._latch(undefined, 0))
    } catch (error) {
      this._emit({ event: 'error', error })
      return
    }
    if (typeof exp !== 'number' || Number.isNaN(exp)) exp = Infinity
    const ops: BatchOp[] = []
    if (exp > now) {
      // Not due any more: move the timer (or drop it for Infinity).
      const next: Entry = { ...e, exp }
      ops.push(this._del(this._tp, k), this._put(this._sp, stateKey(m._nameBytes, id), encodeEntry(next)))
      if (Number.isFinite(exp)) ops.push(this._put(this._tp, timerKey(exp, m._nameBytes, id), NONE))
      await this._db.batch(ops as never)
      m._cache.set(id, next)
      return
    }
    ops.push(this._del(this._tp, k), this._del(this._sp, stateKey(m._nameBytes, id)))
    for (const [key, bid] of e.idx) {
      const ik = indexKey(m._nameBytes, key)
      const cur = await this._s.get(ik)
      if (cur !== undefined && eq(cur, bid)) ops.push(this._del(this._sp, ik))
    }
    const gone: Feed[] = []
    const roots: Uint8Array[] = []
    for (const r of e.roots) {
      const mine = refKey(r, m._nameBytes, id)
      ops.push(this._del(this._sp, mine))
      let still = false
      const p = refPrefix(r)
      for await (const rk of this._s.keys({ gte: p, lt: prefixEnd(p), limit: 2 })) if (!eq(rk, mine)) still = true
      if (still) continue
      const rb = await this.repo.prepareRollback(r)
      if (rb === null) continue
      ops.push(...rb.ops)
      const seqs = await this._s.getMany(rb.evicted.blocks.map(b => seqKey(b.sig)))
      rb.evicted.blocks.forEach((b, i) => {
        const s = seqs[i]
        if (s !== undefined) ops.push(this._del(this._sp, logKey(readU64(s))), this._del(this._sp, seqKey(b.sig)))
      })
      gone.push(rb.evicted)
      roots.push(r)
    }
    ops.push(this._metaOp(m, m.version + 1))
    await this._db.batch(ops as never)
    m._cache.delete(id)
    m.version++
    m._changed()
    this._dirty.add(m.name)
    this._emit({ event: 'change', root: m.name, id, value: undefined })
    if (gone.length > 0) this._chains.clear()
    gone.forEach((f, i) => {
      for (const b of f.blocks) this._addTomb(latin1(b.sig))
      evicted.push(f)
      this._emit({ event: 'rollback', evicted: f, root: roots[i] as Uint8Array })
    })
  }

  /**
   * Runs {@link Store.gc} every `intervalMs` until {@link Store.gcStop}, `close()` or the signal
   * aborts (gaps S7). Failures are reported as `error` events.
   *
   * @param opts - `intervalMs` (default 3000), `signal`
   */
  gcStart (opts: GcOptions = {}): void {
    this._checkOpen()
    this.gcStop()
    const ms = opts.intervalMs ?? 3000
    if (!(ms > 0)) throw new RangeError(`"intervalMs" expected a positive number, got ${ms}`)
    if (opts.signal?.aborted === true) return
    let running = false
    const t = setInterval(() => {
      if (running || this.closed || !this.loaded) return
      running = true
      this.gc().catch((error: unknown) => { if (!this.closed) this._emit({ event: 'error', error }) })
        .finally(() => { running = false })
    }, ms)
    this._gcTimer = t
    opts.signal?.addEventListener('abort', () => { if (this._gcTimer === t) this.gcStop() }, { once: true })
  }

  /** Stops the periodic GC (idempotent). */
  gcStop (): void {
    if (this._gcTimer !== undefined) clearInterval(this._gcTimer)
    this._gcTimer = undefined
  }

  private _isTomb (hid: string): boolean {
    const t = this._tomb.get(hid)
    if (t === undefined) return false
    if (t < Date.now()) { this._tomb.delete(hid); return false }
    return true
  }

  private _addTomb (hid: string): void {
    if (this._tomb.size >= this._tombMax) {
      const first = this._tomb.keys().next().value
      if (first !== undefined) this._tomb.delete(first)
    }
    this._tomb.set(hid, Date.now() + this._tombTtl)
  }
}

function refusal (reason: 'Stored' | 'ParentNotFound' | 'Refused'): Outcome {
  if (reason === 'Stored') return { kind: 'stored' }
  if (reason === 'ParentNotFound') return { kind: 'orphan' }
  return { kind: 'reject', reason: 'Refused' }
}

function ownerKey (owner: TxnOwner, key: Uint8Array): string {
  return owner.name + '\0' + latin1(key)
}

function encodeEntry (e: Entry): Uint8Array {
  return encode({ v: e.value, e: Number.isFinite(e.exp) ? e.exp : null, r: e.roots, x: e.idx })
}

function decodeEntry (b: Uint8Array): Entry {
  const o = decode(b) as { v: unknown, e: number | null, r: Uint8Array[], x: Array<[Uint8Array, Uint8Array]> }
  return { value: deepFreeze(o.v), exp: o.e ?? Infinity, roots: o.r, idx: o.x }
}

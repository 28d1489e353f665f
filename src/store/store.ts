// The block engine, rebuilt without the original's defects: one atomic batch per
// accepted block, per-object persistence, a per-store lock, retried postpones, a bounded
// mempool, a working GC with tombstones, one dispatch result object. This class coordinates;
// the work is done in ingest.ts (rules), commit.ts (staging, group commit), gc.ts, replay.ts.
import { Feed, feedFrom, isFeed, toHex, type Block, type FeedInput } from '../feed/index.js'
import { signingKey } from '../feed/keys.js'
import type { ChainInfo, Repo } from '../repo/index.js'
import { latin1 } from '../internal/bytes.js'
import { keyArg } from '../internal/key-arg.js'
import type { RepoDb } from '../internal/level.js'
import type { Mempool } from './mempool.js'
import { StoreError } from './errors.js'
import type { LockOptions } from './lock.js'
import { encodeBody } from './body.js'
import { Memory } from './memory.js'
import { Slice, type SliceSpec } from './slice.js'
import type { Txn, TxnOwner } from './txn.js'
import type { Latch } from './context.js'
import { StoreCore } from './core.js'
import { ingest, newResult, feedOf, unstored, headChains } from './ingest.js'
import { countReferences, sweep } from './gc.js'
import { restore, replay } from './replay.js'
import type { Branch, DispatchOptions, DispatchResult, GcOptions, Observed, StateNeuron, StoreEvent, StoreOptions } from './types.js'

export type { Branch, DispatchOptions, DispatchResult, GcOptions, Observed, Rejected, StateNeuron, StoreEvent, StoreOptions } from './types.js'

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
  private readonly _c: StoreCore
  private _gcTimer: ReturnType<typeof setInterval> | undefined

  /**
   * Creates a store on a repo or a database; call {@link Store.register} for each collection,
   * then `load()` before use.
   *
   * @param dbOrRepo - a Repo, or an abstract-level database (a Repo is created on it)
   * @param opts - see {@link StoreOptions}
   */
  constructor (dbOrRepo: Repo | RepoDb, opts: StoreOptions = {}) {
    const c = new StoreCore(dbOrRepo, opts)
    c.redispatch = async (blocks, source) => await this.dispatch(blocks, { source })
    this._c = c
    this.repo = c.repo
    this.mempool = c.mempool
  }

  /** True after {@link Store.close}. */
  get closed (): boolean { return this._c.closed }

  /** True after {@link Store.load}. */
  get loaded (): boolean { return this._c.loaded }

  // ── registration ────────────────────────────────────────────────────────────────────────

  /**
   * Registers a Memory class under `name`, or a legacy slice (object form). Before `load()`.
   *
   * @param nameOrSlice - collection name, or a {@link SliceSpec}
   * @param MemoryClass - a strict subclass of {@link Memory} (with a name)
   * @returns the Memory (or slice) instance
   * @throws TypeError on a duplicate or invalid name, a non-subclass, or after `load()`;
   *   StoreError `Closed`
   * @example
   * ```ts
   * const counter = store.register('counter', Counter)
   * store.register({ name: 'tasks', initialValue: [], filter, reducer })
   * ```
   */
  register<M extends Memory<unknown>>(nameOrSlice: string, MemoryClass: new (store: Store, name: string) => M): M
  register<S>(nameOrSlice: SliceSpec<S>): Slice<S>
  register (nameOrSlice: string | SliceSpec, MemoryClass?: new (store: Store, name: string) => Memory<unknown>): Memory<unknown> | Slice {
    this._c.checkOpen()
    if (this._c.loaded) throw new TypeError('register() must be called before load()')
    if (typeof nameOrSlice === 'object' && nameOrSlice !== null) {
      const spec = nameOrSlice
      this._checkName(spec.name)
      if (typeof spec.reducer !== 'function') throw new TypeError('"slice.reducer" expected a function')
      if (spec.filter !== undefined && typeof spec.filter !== 'function') throw new TypeError('"slice.filter" expected a function')
      const s = new Slice(this, spec)
      this._c.roots.set(spec.name, s as Memory)
      this._c.slices.push(s)
      return s
    }
    this._checkName(nameOrSlice)
    if (typeof MemoryClass !== 'function' || !(MemoryClass.prototype instanceof Memory)) {
      throw new TypeError('"MemoryClass" expected a subclass of Memory')
    }
    const m = new MemoryClass(this, nameOrSlice)
    this._c.roots.set(nameOrSlice, m as Memory)
    return m
  }

  private _checkName (name: unknown): asserts name is string {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('"name" expected a non-empty string')
    if (new TextEncoder().encode(name).length > 255) throw new RangeError('"name" longer than 255 bytes')
    if (this._c.roots.has(name)) throw new TypeError(`"name" ${name} is already registered`)
  }

  /**
   * Registered collections (Memories and slices) by name: a `Map`. Reading a collection as a
   * property, the original's `store.roots[name]`, throws a TypeError that says to write
   * `store.roots.get(name)`.
   */
  get roots (): ReadonlyMap<string, Memory> {
    this._roots ??= guardRoots(this._c.roots)
    return this._roots
  }

  private _roots: ReadonlyMap<string, Memory> | undefined

  /** The whole state `{ [name]: Memory.state | slice value }`. */
  get state (): Record<string, unknown> {
    const o: Record<string, unknown> = {}
    for (const [name, m] of this._c.roots) o[name] = m._observed()
    return o
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────

  /**
   * Restores every collection's persisted state (per object), versions, heads and the
   * acceptance log position. No `reload()` is ever needed after a restart. Idempotent. The
   * first load of a database checks (or writes) the repo's and the store's layout versions.
   *
   * @param opts - `signal` aborts waiting for the lock
   * @throws StoreError `Closed`, `Reentrant`, `UnsupportedVersion`; RepoError `UnsupportedVersion`
   */
  async load (opts: LockOptions = {}): Promise<void> {
    const c = this._c
    c.checkOpen()
    c.checkReentry('load')
    await c.lock.run(async () => {
      c.checkOpen()
      if (c.loaded) return
      await restore(c)
      c.loaded = true
    }, opts)
    c.events.notify(c.roots)
  }

  /**
   * Stops GC and retries, waits for running work, closes the database. Idempotent; every
   * later operation (but `gcStop` and `close`) throws or rejects with StoreError `Closed`.
   * May be called from inside a rule (the rule must not await it: it waits for the lock).
   */
  async close (): Promise<void> {
    const c = this._c
    if (c.closed) return
    c.closed = true
    this.gcStop()
    for (const t of c.timers) clearTimeout(t)
    c.timers.clear()
    await c.lock.run(async () => {
      await c.stage.flush().catch(() => {}) // a group left by dispatches: its members get the failure
      await c.repo.close()
    })
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────────

  /**
   * Subscribes to a collection: `cb` gets the current value now, then after every committed
   * change (never inside the lock; a throwing callback is reported as an `error` event and does not stop the others).
   * Given the collection `register` returned, the value is typed from it (see {@link Observed});
   * given a name, type it with `on<T>(name, cb)`.
   *
   * @param collection - a registered Memory (gets `{ [id]: value }`) or slice (gets its value),
   *   or its name
   * @param cb - observer
   * @returns unsubscribe
   * @throws StoreError `UnknownCollection`, `Closed`
   * @example
   * ```ts
   * const clock = store.register<number>({ name: 'clock', initialValue: 0, reducer })
   * store.on(clock, t => t.toFixed())          // t: number
   * ```
   */
  on<M extends Memory<unknown, unknown>>(collection: M, cb: (value: Observed<M>) => void): () => void
  on<T = unknown>(collection: string, cb: (value: T) => void): () => void
  on (collection: string | Memory<unknown, unknown>, cb: (value: never) => void): () => void {
    this._c.checkOpen()
    const name = this._nameOf(collection)
    const m = this._c.roots.get(name)
    if (m === undefined) throw new StoreError('UnknownCollection', `No collection named "${name}"`)
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    return this._c.events.subscribe(name, m, cb as (v: unknown) => void)
  }

  /**
   * The neuron form of {@link Store.on}.
   *
   * @param collection - a registered Memory or slice (the neuron is typed from it), or its name
   *   (type it with `$<T>(name)`)
   * @returns `(cb) => unsubscribe`
   * @throws StoreError `Closed` (now, or when the neuron is subscribed to after `close()`)
   */
  $<M extends Memory<unknown, unknown>>(collection: M): StateNeuron<Observed<M>>
  $<T = unknown>(collection: string): StateNeuron<T>
  $ (collection: string | Memory<unknown, unknown>): StateNeuron<unknown> {
    this._c.checkOpen()
    const name = this._nameOf(collection)
    return (cb: (v: unknown) => void) => this.on(name, cb)
  }

  /** The name of a collection given by name or as the registered instance. */
  private _nameOf (collection: string | Memory<unknown, unknown>): string {
    if (typeof collection === 'string') return collection
    if (collection instanceof Memory && this._c.roots.get(collection.name) === collection) return collection.name
    throw new TypeError('"collection" expected a name or a collection registered on this store')
  }

  /**
   * Listens to the event log (events are delivered after commit; listener errors are isolated).
   *
   * @param cb - receives each {@link StoreEvent}
   * @returns unsubscribe
   * @throws StoreError `Closed`
   */
  tap (cb: (e: StoreEvent) => void): () => void {
    this._c.checkOpen()
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    const taps = this._c.events.taps
    taps.add(cb)
    return () => { taps.delete(cb) }
  }

  /**
   * Called after each committed dispatch that accepted blocks, with the accepted segments and
   * the dispatch's `source` (the kernel's gossip hook).
   *
   * @param cb - listener
   * @returns unsubscribe
   * @throws StoreError `Closed`
   */
  onMerge (cb: (feeds: Feed[], source: unknown) => void): () => void {
    this._c.checkOpen()
    if (typeof cb !== 'function') throw new TypeError('"cb" expected a function')
    const cbs = this._c.events.mergeCbs
    cbs.add(cb)
    return () => { cbs.delete(cb) }
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
   * @throws FeedError when `input` does not parse; StoreError `Closed`, `NotLoaded`,
   *   `Reentrant`; with `loud`: the first rejection's `RejectionCode` (`reason` as in
   *   `rejected`, e.g. `Rejected`, `NotOwner`, `UnrecognizedBlockFormat`, `UnknownCollection`)
   */
  async dispatch (input: FeedInput, opts: DispatchOptions = {}): Promise<DispatchResult> {
    this._c.checkOpen()
    this._c.checkReentry('dispatch')
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
    const c = this._c
    const res = newResult()
    let group: Promise<void> | null = null
    await c.lock.run(async () => {
      c.checkLoaded()
      const queue: Block[][] = [(await source()).blocks as Block[]]
      for (let i = 0; i < queue.length; i++) await ingest(c, queue[i] as Block[], res, opts, queue)
      group = (await c.stage.commitOrDefer()).group
    }, opts)
    if (group !== null) {
      // Queued behind the work that was waiting: writes the group unless a holder already did.
      await c.lock.run(async () => { await c.stage.flush() }).catch(() => {})
      await group
    }
    c.events.notify(c.roots)
    if (res.accepted.length > 0) c.events.merged(res.accepted, opts.source)
    if (opts.loud === true) {
      const r = res.rejected[0]
      if (r !== undefined) throw new StoreError(r.code, r.reason, { reason: r.reason })
    }
    return res
  }

  /**
   * @internal secondary index read, seeing the pending transaction first. From a rule (`txn`
   * given, under the lock) it works while `close()` waits for that rule; otherwise `Closed`.
   */
  async _lookup (owner: TxnOwner, key: Uint8Array | string, txn: Txn | undefined): Promise<Uint8Array | undefined> {
    if (txn !== undefined) return await this._c.lookup(owner, key, txn)
    return await this._c.read(() => this._c.lookup(owner, key, undefined))
  }

  /** @internal runs a rule (application code) under the lock: see StoreError `Reentrant` */
  _guard<T> (fn: () => T, rule?: unknown): T {
    return this._c.guard(fn, rule)
  }

  /** @internal throws StoreError `Reentrant` when called synchronously from a rule (for calls that lock later) */
  _checkReentry (what: string): void {
    this._c.checkReentry(what)
  }

  /** @internal `latch(root, id)` for expiresAt (depth limit LATCH_DEPTH → Infinity) */
  _latch (txn: Txn | undefined, depth: number): Latch {
    return this._c.latch(txn, depth)
  }

  // ── block creation ──────────────────────────────────────────────────────────────────────

  /**
   * Creates a block `[root, payload, now]` on `branch` (a copy), signs it and dispatches it loudly,
   * all under the store's lock: calls in flight together on one chain each extend the block the
   * previous call created.
   *
   * @param root - collection name / block type
   * @param payload - application data
   * @param secret - the author's secret key (32 bytes or 64 hex digits)
   * @param opts - `branch` (see {@link Branch}), `signal`
   * @returns the branch with the new block appended (`feed.last` is the new block)
   * @throws StoreError: the block's `RejectionCode` when it is refused (e.g. `Rejected`
   *   with the application's reason, `NotOwner` on another key's chain); `BranchNotFound`,
   *   `Closed`, `NotLoaded`, `Reentrant`
   * @throws TypeError when called in the original's order (branch first) or with the branch
   *   in place of the options; RangeError naming `secret` or `branch` when a key or block id
   *   has the wrong length or is not hex
   */
  async createBlock (root: string, payload: unknown, secret: Uint8Array | string, opts: { branch?: Branch, signal?: AbortSignal } = {}): Promise<Feed> {
    if (typeof root !== 'string') {
      throw new TypeError('store.createBlock(root, payload, secret, { branch }) takes the collection name first; ' +
        'the original\'s createBlock(branch, payload, secret) is now store.roots.get(name).createBlock(branch, payload, secret)')
    }
    if (isFeed(opts) || opts instanceof Uint8Array || typeof opts !== 'object' || opts === null) {
      throw new TypeError('store.createBlock: pass the branch as an option: createBlock(root, payload, secret, { branch })')
    }
    const sk = keyArg(secret, 32, 'secret')
    const branch = branchArg(opts.branch)
    this._c.checkLoaded()
    this._c.checkReentry('createBlock')
    const pk = signingKey(sk).pk
    let feed: Feed | undefined
    // Under the lock: concurrent calls on one chain each extend the block the previous created.
    // On the owner's HEAD (the tip of its chain, which no stored block extends) the new block
    // cannot be stored already: its "already stored?" read is skipped. Not in detached mode,
    // where a new genesis could repeat a stored one made in the same millisecond.
    const onHead = (branch == null || (branch instanceof Uint8Array && branch.length === 32)) && !this._c.repo.allowDetached
    const read: BranchRead = {}
    await this._dispatch(async () => {
      feed = await this._branch(branch, pk, true, read)
      feed.append(encodeBody(root, payload, Date.now()), sk)
      if (onHead) {
        const b = feed.last as Block
        unstored.add(b)
        if (read.head !== undefined) headChains.set(b, read.head)
      }
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
   * @throws StoreError `BranchNotFound` when a given block id is not stored; `Closed`
   */
  async readBranch (branch: Branch, signer?: Uint8Array): Promise<Feed> {
    const b = branchArg(branch)
    return await this._c.read(() => this._branch(b, signer, false))
  }

  /**
   * {@link readBranch}; with `staged`, the blocks staged and not yet written count too (for
   * callers holding the lock). `read.head` gets the chain read through the signer's HEAD.
   */
  private async _branch (branch: Feed | Uint8Array | null | undefined, signer: Uint8Array | undefined, staged: boolean, read?: BranchRead): Promise<Feed> {
    const c = this._c
    if (isFeed(branch)) return branch.clone()
    if (branch instanceof Uint8Array && branch.length === 64) {
      const b = (staged ? c.chains.get(latin1(branch))?.block : undefined) ?? await c.repo.readBlock(branch)
      if (b === undefined) throw new StoreError('BranchNotFound', `block ${toHex(branch, 8)} is not stored`)
      return feedOf([b], b.blockSize + 256)
    }
    const pk = branch instanceof Uint8Array ? branch : signer
    if (pk === undefined || (branch == null && c.repo.allowDetached)) return new Feed()
    const head = await c.repo._headChain(pk, staged ? c.stage.rs : undefined)
    if (head === undefined) return new Feed()
    if (read !== undefined) read.head = head
    const tip = head.tip
    // A block accepted in this session is cached with its link (blocks never change).
    const b = c.chains.get(latin1(tip))?.block ?? await c.repo.readBlock(tip)
    // Room for the block a caller appends next (typically as large as its parent).
    return b === undefined ? new Feed() : feedOf([b], b.blockSize + 256)
  }

  // ── replay ──────────────────────────────────────────────────────────────────────────────

  /**
   * Rebuilds all derived data (state, indices, references, timers) from scratch by replaying
   * the stored blocks in their original acceptance order, so the result equals the state built live.
   *
   * @param opts - `signal` aborts waiting for the lock
   * @returns names of the collections touched
   * @throws StoreError `Closed`, `NotLoaded`, `Reentrant`
   */
  async reload (opts: LockOptions = {}): Promise<string[]> {
    const c = this._c
    c.checkLoaded()
    c.checkReentry('reload')
    const touched = new Set<string>()
    await c.lock.run(async () => {
      c.checkLoaded()
      await c.stage.flush()
      await replay(c, touched)
    }, opts)
    c.events.notify(c.roots)
    return [...touched]
  }

  // ── garbage collection ──────────────────────────────────────────────────────────────────

  /**
   * Number of objects that reference a block root (author pk, or chain id in detached mode).
   *
   * @param blockRoot - pk or chain id, bytes or hex
   * @returns the count
   * @throws StoreError `Closed`
   */
  async referencesOf (blockRoot: Uint8Array | string): Promise<number> {
    const root = keyArg(blockRoot, [32, 64], 'blockRoot')
    return await this._c.read(() => countReferences(this._c, root))
  }

  /**
   * Runs the garbage collector under the lock, so it never races a dispatch: visits every timer due at `now`,
   * sweeps expired objects, drops their references and evicts chains no object references,
   * each sweep in one batch with its rollback (a crash leaves either both or neither).
   *
   * @param now - ms epoch (default `Date.now()`)
   * @param opts - `signal` aborts waiting for the lock
   * @returns the evicted feeds
   * @throws StoreError `Closed`, `NotLoaded`, `Reentrant`
   */
  async gc (now: number = Date.now(), opts: LockOptions = {}): Promise<Feed[]> {
    const c = this._c
    c.checkLoaded()
    c.checkReentry('gc')
    let evicted: Feed[] = []
    await c.lock.run(async () => {
      c.checkLoaded()
      await c.stage.flush()
      evicted = await sweep(c, now)
    }, opts)
    c.events.notify(c.roots)
    return evicted
  }

  /**
   * Runs {@link Store.gc} every `intervalMs` until {@link Store.gcStop}, `close()` or the signal
   * aborts; runs never overlap. Failures are reported as `error` events.
   *
   * @param opts - `intervalMs` (default 3000), `signal`
   * @throws StoreError `Closed`
   */
  gcStart (opts: GcOptions = {}): void {
    const c = this._c
    c.checkOpen()
    this.gcStop()
    const ms = opts.intervalMs ?? 3000
    if (!(ms > 0)) throw new RangeError(`"intervalMs" expected a positive number, got ${ms}`)
    if (opts.signal?.aborted === true) return
    let running = false
    const t = setInterval(() => {
      if (running || c.closed || !c.loaded) return
      running = true
      this.gc().catch((error: unknown) => { if (!c.closed) c.events.emit({ event: 'error', error }) })
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
}

/** What {@link Store._branch} read on its way: the chain HEAD named. */
interface BranchRead { head?: ChainInfo }

/** A {@link Branch} as the store works on it: a key or block id given as hex becomes bytes. */
function branchArg (branch: Branch): Feed | Uint8Array | null | undefined {
  if (branch == null || isFeed(branch)) return branch
  return keyArg(branch, [32, 64], 'branch')
}

/** The roots Map, refusing the original's object form (`roots[name]`) with a TypeError. */
function guardRoots (roots: Map<string, Memory>): ReadonlyMap<string, Memory> {
  return new Proxy(roots, {
    get (target, prop) {
      if (typeof prop === 'string' && !(prop in target) && target.has(prop)) {
        throw new TypeError(`store.roots is a Map: write store.roots.get(${JSON.stringify(prop)})`)
      }
      const v: unknown = Reflect.get(target, prop, target)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    }
  })
}

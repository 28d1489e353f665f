// The shared state of one Store: its database handles, collections, caches, lock and the
// staged batch. The Store coordinates; ingest.ts, commit.ts, gc.ts and replay.ts act on this.
import type { Block } from '../feed/index.js'
import { Repo, type MergeStrategy } from '../repo/index.js'
import { bytesEqual, concat } from '../internal/bytes.js'
import { put, putOp, viewDefault, type BatchOp, type RepoDb, type RepoSublevel } from '../internal/level.js'
import { Mempool } from './mempool.js'
import { StoreError } from './errors.js'
import { Lock } from './lock.js'
import { type Memory, normalizeId, LATCH_DEPTH } from './memory.js'
import type { Slice } from './slice.js'
import type { Txn, TxnOwner } from './txn.js'
import type { Latch } from './context.js'
import { Events } from './events.js'
import { Tombstones } from './tombstones.js'
import { Stage } from './commit.js'
import { encodeMeta } from './entry.js'
import { K_LOG, indexKey, metaKey, statePrefix, u64 } from './keys.js'
import type { StoreOptions } from './types.js'

/** @internal parent/chain facts of a block about to be processed */
export interface Link {
  parent: Block | null
  chainId: Uint8Array
  owner: Uint8Array
  hx?: Hx | undefined
  /** The parent's id as latin1, when known (the chain cache's key). */
  phid?: string | undefined
}
/** @internal hex forms of a chain's owner and id, computed once per chain */
export interface Hx { author: string, chain: string }
/** @internal a processed block with its link */
export type Linked = Link & { block: Block, hid?: string }
/** @internal keys of a collection as the root database stores them (the 'store' sublevel's prefix included) */
export interface OwnerKeys {
  /** Prefix of its state keys (an id's key follows, see `withId`). */
  state: Uint8Array
  /** Its meta record's key. */
  meta: Uint8Array
}

/** Codes of the errors a read racing `close()` meets (repo, abstract-level). */
const CLOSED_CODES = new Set(['Closed', 'LEVEL_DATABASE_NOT_OPEN', 'LEVEL_ITERATOR_NOT_OPEN', 'LEVEL_BATCH_NOT_OPEN'])

/** Blocks remembered with their links (blocks never change): staged ones, and written tips (see Stage._forgetParents). */
const CHAIN_CACHE = 4096
/** Most blocks committed in one batch (well below CHAIN_CACHE: staged ids stay cached until committed). */
export const GROUP_MAX = 1000

/** A rule running under a store's lock, as seen from code it started (also after its awaits). */
interface RuleScope { readonly core: object, active: boolean }

/**
 * Where the platform has async context (Node's AsyncLocalStorage), `async` rules run inside a
 * scope that follows their awaits, so a dispatch such a rule starts after an `await` is
 * recognised too; elsewhere, and for rules that are not `async` functions (a synchronous rule
 * needs no scope), only calls made before the rule's first `await` are. Entering a scope makes
 * every promise of the process pay Node's async hooks from then on, so apps whose rules are all
 * synchronous never do.
 */
const ruleScope: { run<R>(scope: RuleScope, fn: () => R): R, getStore(): RuleScope | undefined } | undefined = (() => {
  const mod = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:async_hooks') as
    { AsyncLocalStorage?: new () => { run<R>(scope: RuleScope, fn: () => R): R, getStore(): RuleScope | undefined } } | undefined
  return mod?.AsyncLocalStorage === undefined ? undefined : new mod.AsyncLocalStorage()
})()

/** Whether `f` is an `async` function (its later awaits need an async context scope). */
function isAsyncFunction (f: unknown): boolean {
  return typeof f === 'function' && f.constructor?.name === 'AsyncFunction'
}

/** @internal */
export class StoreCore {
  readonly repo: Repo
  readonly mempool: Mempool
  readonly db: RepoDb
  /** The 'store' sublevel (state, metas, indices, references, acceptance log). */
  readonly s: RepoSublevel
  /** The 'store-gc' sublevel (timers). */
  readonly t: RepoSublevel
  /** Key prefixes of `s` and `t` in the root database (batch operations go to the root). */
  readonly sp: Uint8Array
  readonly tp: Uint8Array
  /** The database reads and writes 'view' by default: batch operations go without per-op encodings. */
  readonly bare: boolean
  readonly lock: Lock = new Lock()
  readonly strategy: MergeStrategy | undefined
  readonly roots: Map<string, Memory> = new Map()
  readonly slices: Slice[] = []
  readonly events: Events = new Events()
  /** Blocks processed in this session, with their links, by latin1 id. */
  readonly chains: Map<string, Linked> = new Map()
  readonly tombs: Tombstones
  /** Postpone attempts per block (latin1 id). */
  readonly attempts: Map<string, number> = new Map()
  /** Pending postpone retries. */
  readonly timers: Set<ReturnType<typeof setTimeout>> = new Set()
  readonly stage: Stage
  /** The acceptance position: the seq of the last accepted block. */
  seq = 0
  closed = false
  loaded = false
  /** Who may append to a chain (see StoreOptions.appendPolicy). */
  readonly appendPolicy: 'owner' | 'any'
  /** The backend reads synchronously (`getSync`). */
  private readonly _sync: boolean
  /** Depth of application code (rules) running synchronously under the lock. */
  private _userDepth = 0
  /** Dispatches blocks again (a postponed retry); set by the Store. */
  redispatch: (blocks: Block[], source: unknown) => Promise<unknown> = async () => {}

  constructor (dbOrRepo: Repo | RepoDb, opts: StoreOptions) {
    const policy = opts.appendPolicy
    if (policy !== undefined && policy !== 'owner' && policy !== 'any') throw new TypeError('"appendPolicy" expected \'owner\' or \'any\'')
    if (dbOrRepo instanceof Repo) {
      if (policy !== undefined && policy !== dbOrRepo.appendPolicy) {
        throw new TypeError(`"appendPolicy" ${policy} differs from the given repo's (${dbOrRepo.appendPolicy})`)
      }
      this.repo = dbOrRepo
    } else {
      this.repo = new Repo(dbOrRepo, [], { appendPolicy: policy ?? 'owner' })
    }
    this.appendPolicy = this.repo.appendPolicy
    if (opts.allowDetached !== undefined) this.repo.allowDetached = opts.allowDetached
    this.strategy = opts.strategy
    this.mempool = opts.mempool ?? new Mempool()
    this.tombs = new Tombstones(opts.tombstones ?? 65536, opts.tombstoneTtlMs ?? 3_600_000)
    this.db = this.repo.db
    this.s = this.db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' })
    this.t = this.db.sublevel('store-gc', { keyEncoding: 'view', valueEncoding: 'view' })
    this.sp = this.s.prefixKey(new Uint8Array(0), 'view') as Uint8Array
    this.tp = this.t.prefixKey(new Uint8Array(0), 'view') as Uint8Array
    this._sync = (this.s.supports as { getSync?: unknown }).getSync === true
    this.bare = viewDefault(this.db)
    this.stage = new Stage(this)
  }

  checkOpen (): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed')
  }

  checkLoaded (): void {
    this.checkOpen()
    if (!this.loaded) throw new StoreError('NotLoaded', 'store not ready, call load()')
  }

  /**
   * Runs application code (a rule) that runs under the lock, marking it for
   * {@link StoreCore.checkReentry}; `rule` is the application's function, scoped when `async`.
   */
  guard<T> (fn: () => T, rule?: unknown): T {
    this._userDepth++
    try {
      if (ruleScope === undefined || !isAsyncFunction(rule)) return fn()
      const scope: RuleScope = { core: this, active: true }
      const out = ruleScope.run(scope, fn)
      const end = (): void => { scope.active = false }
      if (typeof (out as { then?: unknown } | null)?.then === 'function') (out as PromiseLike<unknown>).then(end, end)
      else end()
      return out
    } finally {
      this._userDepth--
    }
  }

  /**
   * Refuses a call that would wait for the lock from inside a rule running under it (it would
   * wait for itself forever). Detects calls made synchronously by the rule and, where the
   * platform has async context, calls it makes after its awaits while it still runs.
   */
  checkReentry (what: string): void {
    const scope = ruleScope?.getStore()
    if (this._userDepth > 0 || (scope !== undefined && scope.active && scope.core === this)) {
      throw new StoreError('Reentrant', `${what}() called from inside a rule running under the store's lock (it would wait for itself)`)
    }
  }

  /** Runs a database read of a public method: `Closed` when the store is closed or closes meanwhile. */
  async read<T> (fn: () => Promise<T>): Promise<T> {
    this.checkOpen()
    try {
      return await fn()
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      if (this.closed && typeof code === 'string' && CLOSED_CODES.has(code)) {
        throw new StoreError('Closed', 'store is closed', { cause: err })
      }
      throw err
    }
  }

  remember (hid: string, l: Linked): void {
    if (this.chains.size >= CHAIN_CACHE) {
      const first = this.chains.keys().next().value
      if (first !== undefined) this.chains.delete(first)
    }
    this.chains.set(hid, l)
  }

  /** The keys of a collection (built once; never written to). */
  keysOf (owner: TxnOwner): OwnerKeys {
    let k = this._keys.get(owner)
    if (k === undefined) {
      k = { state: concat(this.sp, statePrefix(owner._nameBytes)), meta: concat(this.sp, metaKey(owner._nameBytes)) }
      this._keys.set(owner, k)
    }
    return k
  }

  private readonly _keys: Map<TxnOwner, OwnerKeys> = new Map()

  /** The meta record of a collection; `seq` = the acceptance position when it was written. */
  metaOp (m: Memory, version: number): BatchOp {
    return put(this.keysOf(m).meta, encodeMeta({ version, head: m.head ?? null, seq: this.seq }), this.bare)
  }

  /** The acceptance position, for batches that touch no meta. */
  lastSeqOp (): BatchOp {
    return putOp(this.sp, Uint8Array.of(K_LOG), u64(this.seq), this.bare)
  }

  /**
   * A point read of the 'store' sublevel: synchronous where the backend offers it
   * (memory-level, classic-level) and the database is open, which saves a thread-pool trip.
   */
  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    const s = this.s
    if (this._sync && s.status === 'open') return s.getSync(key)
    return await s.get(key)
  }

  /** Secondary index read, seeing the pending transaction, then the staged batch, first. */
  async lookup (owner: TxnOwner, key: Uint8Array | string, txn: Txn | undefined): Promise<Uint8Array | undefined> {
    const kb = typeof key === 'string' ? new TextEncoder().encode(key) : key
    if (txn !== undefined) {
      for (let i = txn.index.length - 1; i >= 0; i--) {
        const x = txn.index[i] as Txn['index'][number]
        if (x.owner === owner && bytesEqual(x.key, kb)) return x.blockId
      }
    }
    const staged = this.stage.indexed(owner, kb)
    if (staged !== undefined) return staged
    const v = await this.get(indexKey(owner._nameBytes, kb))
    return v === undefined ? undefined : new Uint8Array(v) // a plain Uint8Array, never a Buffer
  }

  /** `latch(root, id)` for expiresAt (depth limit LATCH_DEPTH → Infinity). */
  latch (txn: Txn | undefined, depth: number): Latch {
    return (root, rawId) => {
      const m = this.roots.get(root)
      if (m === undefined) throw new TypeError(`Cannot latch, memory ${root} does not exist`)
      if (depth >= LATCH_DEPTH) return Infinity
      const id = normalizeId(rawId)
      const e = txn !== undefined ? txn.read(m, id) : m._cache.get(id)
      if (e === undefined) return 0
      return m.expiresAt(e.value, this.latch(txn, depth + 1))
    }
  }
}

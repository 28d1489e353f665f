// The block store (spec/repo.md) on abstract-level, with the defects of gaps.md §R fixed.
import type { AbstractSublevel, AbstractSublevelOptions, AbstractBatchOperation, AbstractIteratorOptions } from 'abstract-level'
import { Block, FeedError, au8, cmp, feedFrom, isBlock, s2b } from '../feed/index.js'
import type { Feed, FeedInput } from '../feed/index.js'
import {
  MERGE_BATCH_BLOCKS, NS_BLOCK, NS_BLOCK_TO_CHAIN, NS_CHAIN_CHILDREN, NS_CHAIN_INFO, NS_HEAD,
  NS_LATEST, NS_OWNER_CHAINS, NS_REG, NS_TAIL, SUBLEVEL
} from './constants.js'
import { repoErr } from './errors.js'
import {
  decodeChain, decodeLocation, decodeU32, encodeChain, encodeLocation, keyStr, mkKey, prefixEnd, u32
} from './codec.js'
import type { BlockLocation, ChainInfo } from './codec.js'

/**
 * The part of an abstract-level database the repo uses. Any abstract-level database opened
 * with `keyEncoding: 'view'` and `valueEncoding: 'view'` fits (classic-level, browser-level,
 * memory-level); the repo keeps its keys in the `repo` sublevel of it.
 */
export interface RepoDb {
  /** abstract-level status. */
  readonly status: 'opening' | 'open' | 'closing' | 'closed'
  /** abstract-level manifest (`getSync` is used when present). */
  readonly supports: object
  /** abstract-level `db.get`. */
  get (key: Uint8Array, options: ViewOptions): Promise<Uint8Array | undefined>
  /** abstract-level `db.getSync` (abstract-level >= 3.1). */
  getSync? (key: Uint8Array, options: ViewOptions): Uint8Array | undefined
  /** abstract-level `db.iterator`. */
  iterator (options: AbstractIteratorOptions<Uint8Array, Uint8Array>): { all (): Promise<Array<[Uint8Array, Uint8Array]>> }
  /** Creates a sublevel (abstract-level `db.sublevel`). */
  sublevel (name: string, options: AbstractSublevelOptions<Uint8Array, Uint8Array>): RepoSublevel
  /** Commits operations atomically (abstract-level `db.batch`). */
  batch (operations: BatchOp[]): Promise<void>
  /** Closes the database. */
  close (): Promise<void>
}

/** Per-call encodings the repo passes to the root database. */
export interface ViewOptions { keyEncoding: 'view', valueEncoding: 'view' }

/** A `'view'`-encoded sublevel of the root database. */
// The storage format parameter differs between backends (string | Uint8Array | Buffer),
// and abstract-level's types use it contravariantly, so it cannot be narrowed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RepoSublevel = AbstractSublevel<any, any, Uint8Array, Uint8Array>

/** One operation of a root-database batch; repo operations target the repo's sublevel. */
export type BatchOp = AbstractBatchOperation<RepoDb, Uint8Array, Uint8Array>

/**
 * Decides whether a block that does not simply extend its owner's head (a fork, or an
 * owner's second genesis in the default mode) may be stored. Return true to accept.
 */
export type MergeStrategy = (block: Block, repo: Repo) => boolean | Promise<boolean>

/** Why {@link Repo.prepareBlock} did not accept a block. */
export type RefusalReason = 'Stored' | 'ParentNotFound' | 'Refused'

/** Outcome of {@link Repo.prepareBlock}. */
export type PrepareResult =
  | {
    accepted: true
    /** The operations that store the block; apply them with `repo.db.batch(ops)`. */
    ops: BatchOp[]
    /** Chain (branch) the block joins; a fork or genesis starts a chain with its own id. */
    chainId: Uint8Array
    /** 0-based distance of the block from its genesis. */
    height: number
    /** Genesis author of the block's root chain. */
    owner: Uint8Array
    /** Id of the root chain (the genesis signature). */
    root: Uint8Array
    /** True when the block starts a new branch off a block that is not a tip. */
    fork: boolean
  }
  | { accepted: false, reason: RefusalReason }

/** Result of {@link Repo.prepareRollback}. */
export interface RollbackPlan {
  /** The operations that remove the blocks and move the pointers; apply in one batch. */
  ops: BatchOp[]
  /** Blocks removed from the rolled-back chain, oldest first. */
  evicted: Feed
  /** Other branches removed because the block they forked from went (oldest first each). */
  orphans: Feed[]
}

/**
 * How far {@link Repo.loadFeed} walks back: a positive integer n loads at most n blocks;
 * a function is called for each block walking backwards, `abort()` excludes this block and
 * stops, `abort(true)` includes it and stops.
 */
export type LoadStop = number | ((block: Block, abort: (inclusive?: boolean) => void) => void)

/** One entry of a `list*` result: the stored key without its namespace, and its value. */
export interface ListEntry {
  /** Key material (public key, signature or chain id). */
  key: Uint8Array
  /** The stored value. */
  value: Uint8Array
}

/** Options of the {@link Repo} constructor. */
export interface RepoOptions {
  /** Start in detached mode (default false); see {@link Repo.allowDetached}. */
  allowDetached?: boolean
  /**
   * Who may extend an owner's chain without a strategy: `'any'` author (the default, as the
   * original's code does) or only the `'owner'` (what the original's comments claimed).
   */
  appendPolicy?: 'any' | 'owner'
}


const symRepo: unique symbol = Symbol.for('PicoRepo') as never
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const
const NOT_OPEN = new Set(['LEVEL_DATABASE_NOT_OPEN', 'LEVEL_ITERATOR_NOT_OPEN', 'LEVEL_BATCH_NOT_OPEN'])

// Pending writes: the batch under construction and an overlay that later reads consult
// first, so several blocks can be prepared before one write.
class Pending {
  // local key (as string) -> the write; a later write to the same key replaces the earlier,
  // so a batch of many blocks of one chain writes its HEAD, LATEST and chain record once.
  readonly map: Map<string, { key: Uint8Array, value: Uint8Array | null }> = new Map()
  blocks: number = 0
  readonly prefix: Uint8Array
  constructor (prefix: Uint8Array) { this.prefix = prefix }
  put (key: Uint8Array, value: Uint8Array): void { this.map.set(keyStr(key), { key, value }) }
  del (key: Uint8Array): void { this.map.set(keyStr(key), { key, value: null }) }
  get size (): number { return this.map.size }
  get ops (): BatchOp[] {
    const ops: BatchOp[] = []
    for (const { key, value } of this.map.values()) {
      const k = withPrefix(this.prefix, key)
      ops.push(value === null
        ? { type: 'del', key: k, keyEncoding: 'view' }
        : { type: 'put', key: k, value, keyEncoding: 'view', valueEncoding: 'view' })
    }
    return ops
  }

  clear (): void { this.map.clear(); this.blocks = 0 }
}

/** Options of {@link Repo.prepareBlock}. */
export interface PrepareOptions {
  /** Stage the operations here (the result's `ops` is then empty), see {@link Repo.stage}. */
  stage?: RepoStage
  /** The caller has just checked that the block is not stored: skip that read. */
  fresh?: boolean
}

/**
 * Operations of blocks prepared by {@link Repo.prepareBlock} with `{ stage }`, not yet written.
 * Later preparations read the staged pointers first. Writes to the same key are merged, so a
 * run of blocks of one chain writes its HEAD, LATEST and chain record once.
 */
export class RepoStage {
  /** @internal */
  readonly _p: Pending
  /**
   * Called before a merge strategy is consulted (strategies must see the repo as stored):
   * the owner of the stage commits `ops` and clears the stage here.
   */
  beforeStrategy: (() => Promise<void>) | undefined = undefined

  /** @internal use {@link Repo.stage} */
  constructor (prefix: Uint8Array) { this._p = new Pending(prefix) }

  /** The staged operations (root-database batch operations). */
  get ops (): BatchOp[] { return this._p.ops }

  /** Number of staged blocks. */
  get blocks (): number { return this._p.blocks }

  /** Number of staged writes. */
  get size (): number { return this._p.size }

  /** Drops everything staged (after a commit, or to abandon it). */
  clear (): void { this._p.clear() }
}

/**
 * Persistent store of signed blocks, indexed so that any chain can be re-assembled from any
 * of its blocks, each owner's current chain found, and "have I got this block", "which chain
 * and height", "who owns it" and "what is the tip" answered with one read each.
 *
 * Merge rule (spec/repo.md §4.1, gaps.md R5): a block is stored when it is new and
 * 1. its owner (the genesis author of its chain) has no HEAD yet, or
 * 2. it extends the owner's HEAD — whoever wrote it: any author may append to an owner's
 *    chain (the default is *not* "same key only"), or
 * 3. detached mode is on and it is a genesis or its parent is stored, or
 * 4. the owner's HEAD is an ancestor of it (fast-forward), or
 * 5. a strategy (the inline one, then the constructor's, in order) returns true.
 * Otherwise it is refused: forks and an owner's second genesis need a strategy or detached
 * mode. A block whose parent is not stored is never stored. Accepting moves HEAD(owner) and
 * LATEST(author) to the block. With `{ appendPolicy: 'owner' }` rules 2 and 4 hold only for
 * blocks written by the owner; blocks of other authors then need a strategy.
 *
 * @example
 * ```ts
 * const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
 * const repo = new Repo(db)
 * await repo.merge(feed)            // -> blocks written
 * const mine = await repo.loadHead(pk)
 * ```
 */
export class Repo {
  /** The root database (the store batches its own operations here). */
  readonly db: RepoDb
  /** Constructor strategies, consulted in order after the inline strategy. */
  readonly strategies: readonly MergeStrategy[]
  /**
   * Detached mode (experimental, default false): one owner may hold several independent
   * chains; chains are addressed by chain id. HEAD(owner) then follows the last accepted block.
   */
  allowDetached: boolean
  /** Who may extend an owner's chain without a strategy, see {@link RepoOptions.appendPolicy}. */
  readonly appendPolicy: 'any' | 'owner'
  /** The `repo` sublevel of {@link Repo.db} that holds the repo's keys. */
  readonly sublevel: RepoSublevel
  private readonly _prefix: Uint8Array
  private readonly _sync: boolean
  private _queue: Promise<unknown> = Promise.resolve()

  /**
   * @param db - root database opened with `'view'` key and value encodings
   * @param strategy - one merge strategy or an array of them
   * @param opts - options
   * @throws TypeError when `db` is not an abstract-level database or a strategy is not a function
   */
  constructor (db: RepoDb, strategy: MergeStrategy | readonly MergeStrategy[] = [], opts: RepoOptions = {}) {
    if (typeof db !== 'object' || db === null || typeof (db as { sublevel?: unknown }).sublevel !== 'function') {
      throw new TypeError('"db" expected an abstract-level database')
    }
    const list = typeof strategy === 'function' ? [strategy] : strategy
    if (!Array.isArray(list)) throw new TypeError('"strategy" expected a function or an array of functions')
    for (const s of list) if (typeof s !== 'function') throw new TypeError('"strategy" expected a function or an array of functions')
    this.db = db
    this.strategies = [...list]
    this.allowDetached = opts.allowDetached === true
    if (opts.appendPolicy !== undefined && opts.appendPolicy !== 'any' && opts.appendPolicy !== 'owner') {
      throw new TypeError('"appendPolicy" expected \'any\' or \'owner\'')
    }
    this.appendPolicy = opts.appendPolicy ?? 'any'
    this.sublevel = db.sublevel(SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    // Reads and writes go to the root database with the sublevel's prefix: the same keys,
    // without the sublevel's per-call overhead.
    this._sync = (db.supports as { getSync?: unknown }).getSync === true
    this._prefix = this.sublevel.prefixKey(new Uint8Array(0), 'view') as Uint8Array
  }

  /** True when `x` carries the Repo brand (works across copies of the library). */
  static isRepo (x: unknown): x is Repo {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[symRepo] === true
  }

  // ---------------------------------------------------------------- indexed lookups

  /**
   * Is the block stored? One read of a small index entry; the block is not read or parsed.
   *
   * @param id - block signature
   * @returns whether the block is stored
   * @throws RepoError `Closed`
   */
  async hasBlock (id: Uint8Array): Promise<boolean> {
    au8(id, 64, 'id')
    return this._run(() => this._dbHas(mkKey(NS_BLOCK_TO_CHAIN, id)))
  }

  /**
   * Where a stored block sits. One read.
   *
   * @param id - block signature
   * @returns chain id, 0-based height and owner, or undefined when not stored
   * @throws RepoError `Closed`, `CorruptIndex`
   */
  async chainOf (id: Uint8Array): Promise<BlockLocation | undefined> {
    au8(id, 64, 'id')
    return this._run(() => this._loc(id))
  }

  /**
   * Genesis author of the chain that holds block `id`. One read.
   *
   * @param id - block signature
   * @returns the owner's public key, or undefined when the block is not stored
   * @throws RepoError `Closed`
   */
  async ownerOf (id: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.chainOf(id))?.owner
  }

  /**
   * A stored chain (branch): owner, tip, height, root. One read.
   *
   * @param chainId - the chain id (genesis signature, or the first block of a fork)
   * @returns the chain, or undefined when unknown
   * @throws RepoError `Closed`
   */
  async chainInfo (chainId: Uint8Array): Promise<ChainInfo | undefined> {
    au8(chainId, 64, 'chainId')
    return this._run(() => this._chain(chainId))
  }

  /**
   * Current tip of a chain. One read.
   *
   * @param chainId - the chain id
   * @returns the tip's signature, or undefined when the chain is unknown
   * @throws RepoError `Closed`
   */
  async tipOf (chainId: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.chainInfo(chainId))?.tip
  }

  /**
   * HEAD of an owner: the tip of the chain tracked for that owner.
   *
   * @param pk - owner public key
   * @param stage - also see the blocks prepared on this stage and not yet written
   * @returns the tip signature, or undefined
   * @throws RepoError `Closed`
   */
  async headOf (pk: Uint8Array, stage?: RepoStage): Promise<Uint8Array | undefined> {
    return this._pointer(NS_HEAD, pk, stage?._p)
  }

  /**
   * TAIL of an author: the genesis block that author wrote most recently.
   *
   * @param pk - author public key
   * @returns the genesis signature, or undefined
   * @throws RepoError `Closed`
   */
  async tailOf (pk: Uint8Array): Promise<Uint8Array | undefined> {
    return this._pointer(NS_TAIL, pk)
  }

  /**
   * LATEST of an author: the last block that author wrote, in whichever chain.
   *
   * @param pk - author public key
   * @returns the block signature, or undefined
   * @throws RepoError `Closed`
   */
  async latestOf (pk: Uint8Array): Promise<Uint8Array | undefined> {
    return this._pointer(NS_LATEST, pk)
  }

  /**
   * Reads a stored block (two reads: its location, then its bytes). The block was verified
   * before it was stored, so it comes back marked verified.
   *
   * @param id - block signature
   * @returns the block, or undefined when not stored
   * @throws RepoError `Closed`, `CorruptIndex`
   */
  async readBlock (id: Uint8Array): Promise<Block | undefined> {
    au8(id, 64, 'id')
    return this._run(async () => {
      const loc = await this._loc(id)
      if (loc === undefined) return undefined
      const v = await this._dbGet(mkKey(NS_BLOCK, loc.chainId, u32(loc.height)))
      if (v === undefined) throw repoErr('CorruptIndex', 'indexed block is missing')
      const b = toBlock(v)
      if (!cmp(b.sig, id)) throw repoErr('CorruptIndex', 'block index points at another block')
      return b
    })
  }

  // ---------------------------------------------------------------- writing

  /**
   * Decides whether `block` can be stored and returns the operations that store it, without
   * writing anything. Apply `ops` (with any of your own) in one `repo.db.batch(ops)` before
   * preparing the next block. A block that is not yet verified is verified here, after the
   * cheap checks. Not serialised with `merge`/`rollback`: the caller orders its own calls.
   *
   * @param block - the block
   * @param strategy - inline strategy, consulted before the constructor's
   * @returns accepted with ops and location, or refused with a reason
   * @throws FeedError `SignatureVerificationFailed` for an unverified block with a bad
   *   signature; RepoError `Closed`
   */
  async prepareBlock (block: Block, strategy?: MergeStrategy, opts: PrepareOptions = {}): Promise<PrepareResult> {
    if (!isBlock(block)) throw new TypeError('"block" expected a Block')
    const stage = opts.stage
    if (stage !== undefined && !(stage instanceof RepoStage)) throw new TypeError('"opts.stage" expected a RepoStage from repo.stage()')
    return this._run(async () => {
      if (stage !== undefined) {
        const r = await this._prepare(block, strategy, stage._p, stage.beforeStrategy, opts.fresh === true)
        if (r.accepted) stage._p.blocks++
        return r.accepted ? { ...r, ops: [] } : r
      }
      const p = new Pending(this._prefix)
      const r = await this._prepare(block, strategy, p, undefined, opts.fresh === true)
      return r.accepted ? { ...r, ops: p.ops } : r
    })
  }

  /**
   * A staging area for {@link Repo.prepareBlock}: several blocks are prepared into it, each
   * seeing the pointers of the blocks staged before it, and the caller commits `stage.ops`
   * (with its own) in one `repo.db.batch`, then calls `stage.clear()`. A batch holding several
   * whole blocks is as atomic as one per block.
   *
   * @returns an empty stage bound to this repo
   * @example
   * ```ts
   * const stage = repo.stage()
   * for (const b of feed.blocks) await repo.prepareBlock(b, undefined, { stage })
   * await repo.db.batch(stage.ops); stage.clear()
   * ```
   */
  stage (): RepoStage {
    return new RepoStage(this._prefix)
  }

  /**
   * Stores the blocks of a feed (spec/repo.md §4.1) and moves the pointers. Blocks already
   * stored are skipped (re-merging is idempotent); the merge stops at the first block that is
   * refused. Accepted blocks are written in batches, each block with all its pointers, so a
   * crash never leaves a block without its indices.
   *
   * @param input - a Feed (taken as is), Block, Block[] or bytes (signatures are checked)
   * @param strategy - inline strategy for this merge
   * @returns the number of blocks written
   * @throws RepoError `UnknownChain` when the feed is partial and its parent is not stored
   *   (nothing is written); `Closed`. FeedError on bad bytes.
   */
  async merge (input: FeedInput, strategy?: MergeStrategy): Promise<number> {
    if (strategy !== undefined && typeof strategy !== 'function') throw new TypeError('"strategy" expected a function')
    const feed = feedFrom(input)
    const first = feed.first
    if (first === undefined) return 0
    return this._exclusive(async () => {
      if (first.psig !== undefined && !(await this._dbHas(mkKey(NS_BLOCK_TO_CHAIN, first.psig))) &&
        !(await this._dbHas(mkKey(NS_BLOCK_TO_CHAIN, first.sig)))) {
        throw repoErr('UnknownChain', 'the feed is partial and its parent is not stored')
      }
      const p = new Pending(this._prefix)
      const flush = async (): Promise<void> => {
        if (p.size > 0) await this.db.batch(p.ops)
        p.clear()
      }
      let written = 0
      // Stored blocks form a prefix of any chain (a block is stored only after its parent, and
      // rollback removes descendants too), so after the first new block no check is needed.
      let fresh = false
      for (const block of feed.blocks) {
        const r = await this._prepare(block, strategy, p, flush, fresh)
        fresh = r.accepted
        if (r.accepted) {
          written++
          if (++p.blocks >= MERGE_BATCH_BLOCKS) await flush()
        } else if (r.reason !== 'Stored') {
          break
        }
      }
      await flush()
      return written
    })
  }

  private async _prepare (
    block: Block, inline: MergeStrategy | undefined, p: Pending, beforeStrategy?: () => Promise<void>, fresh = false
  ): Promise<Exclude<PrepareResult, { accepted: true }> | Omit<Extract<PrepareResult, { accepted: true }>, 'ops'>> {
    const id = block.sig
    const g = (k: Uint8Array): Promise<Uint8Array | undefined> => this._get(k, p)
    if (!fresh && await this._has(mkKey(NS_BLOCK_TO_CHAIN, id), p)) return { accepted: false, reason: 'Stored' }
    let ploc: BlockLocation | undefined
    let pchain: ChainInfo | undefined
    let owner: Uint8Array
    if (block.psig === undefined) {
      owner = block.key
    } else {
      const v = await g(mkKey(NS_BLOCK_TO_CHAIN, block.psig))
      if (v === undefined) return { accepted: false, reason: 'ParentNotFound' }
      ploc = decodeLocation(v)
      owner = ploc.owner
      pchain = await this._chain(ploc.chainId, p)
      if (pchain === undefined) throw repoErr('CorruptIndex', 'block of an unknown chain')
    }
    const head = await g(mkKey(NS_HEAD, owner))
    const allowed = this.appendPolicy === 'any' || cmp(block.key, owner)
    let ok = head === undefined ||
      (allowed && block.psig !== undefined && cmp(head, block.psig)) ||
      this.allowDetached ||
      (allowed && ploc !== undefined && await this._isAncestor(head, ploc, p))
    if (!ok) {
      if (beforeStrategy !== undefined) await beforeStrategy() // strategies see the repo as it is
      for (const s of inline === undefined ? this.strategies : [inline, ...this.strategies]) {
        if (await s(block, this)) { ok = true; break }
      }
      if (!ok) return { accepted: false, reason: 'Refused' }
    }
    if (!block._verified && !block.verify()) throw new FeedError('SignatureVerificationFailed', 'block has a bad signature')

    let info: ChainInfo
    let fork = false
    if (ploc === undefined || pchain === undefined) {
      info = { chainId: id, owner, tip: id, height: 0, start: 0, root: id, parent: undefined }
      p.put(mkKey(NS_TAIL, block.key), id)
    } else if (cmp(pchain.tip, block.psig as Uint8Array)) {
      info = { ...pchain, tip: id, height: ploc.height + 1 }
    } else {
      fork = true
      const height = ploc.height + 1
      info = { chainId: id, owner, tip: id, height, start: height, root: pchain.root, parent: block.psig }
      p.put(mkKey(NS_CHAIN_CHILDREN, ploc.chainId, id), u32(height))
    }
    if (info.start === info.height) p.put(mkKey(NS_OWNER_CHAINS, owner, id), u32(info.start))
    p.put(mkKey(NS_BLOCK, info.chainId, u32(info.height)), block.buffer.slice())
    p.put(mkKey(NS_BLOCK_TO_CHAIN, id), encodeLocation(info.chainId, info.height, owner))
    p.put(mkKey(NS_CHAIN_INFO, info.chainId), encodeChain(info))
    p.put(mkKey(NS_HEAD, owner), id)
    p.put(mkKey(NS_LATEST, block.key), id)
    return { accepted: true, chainId: info.chainId, height: info.height, owner, root: info.root, fork }
  }

  // Is block `head` an ancestor of (or equal to) the block at `loc`? Walks chains, not blocks.
  private async _isAncestor (head: Uint8Array, loc: BlockLocation, p: Pending): Promise<boolean> {
    const v = await this._get(mkKey(NS_BLOCK_TO_CHAIN, head), p)
    if (v === undefined) return false
    const h = decodeLocation(v)
    let cur = loc
    for (;;) {
      if (cmp(cur.chainId, h.chainId)) return h.height <= cur.height
      const c = await this._chain(cur.chainId, p)
      if (c?.parent === undefined) return false
      const pv = await this._get(mkKey(NS_BLOCK_TO_CHAIN, c.parent), p)
      if (pv === undefined) return false
      cur = decodeLocation(pv)
    }
  }

  // ---------------------------------------------------------------- reading chains

  /**
   * Loads the chain that ends at block `ptr`, walking back towards genesis (spec/repo.md
   * §4.4). Each chain segment is read with one range scan, not block by block. Blocks come
   * back marked verified (they were verified before they were stored).
   *
   * @param ptr - signature of the newest block to load
   * @param stop - block limit or per-block callback, see {@link LoadStop}
   * @returns the blocks oldest first, or undefined when `ptr` is not stored (or nothing was loaded)
   * @throws RepoError `ParentNotFound` when the chain is broken; `Closed`
   */
  async loadFeed (ptr: Uint8Array, stop?: LoadStop): Promise<Feed | undefined> {
    au8(ptr, 64, 'ptr')
    if (typeof stop === 'number' && (!Number.isInteger(stop) || stop < 1)) throw new RangeError(`"stop" expected a positive integer, got ${stop}`)
    if (stop !== undefined && typeof stop !== 'number' && typeof stop !== 'function') throw new TypeError('"stop" expected a number or a function')
    return this._run(async () => {
      const blocks = await this._walk(ptr, stop)
      return blocks.length === 0 ? undefined : feedFrom(blocks.reverse(), true)
    })
  }

  /**
   * The chain tracked for an owner: `loadFeed(HEAD(pk), stop)`. It may end with blocks
   * appended by other authors.
   *
   * @param pk - owner public key
   * @param stop - see {@link LoadStop}
   * @returns the feed, or undefined when the owner has no HEAD
   * @throws RepoError `ParentNotFound`, `Closed`
   */
  async loadHead (pk: Uint8Array, stop?: LoadStop): Promise<Feed | undefined> {
    const head = await this.headOf(pk)
    return head === undefined ? undefined : this.loadFeed(head, stop)
  }

  /**
   * The chain holding the author's last block, up to that block: `loadFeed(LATEST(pk), stop)`.
   *
   * @param pk - author public key
   * @param stop - see {@link LoadStop}
   * @returns the feed, or undefined when the author has no LATEST
   * @throws RepoError `ParentNotFound`, `Closed`
   */
  async loadLatest (pk: Uint8Array, stop?: LoadStop): Promise<Feed | undefined> {
    const latest = await this.latestOf(pk)
    return latest === undefined ? undefined : this.loadFeed(latest, stop)
  }

  /**
   * The whole chain holding block `sig`, from genesis to the tip of the block's branch
   * (spec/repo.md §4.8). The tip is found with one index read, not a walk.
   *
   * @param sig - any stored block (or a chain id)
   * @param stop - see {@link LoadStop}, applied walking back from the tip
   * @returns the feed
   * @throws RepoError `FeedNotFound` when the block is not stored; `ParentNotFound`, `Closed`
   */
  async resolveFeed (sig: Uint8Array, stop?: LoadStop): Promise<Feed> {
    au8(sig, 64, 'sig')
    const loc = await this.chainOf(sig)
    const tip = loc === undefined ? undefined : await this.tipOf(loc.chainId)
    const feed = tip === undefined ? undefined : await this.loadFeed(tip, stop)
    if (feed === undefined) throw repoErr('FeedNotFound', 'no stored chain holds this block')
    return feed
  }

  /**
   * Backward iteration from block `sig` towards genesis, newest first (spec/repo.md §4.6).
   * Ends silently when `sig` is not stored.
   *
   * @param sig - the block to start from
   * @returns an async iterator of blocks
   * @throws RepoError `ParentNotFound` when the chain is broken
   */
  async * chainload (sig: Uint8Array): AsyncGenerator<Block, void, undefined> {
    au8(sig, 64, 'sig')
    let loc = await this._run(() => this._loc(sig))
    let expect: Uint8Array | undefined = sig
    while (loc !== undefined && expect !== undefined) {
      const info = await this._run(() => this._chain(loc!.chainId))
      if (info === undefined) throw repoErr('ParentNotFound', 'chain index missing')
      const segment = await this._segment(loc.chainId, info.start, loc.height, undefined)
      for (const b of segment) {
        if (!cmp(b.sig, expect as Uint8Array)) throw repoErr('ParentNotFound', 'a block of the chain is missing')
        yield b
        expect = b.psig
      }
      if (expect === undefined) return
      loc = await this._run(() => this._loc(expect!))
      if (loc === undefined) throw repoErr('ParentNotFound', 'a parent block is missing')
    }
  }

  // Blocks from `ptr` back, newest first, one range scan per chain segment.
  private async _walk (ptr: Uint8Array, stop: LoadStop | undefined): Promise<Block[]> {
    const out: Block[] = []
    const limit = typeof stop === 'number' ? stop : Infinity
    const fn = typeof stop === 'function' ? stop : undefined
    let loc = await this._loc(ptr)
    let expect: Uint8Array | undefined = ptr
    while (loc !== undefined) {
      const info = await this._chain(loc.chainId)
      if (info === undefined) throw repoErr('ParentNotFound', 'chain index missing')
      const want = Math.min(loc.height - info.start + 1, limit - out.length)
      const segment = await this._segment(loc.chainId, loc.height - want + 1, loc.height, undefined)
      if (segment.length !== want) throw repoErr('ParentNotFound', 'a block of the chain is missing')
      for (const b of segment) {
        if (!cmp(b.sig, expect as Uint8Array)) throw repoErr('ParentNotFound', 'a block of the chain is missing')
        if (fn !== undefined) {
          let act = 0
          fn(b, (inclusive = false) => { act = inclusive ? 2 : 1 })
          if (act === 1) return out
          out.push(b)
          if (act === 2) return out
        } else {
          out.push(b)
        }
        expect = b.psig
      }
      if (expect === undefined || out.length >= limit) return out
      loc = await this._loc(expect)
      if (loc === undefined) throw repoErr('ParentNotFound', 'a parent block is missing')
    }
    return out
  }

  // Blocks of chain `chainId` at heights [from, to], newest first.
  private async _segment (chainId: Uint8Array, from: number, to: number, limit: number | undefined): Promise<Block[]> {
    if (to < from) return []
    const rows = await this._range(mkKey(NS_BLOCK, chainId, u32(from)), mkKey(NS_BLOCK, chainId, u32(to + 1)), true, limit)
    return rows.map(r => toBlock(r[1]))
  }

  // ---------------------------------------------------------------- rollback

  /**
   * Plans the removal of the newest part of a chain (or all of it) without writing anything
   * (spec/repo.md §4.9 with gaps.md R6): the blocks after `stopAt` go, and with them every
   * branch that forked off a removed block. HEAD, TAIL and LATEST pointers that pointed at a
   * removed block are moved to the nearest remaining block (LATEST: the newest remaining block
   * of that author on the rolled-back chain, else on the author's own head chain; HEAD: the
   * remaining tip, else another chain of the owner; TAIL: another genesis of the author), and
   * deleted only when there is none.
   *
   * @param head - an owner's public key (32 bytes: rolls back its HEAD chain) or any block or
   *   chain id (64 bytes: rolls back that block's branch from its tip), in either mode
   * @param stopAt - newest block to keep; without it the whole chain goes
   * @returns the operations and the removed blocks, or null when there is nothing to remove
   * @throws RepoError `ReferenceNotFound` when `stopAt` is not on the chain; `Closed`
   */
  async prepareRollback (head: Uint8Array, stopAt?: Uint8Array): Promise<RollbackPlan | null> {
    au8(head, 0, 'head')
    if (head.length !== 32 && head.length !== 64) throw new RangeError(`"head" expected 32 or 64 bytes, got ${head.length}`)
    if (stopAt !== undefined) au8(stopAt, 64, 'stopAt')
    return this._run(() => this._planRollback(head, stopAt))
  }

  /**
   * Removes the newest part of a chain or all of it in one batch; see {@link Repo.prepareRollback}.
   *
   * @param head - owner public key or a block / chain id
   * @param stopAt - newest block to keep
   * @returns the removed blocks of the chain (oldest first), or null when nothing was removed
   * @throws RepoError `ReferenceNotFound`, `Closed`
   */
  async rollback (head: Uint8Array, stopAt?: Uint8Array): Promise<Feed | null> {
    au8(head, 0, 'head')
    if (head.length !== 32 && head.length !== 64) throw new RangeError(`"head" expected 32 or 64 bytes, got ${head.length}`)
    if (stopAt !== undefined) au8(stopAt, 64, 'stopAt')
    return this._exclusive(async () => {
      const plan = await this._planRollback(head, stopAt)
      if (plan === null) return null
      await this.db.batch(plan.ops)
      return plan.evicted
    })
  }

  private async _planRollback (head: Uint8Array, stopAt: Uint8Array | undefined): Promise<RollbackPlan | null> {
    let tip: Uint8Array | undefined
    if (head.length === 32) {
      tip = await this._dbGet(mkKey(NS_HEAD, head))
    } else {
      const loc = await this._loc(head)
      tip = loc === undefined ? undefined : (await this._chain(loc.chainId))?.tip
    }
    if (tip === undefined) return null
    const stopLoc = stopAt === undefined ? undefined : await this._loc(stopAt)
    if (stopAt !== undefined && stopLoc === undefined) throw repoErr('ReferenceNotFound', '"stopAt" is not stored')

    // 1. The path from the tip back to stopAt, chain by chain: chain -> lowest evicted height.
    const plan = new Map<string, { info: ChainInfo, from: number }>()
    let loc = await this._loc(tip)
    if (loc === undefined) return null
    let entry = loc.height // height at which the path enters the current chain
    let cid = loc.chainId
    for (;;) {
      const info = await this._chain(cid)
      if (info === undefined) throw repoErr('CorruptIndex', 'chain index missing')
      if (stopLoc !== undefined && cmp(stopLoc.chainId, cid)) {
        if (stopLoc.height > entry) throw repoErr('ReferenceNotFound', '"stopAt" is not on the chain')
        if (stopLoc.height < entry) plan.set(keyStr(cid), { info, from: stopLoc.height + 1 })
        break
      }
      plan.set(keyStr(cid), { info, from: info.start })
      if (info.parent === undefined) {
        if (stopLoc !== undefined) throw repoErr('ReferenceNotFound', '"stopAt" is not on the chain')
        break
      }
      loc = await this._loc(info.parent)
      if (loc === undefined) throw repoErr('ParentNotFound', 'the parent of a branch is missing')
      entry = loc.height
      cid = loc.chainId
    }
    if (plan.size === 0) return null

    // 2. Close over descendants: branches forking off an evicted block go too.
    const queue = [...plan.values()]
    while (queue.length > 0) {
      const { info, from } = queue.pop()!
      const kids = await this._prefixed(mkKey(NS_CHAIN_CHILDREN, info.chainId))
      for (const [k, v] of kids) {
        const child = k.subarray(65, 129)
        if (decodeU32(v) <= from) continue
        const known = plan.get(keyStr(child))
        const cinfo = known?.info ?? await this._chain(child)
        if (cinfo === undefined) throw repoErr('CorruptIndex', 'child chain missing')
        if (known !== undefined && known.from <= cinfo.start) continue
        const e = { info: cinfo, from: cinfo.start }
        plan.set(keyStr(child), e)
        queue.push(e)
      }
    }

    // 3. Load what goes, chain by chain; write the chain index changes.
    const p = new Pending(this._prefix)
    const evictedIds = new Set<string>()
    const byChain = new Map<string, Block[]>() // newest first
    const newTips = new Map<string, Uint8Array | undefined>()
    const owners = new Map<string, Uint8Array>()
    for (const [ck, { info, from }] of plan) {
      const blocks = await this._segment(info.chainId, from, info.height, undefined)
      if (blocks.length !== info.height - from + 1) throw repoErr('ParentNotFound', 'a block of the chain is missing')
      byChain.set(ck, blocks)
      owners.set(keyStr(info.owner), info.owner)
      for (const b of blocks) {
        evictedIds.add(keyStr(b.sig))
        p.del(mkKey(NS_BLOCK_TO_CHAIN, b.sig))
      }
      for (let h = from; h <= info.height; h++) p.del(mkKey(NS_BLOCK, info.chainId, u32(h)))
      if (from <= info.start) {
        newTips.set(ck, undefined)
        p.del(mkKey(NS_CHAIN_INFO, info.chainId))
        p.del(mkKey(NS_OWNER_CHAINS, info.owner, info.chainId))
        if (info.parent !== undefined) {
          const pl = await this._loc(info.parent)
          if (pl !== undefined) p.del(mkKey(NS_CHAIN_CHILDREN, pl.chainId, info.chainId))
        }
      } else {
        const newTip = (blocks[blocks.length - 1] as Block).psig as Uint8Array
        newTips.set(ck, newTip)
        p.put(mkKey(NS_CHAIN_INFO, info.chainId), encodeChain({ ...info, tip: newTip, height: from - 1 }))
      }
    }

    // The evicted path (tip back to stopAt) and the other removed segments.
    const all = new Map<string, Block>()
    for (const blocks of byChain.values()) for (const b of blocks) all.set(keyStr(b.sig), b)
    const path: Block[] = []
    for (let b = all.get(keyStr(tip)); b !== undefined; b = b.psig === undefined ? undefined : all.get(keyStr(b.psig))) {
      path.push(b)
      all.delete(keyStr(b.sig))
    }
    const orphans: Feed[] = []
    for (const blocks of byChain.values()) {
      const rest = blocks.filter(b => all.has(keyStr(b.sig)))
      if (rest.length > 0) orphans.push(feedFrom(rest.reverse(), true))
    }

    // 4. Relocate pointers that pointed at removed blocks (gaps.md R6).
    const gone = (x: Uint8Array | undefined): boolean => x !== undefined && evictedIds.has(keyStr(x))
    const remainingTipOf = async (chainId: Uint8Array): Promise<Uint8Array | undefined> => {
      const ck = keyStr(chainId)
      if (newTips.has(ck)) return newTips.get(ck)
      return (await this._chain(chainId))?.tip
    }
    const ownerChains = async (owner: Uint8Array): Promise<Array<[Uint8Array, number]>> => {
      const rows = await this._prefixed(mkKey(NS_OWNER_CHAINS, owner))
      return rows.map(([k, v]) => [k.slice(33, 97), decodeU32(v)])
    }
    const heads = new Map<string, Uint8Array | undefined>()
    for (const [ok, owner] of owners) {
      const cur = await this._dbGet(mkKey(NS_HEAD, owner))
      if (!gone(cur)) continue
      let next: Uint8Array | undefined
      if (stopLoc !== undefined && cmp(stopLoc.owner, owner)) next = await remainingTipOf(stopLoc.chainId)
      for (const [chainId] of next === undefined ? await ownerChains(owner) : []) {
        next = await remainingTipOf(chainId)
        if (next !== undefined) break
      }
      heads.set(ok, next)
      if (next === undefined) p.del(mkKey(NS_HEAD, owner))
      else p.put(mkKey(NS_HEAD, owner), next)
    }
    const authors = new Map<string, Uint8Array>()
    for (const b of [...path, ...orphans.flatMap(f => f.blocks)]) {
      authors.set(keyStr(b.key), b.key)
      const tail = b.genesis ? await this._dbGet(mkKey(NS_TAIL, b.key)) : undefined
      if (tail !== undefined && cmp(tail, b.sig)) {
        let next: Uint8Array | undefined
        for (const [chainId, start] of await ownerChains(b.key)) {
          if (start === 0 && !gone(chainId)) { next = chainId; break }
        }
        if (next === undefined) p.del(mkKey(NS_TAIL, b.key))
        else p.put(mkKey(NS_TAIL, b.key), next)
      }
    }
    const lost = new Map<string, Uint8Array>()
    for (const [ak, pk] of authors) if (gone(await this._dbGet(mkKey(NS_LATEST, pk)))) lost.set(ak, pk)
    if (lost.size > 0) {
      const starts: Uint8Array[] = []
      if (stopAt !== undefined) starts.push(stopAt)
      for (const ak of lost.keys()) {
        const h = heads.has(ak) ? heads.get(ak) : await this._dbGet(mkKey(NS_HEAD, lost.get(ak) as Uint8Array))
        if (h !== undefined && !gone(h)) starts.push(h)
      }
      const found = new Map<string, Uint8Array>()
      for (const s of starts) {
        if (found.size === lost.size) break
        for await (const b of this.chainload(s)) {
          const ak = keyStr(b.key)
          if (lost.has(ak) && !found.has(ak)) found.set(ak, b.sig.slice())
          if (found.size === lost.size) break
        }
      }
      for (const [ak, pk] of lost) {
        const next = found.get(ak)
        if (next === undefined) p.del(mkKey(NS_LATEST, pk))
        else p.put(mkKey(NS_LATEST, pk), next)
      }
    }
    return { ops: p.ops, evicted: feedFrom(path.reverse(), true), orphans }
  }

  // ---------------------------------------------------------------- listing and registry

  /** HEAD pointers: owner pk -> tip sig (spec/repo.md §2.2). @throws RepoError `Closed` */
  async listHeads (): Promise<ListEntry[]> { return this._list(NS_HEAD) }
  /** TAIL pointers: author pk -> genesis sig. @throws RepoError `Closed` */
  async listTails (): Promise<ListEntry[]> { return this._list(NS_TAIL) }
  /** LATEST pointers: author pk -> sig. @throws RepoError `Closed` */
  async listLatest (): Promise<ListEntry[]> { return this._list(NS_LATEST) }

  /** Chains by tip: tip sig -> chain id (one entry per chain, ordered by chain id). @throws RepoError `Closed` */
  async listFeeds (): Promise<ListEntry[]> {
    return (await this.listChains()).map(c => ({ key: c.tip, value: c.chainId }))
  }

  /** Chains by id: chain id -> tip sig. @throws RepoError `Closed` */
  async listFeedHeads (): Promise<ListEntry[]> {
    return (await this.listChains()).map(c => ({ key: c.chainId, value: c.tip }))
  }

  /**
   * Every stored chain (branch), or those of one owner.
   *
   * @param owner - only this owner's chains (a prefix scan of the owner index)
   * @returns chain records ordered by chain id
   * @throws RepoError `Closed`
   */
  async listChains (owner?: Uint8Array): Promise<ChainInfo[]> {
    if (owner === undefined) {
      const rows = await this._list(NS_CHAIN_INFO)
      return rows.map(r => decodeChain(r.key, r.value))
    }
    au8(owner, 32, 'owner')
    return this._run(async () => {
      const rows = await this._prefixed(mkKey(NS_OWNER_CHAINS, owner))
      const out: ChainInfo[] = []
      for (const [k] of rows) {
        const c = await this._chain(k.slice(33, 97))
        if (c !== undefined) out.push(c)
      }
      return out
    })
  }

  /**
   * Reads an application registry value.
   *
   * @param key - bytes, or a string (UTF-8 encoded; hex is not guessed)
   * @returns the value, or undefined
   * @throws RepoError `Closed`
   */
  async readReg (key: Uint8Array | string): Promise<Uint8Array | undefined> {
    const k = Repo.regKey(key)
    return this._run(async () => view(await this._dbGet(k)))
  }

  /**
   * Writes an application registry value.
   *
   * @param key - bytes or a UTF-8 string
   * @param value - bytes or a UTF-8 string
   * @throws RepoError `Closed`
   */
  async writeReg (key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    await this._run(() => this.db.batch([this.regOp(key, value)]))
  }

  /**
   * The batch operation that writes (or, with `value` undefined, deletes) a registry value,
   * to be committed with other operations in one `repo.db.batch`.
   *
   * @param key - bytes or a UTF-8 string
   * @param value - bytes or a UTF-8 string; undefined deletes
   * @returns the operation
   */
  regOp (key: Uint8Array | string, value: Uint8Array | string | undefined): BatchOp {
    const k = Repo.regKey(key)
    const p = new Pending(this._prefix)
    if (value === undefined) p.del(k)
    else p.put(k, typeof value === 'string' ? s2b(value) : au8(value, 0, 'value'))
    return p.ops[0] as BatchOp
  }

  /** Closes the database (idempotent). */
  async close (): Promise<void> {
    await this._queue
    await this.db.close()
  }

  private async _list (ns: number): Promise<ListEntry[]> {
    return this._run(async () => {
      const rows = await this._prefixed(new Uint8Array([ns]))
      return rows.map(([k, v]) => ({ key: k.slice(1), value: view(v) as Uint8Array }))
    })
  }

  // ---------------------------------------------------------------- internals

  private async _run<T> (fn: () => Promise<T>): Promise<T> {
    const s = this.db.status
    if (s === 'closing' || s === 'closed') throw repoErr('Closed', 'the database is not open')
    try {
      return await fn()
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code
      if (typeof code === 'string' && NOT_OPEN.has(code)) throw repoErr('Closed', 'the database is not open', e)
      throw e
    }
  }

  // Serialises the repo's own read-modify-write operations (merge, rollback).
  private _exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this._queue.then(() => this._run(fn))
    this._queue = run.catch(() => undefined)
    return run
  }

  // Point read of a local key; synchronous where the backend offers it (memory-level,
  // classic-level), which avoids an event-loop turn per read.
  private async _dbGet (key: Uint8Array): Promise<Uint8Array | undefined> {
    const db = this.db
    const fk = withPrefix(this._prefix, key)
    if (this._sync && db.status === 'open' && db.getSync !== undefined) return db.getSync(fk, VIEW)
    return db.get(fk, VIEW)
  }

  private async _dbHas (key: Uint8Array): Promise<boolean> {
    return (await this._dbGet(key)) !== undefined
  }

  // Entries with local keys in [gte, lt), local keys returned.
  private async _range (gte: Uint8Array, lt: Uint8Array, reverse = false, limit?: number): Promise<Array<[Uint8Array, Uint8Array]>> {
    const rows = await this.db.iterator({
      gte: withPrefix(this._prefix, gte),
      lt: withPrefix(this._prefix, lt),
      reverse,
      limit: limit ?? -1,
      keyEncoding: 'view',
      valueEncoding: 'view'
    }).all()
    const n = this._prefix.length
    return rows.map(([k, v]) => [k.subarray(n), v])
  }

  private async _prefixed (prefix: Uint8Array): Promise<Array<[Uint8Array, Uint8Array]>> {
    return this._range(prefix, prefixEnd(prefix))
  }

  private async _get (key: Uint8Array, p?: Pending): Promise<Uint8Array | undefined> {
    if (p !== undefined && p.map.size > 0) {
      const v = p.map.get(keyStr(key))
      if (v !== undefined) return v.value ?? undefined
    }
    return this._dbGet(key)
  }

  private async _has (key: Uint8Array, p?: Pending): Promise<boolean> {
    if (p !== undefined && p.map.size > 0) {
      const v = p.map.get(keyStr(key))
      if (v !== undefined) return v.value !== null
    }
    return this._dbHas(key)
  }

  private async _loc (id: Uint8Array, p?: Pending): Promise<BlockLocation | undefined> {
    const v = await this._get(mkKey(NS_BLOCK_TO_CHAIN, id), p)
    return v === undefined ? undefined : decodeLocation(v)
  }

  private async _chain (chainId: Uint8Array, p?: Pending): Promise<ChainInfo | undefined> {
    const v = await this._get(mkKey(NS_CHAIN_INFO, chainId), p)
    return v === undefined ? undefined : decodeChain(chainId, v)
  }

  private async _pointer (ns: number, pk: Uint8Array, p?: Pending): Promise<Uint8Array | undefined> {
    au8(pk, 32, 'pk')
    return this._run(async () => view(await this._get(mkKey(ns, pk), p)))
  }

  /** @internal registry key bytes */
  static regKey (key: Uint8Array | string): Uint8Array {
    if (typeof key === 'string') return mkKey(NS_REG, s2b(key))
    return mkKey(NS_REG, au8(key, 0, 'key'))
  }
}

Object.defineProperty(Repo.prototype, symRepo, { value: true })

function withPrefix (prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const k = new Uint8Array(prefix.length + key.length)
  k.set(prefix, 0)
  k.set(key, prefix.length)
  return k
}

// Backends may hand out Buffer (a Uint8Array subclass); the API gives plain Uint8Array views.
function view (v: Uint8Array | undefined): Uint8Array | undefined {
  return v === undefined || v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/** @internal a stored block: verified before it was stored */
export function toBlock (v: Uint8Array): Block {
  const b = new Block(v)
  b._verified = true
  return b
}

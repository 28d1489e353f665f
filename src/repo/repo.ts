// The block store on abstract-level: picorepo 2.x's layout and behaviour without its defects
// (atomic batches, bounded reads, one merge rule, rollback that relocates every pointer).
import { au8, cmp, feedFrom, isBlock, s2b } from '../feed/index.js'
import type { Block, Feed, FeedInput } from '../feed/index.js'
import { MERGE_BATCH_BLOCKS, NS_BLOCK_TO_CHAIN, NS_CHAIN_INFO, NS_HEAD, NS_LATEST, NS_OWNER_CHAINS, NS_REG, NS_TAIL, SUBLEVEL } from './constants.js'
import { repoErr } from './errors.js'
import { blockKey, chainOfOwnerKey, decodeChain, decodeSeq, encodeLocation, keyMaterial, mkKey } from './codec.js'
import { withPrefix } from '../internal/bytes.js'
import type { BlockLocation, ChainInfo } from './codec.js'
import { RepoIo, closedError, toBlock, view } from './db.js'
import type { BatchOp, RepoDb, RepoSublevel } from '../internal/level.js'
import { Pending, RepoStage, prepare, type Prepared } from './staging.js'
import { planRollback } from './rollback.js'
import { keyArg } from '../internal/key-arg.js'
import { chainload, walk } from './walk.js'

export type { RepoDb, RepoSublevel, BatchOp, ViewOptions } from '../internal/level.js'
export { RepoStage } from './staging.js'

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
    /** The block can be stored. */
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
  | {
    /** The block cannot be stored. */
    accepted: false
    /** Why. */
    reason: RefusalReason
  }

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
   * Who may extend an owner's chain without a strategy: only the `'owner'` (the default, what
   * the original's comments claimed) or `'any'` author (multi-writer chains, an explicit
   * opt-in; what the original's code did).
   */
  appendPolicy?: 'any' | 'owner'
}


const symRepo: symbol = Symbol.for('PicoRepo')

/** Options of {@link Repo.prepareBlock}. */
export interface PrepareOptions {
  /** Stage the operations here (the result's `ops` is then empty), see {@link Repo.stage}. */
  stage?: RepoStage
  /** The caller has just checked that the block is not stored: skip that read. */
  fresh?: boolean
  /**
   * An acceptance position (a safe integer >= 0) to record with the block's location (a
   * store's log: {@link BlockLocation.seq}), so the caller needs no record of its own.
   */
  seq?: number
}

/**
 * Persistent store of signed blocks, indexed so that any chain can be re-assembled from any
 * of its blocks, each owner's current chain found, and "have I got this block", "which chain
 * and height", "who owns it" and "what is the tip" answered with one read each.
 *
 * Keys and block ids are taken as bytes or hex (converted once, on entry; a bad one is a
 * RangeError naming the argument) and are returned as bytes.
 *
 * Merge rule (one rule for every caller, so two peers given the same blocks store the same
 * chains): a block is stored when it is new and
 * 1. its owner (the genesis author of its chain) has no HEAD yet, or
 * 2. it extends the owner's HEAD, or
 * 3. detached mode is on and it is a genesis or its parent is stored, or
 * 4. the owner's HEAD is an ancestor of it (fast-forward), or
 * 5. a strategy (the inline one, then the constructor's, in order) returns true.
 * Rules 1-4 hold only for blocks the owner signed, unless `{ appendPolicy: 'any' }`
 * (multi-writer chains); with the default `'owner'` another key's block needs a strategy.
 * Otherwise it is refused: forks and an owner's second genesis need a strategy or detached
 * mode. A block whose parent is not stored is never stored. Accepting moves HEAD(owner) and
 * LATEST(author) to the block.
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
  private readonly _io: RepoIo
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
    this.appendPolicy = opts.appendPolicy ?? 'owner'
    this.sublevel = db.sublevel(SUBLEVEL, { keyEncoding: 'view', valueEncoding: 'view' })
    // Reads and writes go to the root database with the sublevel's prefix: the same keys,
    // without the sublevel's per-call overhead.
    this._io = new RepoIo(db, this.sublevel.prefixKey(new Uint8Array(0), 'view') as Uint8Array)
  }

  /**
   * Checks the database's repo layout version (this code reads version 2), writing it on a
   * database that has none (a new one), and migrating a version 1 database (or one written
   * before the version key existed) in one batch. Every other method does this on its first
   * call; call it to fail early. Idempotent.
   *
   * @throws RepoError `UnsupportedVersion` for a database written by a newer layout; `Closed`
   */
  async open (): Promise<void> {
    await this._io.run(async () => {})
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
  async hasBlock (id: Uint8Array | string): Promise<boolean> {
    id = keyArg(id, 64, 'id')
    return this._io.run(async () => await this._io.stored(id))
  }

  /**
   * @internal {@link Repo.hasBlock} for a caller that checked `id` (64 bytes): a boolean, not a
   * promise, when the database is open and reads synchronously.
   */
  _hasBlock (id: Uint8Array): boolean | Promise<boolean> {
    return this._io.ready ? this._io.stored(id) : this.hasBlock(id)
  }

  /**
   * @internal Blocks of chain `chainId` at heights [from, to], oldest first, when every one is
   * stored on that chain (from >= its start): one read (a range, or a point read for one block).
   * `undefined` when one is missing.
   */
  async _segment (chainId: Uint8Array, from: number, to: number): Promise<Feed | undefined> {
    return this._io.run(async () => {
      const blocks = await this._io.segment(chainId, from, to)
      return blocks.length === to - from + 1 && blocks.length > 0 ? feedFrom(blocks.reverse(), true) : undefined
    })
  }

  /**
   * Where a stored block sits. One read.
   *
   * @param id - block signature
   * @returns chain id, 0-based height and owner, or undefined when not stored
   * @throws RepoError `Closed`, `CorruptIndex`
   */
  async chainOf (id: Uint8Array | string): Promise<BlockLocation | undefined> {
    id = keyArg(id, 64, 'id')
    return this._io.run(() => this._io.loc(id))
  }

  /**
   * Genesis author of the chain that holds block `id`. One read.
   *
   * @param id - block signature
   * @returns the owner's public key, or undefined when the block is not stored
   * @throws RepoError `Closed`
   */
  async ownerOf (id: Uint8Array | string): Promise<Uint8Array | undefined> {
    return (await this.chainOf(id))?.owner
  }

  /**
   * A stored chain (branch): owner, tip, height, root. One read.
   *
   * @param chainId - the chain id (genesis signature, or the first block of a fork)
   * @returns the chain, or undefined when unknown
   * @throws RepoError `Closed`
   */
  async chainInfo (chainId: Uint8Array | string): Promise<ChainInfo | undefined> {
    chainId = keyArg(chainId, 64, 'chainId')
    return this._io.run(() => this._io.chain(chainId))
  }

  /**
   * Current tip of a chain. One read.
   *
   * @param chainId - the chain id
   * @returns the tip's signature, or undefined when the chain is unknown
   * @throws RepoError `Closed`
   */
  async tipOf (chainId: Uint8Array | string): Promise<Uint8Array | undefined> {
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
  async headOf (pk: Uint8Array | string, stage?: RepoStage): Promise<Uint8Array | undefined> {
    const key = keyArg(pk, 32, 'pk')
    return this._io.run(async () => view(await this._io.head(key, stage?._p)))
  }

  /** @internal the chain HEAD(pk) names (its tip is {@link Repo.headOf}), seeing `stage` first */
  async _headChain (pk: Uint8Array, stage?: RepoStage): Promise<ChainInfo | undefined> {
    return this._io.run(async () => await this._io.headChain(pk, stage?._p))
  }

  /**
   * TAIL of an author: the genesis block that author wrote most recently.
   *
   * @param pk - author public key
   * @returns the genesis signature, or undefined
   * @throws RepoError `Closed`
   */
  async tailOf (pk: Uint8Array | string): Promise<Uint8Array | undefined> {
    return this._pointer(NS_TAIL, pk)
  }

  /**
   * LATEST of an author: the last block that author wrote, in whichever chain.
   *
   * @param pk - author public key
   * @returns the block signature, or undefined
   * @throws RepoError `Closed`
   */
  async latestOf (pk: Uint8Array | string): Promise<Uint8Array | undefined> {
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
  async readBlock (id: Uint8Array | string): Promise<Block | undefined> {
    id = keyArg(id, 64, 'id')
    return this._io.run(async () => {
      const loc = await this._io.loc(id)
      if (loc === undefined) return undefined
      const v = await this._io.dbGet(blockKey(this._io.prefix, loc.chainId, loc.height))
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
    return await this._prepare(block, strategy, opts, undefined)
  }

  /**
   * @internal {@link Repo.prepareBlock}, given what the caller read under its lock: `head`, the
   * chain {@link Repo._headChain} returned for the block's signer (with the same stage), saves
   * the reads of the parent's location, chain and HEAD when the block extends its tip.
   */
  async _prepare (block: Block, strategy: MergeStrategy | undefined, opts: PrepareOptions, head: ChainInfo | undefined): Promise<PrepareResult> {
    if (!isBlock(block)) throw new TypeError('"block" expected a Block')
    const stage = opts.stage
    if (stage !== undefined && !(stage instanceof RepoStage)) throw new TypeError('"opts.stage" expected a RepoStage from repo.stage()')
    const seq = opts.seq
    if (seq !== undefined && (!Number.isSafeInteger(seq) || seq < 0)) throw new RangeError(`"opts.seq" expected a safe integer >= 0, got ${String(seq)}`)
    return this._io.run(async () => {
      if (stage !== undefined) {
        const r = await prepare(this, this._io, block, strategy, stage._p, stage.beforeStrategy, opts.fresh === true, seq, head)
        if (r.accepted) stage._p.blocks++
        return r.accepted ? { ...r, ops: [] } : r
      }
      const p = new Pending(this._io.prefix)
      const r = await prepare(this, this._io, block, strategy, p, undefined, opts.fresh === true, seq, head)
      return r.accepted ? { ...r, ops: p.ops } : r
    })
  }

  /**
   * @internal {@link Repo._prepare} for a store, without argument checks: `block` is known not
   * to be stored; its writes go to `stage` with the acceptance position `seq`. Returns whether
   * it was accepted (or why not), without operations.
   */
  async _stage (block: Block, strategy: MergeStrategy | undefined, stage: RepoStage, seq: number, head: ChainInfo | undefined): Promise<Prepared> {
    const io = this._io
    if (!io.ready) return await this._prepare(block, strategy, { stage, fresh: true, seq }, head)
    try {
      const r = await prepare(this, io, block, strategy, stage._p, stage.beforeStrategy, true, seq, head)
      if (r.accepted) stage._p.blocks++
      return r
    } catch (e) {
      throw closedError(e)
    }
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
    return new RepoStage(this._io.prefix, this._io.bare)
  }

  /**
   * Stores the blocks of a feed (by the merge rule of {@link Repo}) and moves the pointers. Blocks already
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
      if (first.psig !== undefined && !(await this._io.dbHas(this._io.key(NS_BLOCK_TO_CHAIN, first.psig))) &&
        !(await this._io.dbHas(this._io.key(NS_BLOCK_TO_CHAIN, first.sig)))) {
        throw repoErr('UnknownChain', 'the feed is partial and its parent is not stored')
      }
      const p = new Pending(this._io.prefix, this._io.bare)
      const flush = async (): Promise<void> => {
        if (p.size > 0) await this.db.batch(p.ops)
        p.clear()
      }
      let written = 0
      // Stored blocks form a prefix of any chain (a block is stored only after its parent, and
      // rollback removes descendants too), so after the first new block no check is needed.
      let fresh = false
      for (const block of feed.blocks) {
        const r = await prepare(this, this._io, block, strategy, p, flush, fresh)
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

  // ---------------------------------------------------------------- reading chains

  /**
   * Loads the chain that ends at block `ptr`, walking back towards genesis.
   * Each chain segment is read with one range scan, not block by block. Blocks come
   * back marked verified (they were verified before they were stored).
   *
   * @param ptr - signature of the newest block to load
   * @param stop - block limit or per-block callback, see {@link LoadStop}
   * @returns the blocks oldest first, or undefined when `ptr` is not stored (or nothing was loaded)
   * @throws RepoError `ParentNotFound` when the chain is broken; `Closed`
   */
  async loadFeed (ptr: Uint8Array | string, stop?: LoadStop): Promise<Feed | undefined> {
    ptr = keyArg(ptr, 64, 'ptr')
    if (typeof stop === 'number' && (!Number.isInteger(stop) || stop < 1)) throw new RangeError(`"stop" expected a positive integer, got ${stop}`)
    if (stop !== undefined && typeof stop !== 'number' && typeof stop !== 'function') throw new TypeError('"stop" expected a number or a function')
    return this._io.run(async () => {
      const blocks = await walk(this._io, ptr, stop)
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
  async loadHead (pk: Uint8Array | string, stop?: LoadStop): Promise<Feed | undefined> {
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
  async loadLatest (pk: Uint8Array | string, stop?: LoadStop): Promise<Feed | undefined> {
    const latest = await this.latestOf(pk)
    return latest === undefined ? undefined : this.loadFeed(latest, stop)
  }

  /**
   * The whole chain holding block `sig`, from genesis to the tip of the block's branch.
   * The tip is found with one index read, not a walk.
   *
   * @param sig - any stored block (or a chain id)
   * @param stop - see {@link LoadStop}, applied walking back from the tip
   * @returns the feed
   * @throws RepoError `FeedNotFound` when the block is not stored; `ParentNotFound`, `Closed`
   */
  async resolveFeed (sig: Uint8Array | string, stop?: LoadStop): Promise<Feed> {
    sig = keyArg(sig, 64, 'sig')
    const loc = await this.chainOf(sig)
    const tip = loc === undefined ? undefined : await this.tipOf(loc.chainId)
    const feed = tip === undefined ? undefined : await this.loadFeed(tip, stop)
    if (feed === undefined) throw repoErr('FeedNotFound', 'no stored chain holds this block')
    return feed
  }

  /**
   * Backward iteration from block `sig` towards genesis, newest first.
   * Ends silently when `sig` is not stored.
   *
   * @param sig - the block to start from
   * @returns an async iterator of blocks
   * @throws RepoError `ParentNotFound` when the chain is broken
   */
  async * chainload (sig: Uint8Array | string): AsyncGenerator<Block, void, undefined> {
    sig = keyArg(sig, 64, 'sig')
    yield * chainload(this._io, sig)
  }

  // ---------------------------------------------------------------- rollback

  /**
   * Plans the removal of the newest part of a chain (or all of it) without writing anything
   * (the caller commits it, with its own changes, in one batch): the blocks after `stopAt` go, and with them every
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
  async prepareRollback (head: Uint8Array | string, stopAt?: Uint8Array | string): Promise<RollbackPlan | null> {
    head = keyArg(head, [32, 64], 'head')
    if (stopAt !== undefined) stopAt = keyArg(stopAt, 64, 'stopAt')
    return this._io.run(() => planRollback(this._io, head, stopAt))
  }

  /**
   * Removes the newest part of a chain or all of it in one batch; see {@link Repo.prepareRollback}.
   *
   * @param head - owner public key or a block / chain id
   * @param stopAt - newest block to keep
   * @returns the removed blocks of the chain (oldest first), or null when nothing was removed
   * @throws RepoError `ReferenceNotFound`, `Closed`
   */
  async rollback (head: Uint8Array | string, stopAt?: Uint8Array | string): Promise<Feed | null> {
    head = keyArg(head, [32, 64], 'head')
    if (stopAt !== undefined) stopAt = keyArg(stopAt, 64, 'stopAt')
    return this._exclusive(async () => {
      const plan = await planRollback(this._io, head, stopAt)
      if (plan === null) return null
      await this.db.batch(plan.ops)
      return plan.evicted
    })
  }

  // ---------------------------------------------------------------- listing and registry

  /** HEAD pointers: owner pk -> tip sig. @throws RepoError `Closed`, `CorruptIndex` */
  async listHeads (): Promise<ListEntry[]> {
    const rows = await this._list(NS_HEAD)
    return this._io.run(async () => {
      const out: ListEntry[] = []
      for (const r of rows) {
        const tip = await this._io.head(r.key)
        if (tip !== undefined) out.push({ key: r.key, value: tip })
      }
      return out
    })
  }

  /**
   * @internal The acceptance log recorded with the blocks (`PrepareOptions.seq`): `[seq, id]`
   * of every stored block that has a position, in no particular order.
   */
  async _acceptanceLog (): Promise<Array<[number, Uint8Array]>> {
    return this._io.run(async () => {
      const out: Array<[number, Uint8Array]> = []
      for (const [k, v] of await this._io.prefixed(Uint8Array.of(NS_BLOCK_TO_CHAIN))) {
        const seq = decodeSeq(v)
        if (seq !== undefined) out.push([seq, keyMaterial(k)])
      }
      return out
    })
  }

  /**
   * @internal The operations that record acceptance positions with stored blocks (a store
   * migrating its older per-block log); blocks not stored are skipped.
   */
  async _seqOps (entries: ReadonlyArray<readonly [Uint8Array, number]>): Promise<BatchOp[]> {
    return this._io.run(async () => {
      const p = new Pending(this._io.prefix, this._io.bare)
      for (const [id, seq] of entries) {
        const loc = await this._io.loc(id)
        if (loc !== undefined) p.put(this._io.key(NS_BLOCK_TO_CHAIN, id), encodeLocation(loc.chainId, loc.height, loc.owner, seq))
      }
      return p.ops
    })
  }
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
  async listChains (owner?: Uint8Array | string): Promise<ChainInfo[]> {
    if (owner === undefined) {
      const rows = await this._list(NS_CHAIN_INFO)
      return rows.map(r => decodeChain(r.key, r.value))
    }
    owner = keyArg(owner, 32, 'owner')
    return this._io.run(async () => {
      const rows = await this._io.prefixed(mkKey(NS_OWNER_CHAINS, owner))
      const out: ChainInfo[] = []
      for (const [k] of rows) {
        const c = await this._io.chain(chainOfOwnerKey(k))
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
    const k = withPrefix(this._io.prefix, Repo.regKey(key))
    return this._io.run(async () => view(await this._io.dbGet(k)))
  }

  /**
   * Writes an application registry value.
   *
   * @param key - bytes or a UTF-8 string
   * @param value - bytes or a UTF-8 string
   * @throws RepoError `Closed`
   */
  async writeReg (key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    await this._io.run(() => this.db.batch([this.regOp(key, value)]))
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
    const k = withPrefix(this._io.prefix, Repo.regKey(key))
    const p = new Pending(this._io.prefix, this._io.bare)
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
    return this._io.run(async () => {
      const rows = await this._io.prefixed(new Uint8Array([ns]))
      return rows.map(([k, v]) => ({ key: keyMaterial(k), value: view(v) as Uint8Array }))
    })
  }

  // ---------------------------------------------------------------- internals

  // Serialises the repo's own read-modify-write operations (merge, rollback).
  private _exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this._queue.then(() => this._io.run(fn))
    this._queue = run.catch(() => undefined)
    return run
  }

  private async _pointer (ns: number, pk: Uint8Array | string, p?: Pending): Promise<Uint8Array | undefined> {
    const key = keyArg(pk, 32, 'pk')
    return this._io.run(async () => view(await this._io.read(ns, key, undefined, p)))
  }

  /** @internal registry key bytes */
  static regKey (key: Uint8Array | string): Uint8Array {
    if (typeof key === 'string') return mkKey(NS_REG, s2b(key))
    return mkKey(NS_REG, au8(key, 0, 'key'))
  }
}

Object.defineProperty(Repo.prototype, symRepo, { value: true })


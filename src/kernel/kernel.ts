// SimpleKernel: one object owning a database, a repo, a store and the sync engine. Unlike the
// original: delta sync, identity kept as raw bytes, the real height, O(1) block creation, one
// gossip path, halt closes the wires then the store, typed errors.
import type { AbstractLevel } from 'abstract-level'
import { defaultDb } from './default-db.js'
import { isPicoError } from '../errors.js'
import { SIG_SIZE, counters, fromHex, getPublicKey, isFeed } from '../feed/index.js'
import type { BatchVerifier, Block, Feed, FeedInput } from '../feed/index.js'
import type { Plug } from '../net/index.js'
import type { Neuron } from '../nuro/index.js'
import type { ChainInfo, Repo } from '../repo/index.js'
import { Store, decodeBlock } from '../store/index.js'
import type { DecodedBlock, DispatchResult, Memory } from '../store/index.js'
import { KernelError } from './errors.js'
import { SyncNode } from './node.js'
import type { Summary } from './protocol.js'
import { collectDelta } from './sync.js'
import type { LocalChain } from './sync.js'
import type { BlockSource, IngestResult, PeerInfo, SyncAnswer, SyncLimits } from './types.js'
import { INGEST_SLICE, MAX_BLOCKS_PER_MESSAGE, VERIFY_SLICE } from './constants.js'
import { yieldTurn } from './yield.js'
import { keyArg } from '../internal/key-arg.js'
import { bytesEqual } from '../internal/bytes.js'
import { defaultVerifier } from './verify-pool.js'

/**
 * Fewest unverified blocks of a message handed to the verifier: fewer (live gossip, small
 * catch-ups) are checked inline, where a worker's round trip would cost more than it saves.
 */
const POOL_MIN = VERIFY_SLICE

/** The abstract-level database a kernel runs on (binary keys and values). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelDb = AbstractLevel<any, Uint8Array, Uint8Array>

/** Options of {@link SimpleKernel}. */
export interface KernelOptions {
  /** The identity (32-byte secret, bytes or hex). Otherwise generated once and persisted. */
  secret?: Uint8Array | string
  /** Sync limits (message size, blocks per message, inbound queue ...). */
  limits?: Partial<SyncLimits>
  /**
   * Secret seed (32 bytes, bytes or hex) of the node key this kernel proves in every
   * handshake. Random per instance by default; set it for reproducible runs.
   */
  nodeSecret?: Uint8Array | string
  /**
   * Who may append to a chain (the store's `appendPolicy`): `'owner'` (default) refuses a
   * block another key signed onto a chain (`NotOwner`); `'any'` opts in to multi-writer chains.
   */
  appendPolicy?: 'owner' | 'any'
  /**
   * Where the signatures of peers' blocks are checked: a {@link BatchVerifier} (default
   * {@link defaultVerifier}: a pool of worker threads in Node, so a message's blocks are checked
   * in parallel while the previous message is written), or `null` for the main thread.
   */
  verifier?: BatchVerifier | null
}

/** One chain held by the kernel, for status output. */
export interface ChainStatus {
  /** Chain id (genesis signature, or the first block of a fork). */
  chainId: Uint8Array
  /** Height of the tip (blocks - 1 for a root chain). */
  height: number
  /** The tip's signature. */
  tip: Uint8Array
  /** Genesis author. */
  owner: Uint8Array
}

/** What a peer showed of one author (see `#checkEquivocation`). */
interface Shown {
  /** The author's key. */
  key: Uint8Array
  /** The last block on our branch. */
  ours?: Uint8Array
  /** The lowest position of a refused block (`chainId` null: a second genesis, any chain). */
  refused?: { chainId: Uint8Array | null, height: number }
}

/** Registry key under which the secret is kept in the repo database. */
const REG_SK = 'reg/sk'

function secretBytes (secret: Uint8Array | string, name = 'secret'): Uint8Array {
  if (!(secret instanceof Uint8Array) && typeof secret !== 'string') throw new RangeError(`"${name}" expected 32 bytes or 64 hex digits, got ${typeof secret}`)
  return keyArg(secret, 32, name)
}

function openDb (db: KernelDb | string | undefined): KernelDb {
  if (db === undefined || typeof db === 'string') return defaultDb(db)
  if (typeof db !== 'object' || db === null || typeof (db as { sublevel?: unknown }).sublevel !== 'function') {
    throw new TypeError('"db" expected an abstract-level database, a folder path or undefined')
  }
  return db
}

/**
 * The application core: extend it, register collections in the constructor, `boot()`, then
 * create blocks and connect to peers. Peers sync with the delta protocol of PROTOCOL.md.
 *
 * @example
 * ```ts
 * class Kernel extends SimpleKernel {
 *   constructor (db?: KernelDb) {
 *     super(db)
 *     this.store.register({ name: 'clock', initialValue: 0,
 *       filter: ({ block }) => SimpleKernel.decodeBlock(block.body).type !== 'tick',
 *       reducer: ({ block }) => SimpleKernel.decodeBlock(block.body).time as number })
 *   }
 * }
 * const alice = new Kernel(); await alice.boot()
 * const bob = new Kernel(); await bob.boot()
 * alice.spawnWire().open(bob.spawnWire())
 * await alice.createBlock('tick', { time: Date.now() })
 * ```
 */
export class SimpleKernel {
  /** Decodes a block body into `{ type, date, ...payload }` (the store's `decodeBlock`). */
  static decodeBlock: (body: Uint8Array) => DecodedBlock = decodeBlock

  /** The database. */
  readonly db: KernelDb
  /** The block repository. */
  readonly repo: Repo
  /** The block engine; register collections on it before `boot()`. */
  readonly store: Store
  readonly #node: SyncNode
  #secret: Uint8Array | undefined
  #pk: string | undefined
  #booting: Promise<void> | undefined
  #halting: Promise<void> | undefined
  #ready!: { resolve: () => void, reject: (err: Error) => void }
  /** `createBlock` calls in flight, awaited by `halt()`. */
  readonly #creating = new Set<Promise<unknown>>()
  /**
   * Per connection, per author (key, latin1): the last block the peer sent that lies on our
   * branch (stored or accepted), and the position of a block of it the store refused (a fork).
   * Both at one position of one chain prove the peer holds two branches: equivocation.
   */
  readonly #shown = new WeakMap<PeerInfo, Map<number, Shown[]>>()
  /** Per connection, blocks the store refused (forks aside): past `maxRefused` the peer is a `Flood`. */
  readonly #refused = new WeakMap<PeerInfo, number>()
  readonly #verifier: BatchVerifier | null | undefined
  /** Chains as `head()` read them, by the tip it returned: a range ending there reads no more index. */
  readonly #tips = new WeakMap<Uint8Array, ChainInfo>()
  /**
   * Messages whose last block `#verify` found unstored ahead of their turn: `#ingest` skips
   * its own duplicate check for them (the store checks again under its lock).
   */
  readonly #unstoredAhead = new WeakSet<Feed>()

  /**
   * @param db - an abstract-level database; a location for the embedded default (a folder for
   *   classic-level in Node, an IndexedDB name for browser-level in browsers); or nothing (memory-level)
   * @param opts - identity and sync limits
   * @throws TypeError on a bad `db`; RangeError on a bad secret or limit
   */
  constructor (db?: KernelDb | string, opts: KernelOptions = {}) {
    if (opts.secret !== undefined) this.#secret = secretBytes(opts.secret)
    if (opts.verifier !== undefined && opts.verifier !== null && typeof opts.verifier.verifyBatch !== 'function') {
      throw new TypeError('"verifier" expected a BatchVerifier (verifyBatch) or null')
    }
    this.#verifier = opts.verifier
    this.db = openDb(db)
    this.store = new Store(this.db as never, { strategy: (block, repo) => this.mergeStrategy(block, repo), appendPolicy: opts.appendPolicy ?? 'owner' })
    this.repo = this.store.repo
    const ready = new Promise<void>((resolve, reject) => { this.#ready = { resolve, reject } })
    const kernel = this // eslint-disable-line @typescript-eslint/no-this-alias
    const source: BlockSource = {
      chains: () => kernel.#localChains(),
      place: (id) => kernel.repo.chainOf(id),
      head: async (chainId) => {
        const info = await kernel.repo.chainInfo(chainId)
        if (info === undefined) return undefined
        kernel.#tips.set(info.tip, info)
        return { chainId: info.chainId, height: info.height, tip: info.tip }
      },
      range: (id, count, maxBlocks) => kernel.#range(id, count, maxBlocks),
      query: (summary, peer) => kernel.onquery(summary, peer),
      ingest: (feed, peer) => kernel.#ingest(feed, peer),
      verify: (feed) => kernel.#verify(feed)
    }
    const nodeSecret = opts.nodeSecret === undefined ? undefined : secretBytes(opts.nodeSecret, 'nodeSecret')
    this.#node = new SyncNode(source, {
      limits: opts.limits,
      nodeSecret,
      ready,
      onconnect: peer => { kernel.onconnect(peer) },
      ondisconnect: (peer, error) => { kernel.ondisconnect(peer, error) }
    })
    // The one gossip path: accepted blocks are announced to every peer but their source (never back).
    this.store.onMerge((feeds, from) => { this.#node.gossip(feeds, from) })
    this.store.tap(e => { if (e.event === 'rollback') this.#node.forgetHeads() })
  }

  /**
   * Restores or creates the identity and loads the store. Memoised.
   *
   * @returns resolves when the kernel is ready
   * @throws KernelError `Closed` after `halt()`
   */
  boot (): Promise<void> {
    this.#booting ??= this.#boot()
    return this.#booting
  }

  async #boot (): Promise<void> {
    if (this.#halting !== undefined) throw new KernelError('Closed', 'the kernel was halted')
    if (this.#secret === undefined) {
      const stored = await this.repo.readReg(REG_SK)
      if (stored !== undefined && stored.length === 32) {
        this.#secret = stored.slice()
      } else {
        // Kept as the raw 32 bytes (the original wrote hex text and could not read it back).
        this.#secret = globalThis.crypto.getRandomValues(new Uint8Array(32))
        await this.repo.writeReg(REG_SK, this.#secret)
      }
    }
    this.#pk = getPublicKey(this.#secret)
    await this.store.load()
    this.#ready.resolve()
  }

  /** True once `boot()` completed. */
  get ready (): boolean { return this.#pk !== undefined && this.store.loaded }

  /**
   * The user's public key, hex.
   * @throws KernelError `NotReady` before `boot()`
   */
  get pk (): string {
    this.#checkReady()
    return this.#pk as string
  }

  /**
   * This kernel's node id in the sync protocol: the hex of the node key it proves in every
   * handshake (random per instance unless `nodeSecret` is given).
   */
  get nodeId (): string {
    return this.#node.nodeId
  }

  /**
   * The user's own chain, or its last `limit` blocks.
   *
   * @param limit - most blocks to load (from the tip backwards)
   * @returns the feed, or undefined when the user has written nothing
   * @throws KernelError `NotReady`
   */
  async feed (limit?: number): Promise<Feed | undefined> {
    this.#checkReady()
    return this.repo.loadHead(fromHex(this.#pk as string), limit)
  }

  /**
   * Number of blocks on the user's own chain (the real height + 1: 0 means no chain yet, 1 a chain with only its genesis).
   *
   * @returns 0 when the user has written nothing
   * @throws KernelError `NotReady`
   */
  async seq (): Promise<number> {
    this.#checkReady()
    const head = await this.repo.headOf(fromHex(this.#pk as string))
    if (head === undefined) return 0
    const loc = await this.repo.chainOf(head)
    return loc === undefined ? 0 : loc.height + 1
  }

  /**
   * Creates a block `[type, payload, now]` on the user's chain (or `branch`), dispatches it
   * and gossips it. Reads only the chain's head; calls in flight together extend one chain in
   * call order and share the store's group commits (one write for many blocks).
   *
   * @param type - the collection (root) the block is for
   * @param payload - application data (CBOR)
   * @param branch - where to append (a Feed, a block id, a public key; ids and keys as bytes or
   *   hex); default: own chain
   * @returns a Feed holding just the new block (`feed.last.sig` is its id)
   * @throws KernelError `InvalidBlock` when the store rejects it; `NotReady`; `Closed`
   * @throws TypeError when called in the original 1.x order `createBlock(branch, type, payload)`;
   *   RangeError naming `branch` when a key or block id has the wrong length or is not hex
   */
  createBlock (type: string, payload: unknown, branch?: Feed | Uint8Array | string): Promise<Feed> {
    if (typeof type !== 'string') {
      return Promise.reject(new TypeError('kernel.createBlock(type, payload, branch?) takes the type first; ' +
        'the original 1.x createBlock(branch, type, payload) is now createBlock(type, payload, branch)'))
    }
    // The store reads the branch and signs under its lock, so calls in flight together extend
    // one chain in call order and share group commits.
    const run = this.#create(type, payload, branch)
    const settled = run.catch(() => {})
    this.#creating.add(settled)
    void settled.then(() => this.#creating.delete(settled))
    return run
  }

  async #create (type: string, payload: unknown, branch: Feed | Uint8Array | string | undefined): Promise<Feed> {
    this.#checkReady()
    if (branch !== undefined && !isFeed(branch)) branch = keyArg(branch, [32, 64], 'branch')
    let feed: Feed
    try {
      feed = await this.store.createBlock(type, payload, this.#secret as Uint8Array, { branch })
    } catch (err) {
      if (isPicoError(err, 'Closed')) throw new KernelError('Closed', 'the kernel was halted', { cause: err })
      if (isPicoError(err, 'UnknownCollection')) throw new KernelError('UnknownCollection', (err as Error).message, { cause: err })
      throw new KernelError('InvalidBlock', `InvalidBlock: ${(err as Error).message}`, { cause: err })
    }
    return feed.slice(feed.length - 1)
  }

  /**
   * Dispatches blocks into the store; accepted ones are gossiped to every peer.
   *
   * @param feed - blocks
   * @param loud - throw on the first rejection
   * @returns what the store did
   * @throws KernelError `NotReady`; StoreError codes when `loud`
   */
  dispatch (feed: FeedInput, loud = false): Promise<DispatchResult> {
    this.#checkReady()
    return this.store.dispatch(feed, { loud })
  }

  /**
   * A registered collection.
   *
   * @param name - its name
   * @returns the Memory
   * @throws KernelError `UnknownCollection`
   */
  collection (name: string): Memory {
    const m = this.store.roots.get(name)
    if (m === undefined) throw new KernelError('UnknownCollection', `No such collection: ${name}, did you register it?`)
    return m
  }

  /**
   * A plug for one peer connection: `a.spawnWire().open(b.spawnWire())`, or put it on a
   * transport (`streamWire(kernel.spawnWire(), socket)`). The handshake runs at once; sync
   * starts once the kernel is booted.
   *
   * @param details - ignored: the protocol is symmetric, so the original's options
   *   (`{ client: true }`) and Modem56's peer details are accepted and change nothing
   * @returns the plug
   * @throws KernelError `Closed` after `halt()`; TypeError, saying what to write instead, when
   *   given a plug or a socket
   */
  spawnWire (details?: object): Plug {
    if (details !== undefined && details !== null) checkSpawnDetails(details)
    if (this.#halting !== undefined) throw new KernelError('Closed', 'the kernel was halted')
    return this.#node.spawnWire()
  }

  /**
   * Bytes the sync engine holds and has sent, all connections together: what peers sent and
   * is not processed yet, what waits to be sent (a buffer shared by several peers counted
   * once), and what was handed to wires so far. The budgets of {@link SyncLimits} apply to
   * the first two.
   */
  get traffic (): {
    /** Bytes peers sent that are not processed yet. */
    inboundBytes: number
    /** Bytes waiting to be sent. */
    outboundBytes: number
    /** Bytes handed to wires so far. */
    bytesSent: number
  } {
    return { inboundBytes: this.#node.inboundBytes, outboundBytes: this.#node.outboundBytes, bytesSent: this.#node.bytesSent }
  }

  /** Neuron of the connected peers (after the handshake; one per remote node). */
  $connections (): Neuron<PeerInfo[]> {
    return this.#node.$connections
  }

  /**
   * Every chain held, for status output.
   * @returns one entry per chain
   */
  async chains (): Promise<ChainStatus[]> {
    this.#checkReady()
    return (await this.repo.listChains()).map(c => ({ chainId: c.chainId, height: c.height, tip: c.tip, owner: c.owner }))
  }

  // ── overridable hooks ───────────────────────────────────────────────────────────────────

  /** Accept a fork or a foreign second genesis? Default: no. Override to allow. */
  mergeStrategy (_block: Block, _repo: Repo): boolean | Promise<boolean> {
    return false
  }

  /** Called after a handshake with a new peer (sync starts by itself). */
  onconnect (_peer: PeerInfo): void {}

  /** Called when a peer's connection closed (`error` says why; `null` when polite). */
  ondisconnect (_peer: PeerInfo, _error: Error | null): void {}

  /**
   * Decides what to send a peer that sent its summary. Default: what it lacks (delta sync),
   * read lazily, chain by chain, as the peer drains what was sent; a segment the peer announced
   * meanwhile (it got it from another neighbour) is skipped, and each connection begins at
   * another chain, so a peer that joins several neighbours at once is not sent everything by each.
   *
   * @param summary - the peer's chains
   * @param peer - who asks
   * @returns chain segments, each chain in order (an iterable or async iterable)
   */
  onquery (summary: Summary, peer: PeerInfo): SyncAnswer | Promise<SyncAnswer> {
    const view = this.#node.deltaView(peer)
    return collectDelta({
      chains: () => this.#localChains(),
      segments: (chainId, from, maxBlocks) => this.#segments(chainId, from, maxBlocks),
      ...(view === undefined ? {} : { held: view.held })
    }, summary, MAX_BLOCKS_PER_MESSAGE, view?.start)
  }

  /**
   * Dispatches blocks received from a peer (gossip excludes that peer). Not called for a
   * message whose blocks are all stored already (a duplicate).
   *
   * @param feed - the blocks
   * @param peer - who sent them
   * @returns what the store did
   * @throws KernelError `Closed` after `halt()` (blocks are never dropped silently)
   */
  onblocks (feed: Feed, peer: PeerInfo): Promise<DispatchResult> {
    if (this.#halting !== undefined || this.store.closed) return Promise.reject(new KernelError('Closed', 'the kernel was halted'))
    return this.store.dispatch(feed, { source: peer })
  }

  /**
   * Closes every wire (peers get a `bye`), waits for messages in progress, then closes the
   * store and the database. Idempotent.
   */
  halt (): Promise<void> {
    this.#halting ??= this.#halt()
    return this.#halting
  }

  /**
   * The original's name for {@link SimpleKernel.halt}; not supported, so a port does not
   * silently keep a kernel running.
   *
   * @deprecated write `await kernel.halt()`
   * @throws TypeError always, saying to call `halt()`
   */
  close (): never {
    throw new TypeError('kernel.close() is now `await kernel.halt()` (says bye to every peer, closes the wires, then the store and the database)')
  }

  async #halt (): Promise<void> {
    this.#ready.reject(new KernelError('Closed', 'the kernel was halted'))
    await this.#node.close()
    await this.#booting?.catch(() => {})
    await Promise.all(this.#creating)
    await this.store.close()
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #checkReady (): void {
    if (this.#halting !== undefined) throw new KernelError('Closed', 'the kernel was halted')
    if (!this.ready) throw new KernelError('NotReady', 'Kernel not ready, did you await kernel.boot()?')
  }

  async #localChains (): Promise<LocalChain[]> {
    return (await this.repo.listChains()).map(c => ({ chainId: c.chainId, height: c.height, tip: c.tip }))
  }

  async * #segments (chainId: Uint8Array, from: number, maxBlocks: number): AsyncGenerator<Feed> {
    const info = await this.repo.chainInfo(chainId)
    if (info === undefined || from > info.height) return
    yield * this.#range(info.tip, info.height - from + 1, maxBlocks)
  }

  /**
   * The `count` blocks ending with `id`, oldest first, `maxBlocks` at a time. A longer range is
   * walked back once to find where each piece ends, then read forward piece by piece, so it is
   * never held whole (two reads of each block, no more memory than one piece).
   */
  async * #range (id: Uint8Array, count: number, maxBlocks: number): AsyncGenerator<Feed> {
    const info = this.#tips.get(id)
    if (info !== undefined && count <= maxBlocks && info.height - count + 1 >= info.start) {
      // The tip of a chain just read (a fetch answer): its blocks are read by height, no walk.
      const feed = await this.repo._segment(info.chainId, info.height - count + 1, info.height)
      if (feed !== undefined && bytesEqual(feed.last?.sig, id)) { yield feed; return }
    }
    if (count <= maxBlocks) {
      const feed = await this.repo.loadFeed(id, count)
      if (feed !== undefined) yield feed
      return
    }
    const ends: Array<[Uint8Array, number]> = []
    let ptr: Uint8Array | undefined = id
    for (let left = count; left > 0 && ptr !== undefined;) {
      const n = Math.min(maxBlocks, left)
      const piece: Feed | undefined = await this.repo.loadFeed(ptr, n)
      if (piece === undefined) break
      ends.push([ptr, piece.length])
      left -= piece.length
      ptr = piece.first?.psig
    }
    for (let i = ends.length - 1; i >= 0; i--) {
      const [end, n] = ends[i] as [Uint8Array, number]
      const piece = await this.repo.loadFeed(end, n)
      if (piece !== undefined) yield piece
    }
  }

  /**
   * Verifies a peer's blocks before they reach the store, outside its lock. Blocks already
   * stored are recognised first (a replay costs index reads, not signature checks); orphans
   * are verified too, so a peer that forges any block is dropped. With a verifier (a worker
   * pool by default in Node) the blocks are checked in parallel off the main thread; without,
   * a slice at a time with a yield between slices, so a flood cannot stall other peers.
   * `lastUnstored`: the caller has just read that the last block is not stored (no second read).
   */
  async #verify (feed: Feed, lastUnstored = false): Promise<void> {
    const blocks = feed.blocks
    const last = blocks[blocks.length - 1]
    if (last === undefined || last._verified) return
    if (!lastUnstored) {
      if (await this.repo.hasBlock(last.sig)) return
      this.#unstoredAhead.add(feed)
    }
    let i = 0
    while (i < blocks.length - 1 && await this.repo.hasBlock((blocks[i] as Block).sig)) i++
    const todo: Block[] = []
    for (; i < blocks.length; i++) if (!(blocks[i] as Block)._verified) todo.push(blocks[i] as Block)
    const verifier = this.#verifier === undefined ? defaultVerifier() : this.#verifier
    if (verifier !== null && todo.length >= POOL_MIN) {
      const ok = await verifier.verifyBatch(todo.map(b => ({ sig: b.sig, msg: b.buffer.subarray(SIG_SIZE), pk: b.key })))
      counters.verifications += todo.length
      const bad = ok.findIndex(v => !v)
      if (bad >= 0 || ok.length !== todo.length) throw forgedError(blocks.indexOf(todo[bad] as Block), blocks.length)
      for (const b of todo) b._verified = true
      return
    }
    for (let n = 0; n < todo.length; n++) {
      const b = todo[n] as Block
      if (!b.verify()) throw forgedError(blocks.indexOf(b), blocks.length)
      if ((n + 1) % VERIFY_SLICE === 0) await yieldTurn()
    }
  }

  /**
   * Records what `peer` showed of an author: `block` on our branch (stored or accepted), or
   * one the store refused (a fork or a second genesis, with the default merge strategy). A peer
   * that has shown both a block on our branch at some height of a chain and a refused block at
   * that height or below holds two blocks at one position: equivocation. An honest peer whose
   * kernel refuses forks, as ours does, holds one branch per chain and never does this;
   * relaying one side of a fork is not equivocation. Index reads only once a refusal is seen.
   *
   * @returns a promise only when there is something to check
   */
  #checkEquivocation (block: Block, refused: boolean, peer: PeerInfo): Promise<void> | undefined {
    let byAuthor = this.#shown.get(peer)
    if (byAuthor === undefined) this.#shown.set(peer, byAuthor = new Map())
    // Found by the key's first 6 bytes (keys are uniformly random), then compared whole.
    const k = block.key
    const h = ((k[0] as number) * 0x10000000000) + ((k[1] as number) * 0x100000000) + ((k[2] as number) << 24 >>> 0) + ((k[3] as number) << 16) + ((k[4] as number) << 8) + (k[5] as number)
    let bucket = byAuthor.get(h)
    if (bucket === undefined) byAuthor.set(h, bucket = [])
    let shown = bucket.find(s => bytesEqual(s.key, k))
    if (shown === undefined) bucket.push(shown = { key: k.slice() })
    if (!refused) {
      shown.ours = block.sig.slice() // not a view: it would keep the whole message alive
      return shown.refused === undefined ? undefined : this.#equivocated(shown)
    }
    return this.#refusedAt(block, shown)
  }

  async #refusedAt (block: Block, shown: Shown): Promise<void> {
    let at: { chainId: Uint8Array | null, height: number } = { chainId: null, height: 0 }
    if (block.psig !== undefined) {
      const parent = await this.repo.chainOf(block.psig)
      if (parent === undefined) return
      at = { chainId: parent.chainId, height: parent.height + 1 }
    }
    if (shown.refused === undefined || at.height < shown.refused.height) shown.refused = at
    if (shown.ours !== undefined) await this.#equivocated(shown)
  }

  async #equivocated (shown: Shown): Promise<void> {
    const bad = shown.refused
    const ours = shown.ours === undefined ? undefined : await this.repo.chainOf(shown.ours)
    if (bad === undefined || ours === undefined || (bad.chainId !== null && !bytesEqual(bad.chainId, ours.chainId)) || ours.height < bad.height) return
    throw new KernelError('InvalidBlocks', `equivocation: the peer sent two different blocks by one author at height ${bad.height} of a chain`)
  }

  /**
   * Counts blocks of `peer` the store refused (a rule's rejection, a stranger on an owned
   * chain ...). A peer running our rules never sends one: past `maxRefused` it is a `Flood`,
   * so a flood of blocks the rules refuse costs the node a bounded number of dispatches.
   */
  #countRefused (n: number, peer: PeerInfo): void {
    const total = (this.#refused.get(peer) ?? 0) + n
    this.#refused.set(peer, total)
    const max = this.#node.limits.maxRefused
    if (total > max) throw new KernelError('Flood', `more than ${max} blocks refused by the rules`)
  }

  /**
   * Verifies and dispatches a peer's message, `INGEST_SLICE` blocks at a time so that one
   * large message never holds the store's lock for long (other peers' blocks interleave).
   */
  async #ingest (feed: Feed, peer: PeerInfo): Promise<IngestResult> {
    const accepted: Feed[] = []
    let stashed = 0
    // A message is one chain segment, and a block is stored only after its parent: when its
    // last block is stored, so is every block of it. Such a duplicate (two answers crossing, a
    // replay) costs one index read: no verification, no dispatch.
    const last = feed.last
    if (last !== undefined && !this.#unstoredAhead.delete(feed) && await this.repo.hasBlock(last.sig)) {
      const check = this.#checkEquivocation(last, false, peer)
      if (check !== undefined) await check
      return { accepted, missing: undefined }
    }
    for (let i = 0; i < feed.length; i += INGEST_SLICE) {
      const part = feed.length <= INGEST_SLICE ? feed : feed.slice(i, i + INGEST_SLICE)
      await this.#verify(part, part === feed) // the whole message: its last block was just found unstored
      const res = await this.onblocks(part, peer)
      const forged = res.rejected.find(r => r.code === 'SignatureVerificationFailed')
      if (forged !== undefined) throw new KernelError('InvalidBlocks', `peer sent a block that does not verify: ${forged.reason}`)
      const clean = res.rejected.length === 0 && res.postponed === 0 && res.stashed === 0
      const ours = clean ? part.last : res.accepted[res.accepted.length - 1]?.last
      const check = ours === undefined ? undefined : this.#checkEquivocation(ours, false, peer)
      if (check !== undefined) await check
      const refused = res.rejected.find(r => r.code === 'Refused')
      if (refused !== undefined) await this.#checkEquivocation(refused.block, true, peer)
      const refusals = res.rejected.length === 0 ? 0 : res.rejected.filter(r => r.code !== 'Refused').length
      if (refusals > 0) this.#countRefused(refusals, peer)
      accepted.push(...res.accepted)
      stashed += res.stashed
      // A refused or postponed block ends the message, as one dispatch would: its children
      // must not wait in the mempool for a parent that will not come.
      if (res.rejected.length > 0 || res.postponed > 0) break
    }
    let missing: Uint8Array | undefined
    const first = feed.first
    if (stashed > 0 && first?.psig !== undefined && !(await this.repo.hasBlock(first.psig))) missing = first.psig
    return { accepted, missing }
  }
}

function forgedError (at: number, of: number): KernelError {
  return new KernelError('InvalidBlocks', `peer sent a block whose signature does not verify (block ${at} of ${of})`)
}

/** Refuses the arguments a port from the original might pass to `spawnWire` by mistake. */
function checkSpawnDetails (details: unknown): void {
  if (typeof details !== 'object') {
    throw new TypeError(`kernel.spawnWire() takes no ${typeof details}: write kernel.spawnWire() (an options object is ignored)`)
  }
  const d = details as Record<string, unknown>
  if (typeof d.open === 'function' && typeof d.close === 'function') {
    throw new TypeError('kernel.spawnWire() takes no plug: connect two plugs with a.spawnWire().open(b.spawnWire())')
  }
  if (typeof d.write === 'function' || typeof d.send === 'function') {
    throw new TypeError('kernel.spawnWire() takes no socket: write streamWire(kernel.spawnWire(), socket) or wsWire(kernel.spawnWire(), ws)')
  }
}

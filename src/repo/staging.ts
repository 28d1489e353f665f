// Pending writes and the merge rule: the batch under construction, an overlay that later
// reads consult first (so several blocks can be prepared before one write), and the decision
// whether a block may be stored (one merge rule for every caller).
import { FeedError, cmp } from '../feed/index.js'
import type { Block } from '../feed/index.js'
import { bytesEqual, latin1 } from '../internal/bytes.js'
import { NS_BLOCK_TO_CHAIN, NS_CHAIN_CHILDREN, NS_CHAIN_INFO, NS_HEAD, NS_LATEST, NS_OWNER_CHAINS, NS_TAIL } from './constants.js'
import { repoErr } from './errors.js'
import { blockKey, dbKey, decodeLocation, encodeChain, encodeLocation, u32 } from './codec.js'
import type { BlockLocation, ChainInfo } from './codec.js'
import type { RepoIo } from './db.js'
import { del, put, type BatchOp } from '../internal/level.js'
import type { Repo, MergeStrategy, PrepareResult } from './repo.js'

/** @internal one pending write (`value` null: a delete) of a root-database key */
export interface Write { key: Uint8Array, value: Uint8Array | null }

/** Writes merged by byte comparison rather than through the index (see {@link Pending}). */
const FEW = 16

/**
 * @internal Pending writes, keyed as the root database stores them. A later write to the same
 * key replaces the earlier (in its place), so a batch of many blocks of one chain writes its
 * HEAD, LATEST and chain record once. The index (latin1 of each key) is built only when a read
 * consults the writes: a single block staged and written, the common case of live gossip,
 * never builds it.
 */
export class Pending {
  blocks: number = 0
  readonly prefix: Uint8Array
  /** Batch operations without per-op encodings (see `viewDefault`). */
  readonly bare: boolean
  /** The writes in batch order; those from `_n` on are not indexed yet (and may repeat a key). */
  private _w: Write[] = []
  private _n = 0
  private readonly _index: Map<string, Write> = new Map()
  constructor (prefix: Uint8Array, bare = false) { this.prefix = prefix; this.bare = bare }
  put (key: Uint8Array, value: Uint8Array): void { this._w.push({ key, value }) }
  del (key: Uint8Array): void { this._w.push({ key, value: null }) }
  /** Nothing is pending. */
  get empty (): boolean { return this._w.length === 0 }
  /** Number of distinct keys written. */
  get size (): number { this._merge(); return this._w.length }

  /** The pending write of `key`, if any. */
  lookup (key: Uint8Array): Write | undefined {
    if (this._w.length === 0) return undefined
    this._indexAll()
    return this._index.get(latin1(key))
  }

  get ops (): BatchOp[] {
    this._merge()
    const bare = this.bare
    const ops: BatchOp[] = []
    for (const w of this._w) ops.push(w.value === null ? del(w.key, bare) : put(w.key, w.value, bare))
    return ops
  }

  clear (): void { this._w = []; this._n = 0; this._index.clear(); this.blocks = 0 }

  /** Indexes the writes not yet indexed, folding each repeated key into its first write. */
  private _indexAll (): void {
    const w = this._w
    let o = this._n
    for (let i = o; i < w.length; i++) {
      const x = w[i] as Write
      const k = latin1(x.key)
      const first = this._index.get(k)
      if (first !== undefined) { first.value = x.value; continue }
      this._index.set(k, x)
      w[o++] = x
    }
    w.length = o
    this._n = o
  }

  /** Folds repeated keys: by comparing bytes while the writes are few and none is indexed, else through the index. */
  private _merge (): void {
    const w = this._w
    if (this._n === w.length) return
    if (this._n > 0 || w.length > FEW) { this._indexAll(); return }
    let o = 0
    next: for (let i = 0; i < w.length; i++) {
      const x = w[i] as Write
      for (let j = 0; j < o; j++) {
        const y = w[j] as Write
        if (bytesEqual(y.key, x.key)) { y.value = x.value; continue next }
      }
      w[o++] = x
    }
    w.length = o
  }
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
  constructor (prefix: Uint8Array, bare = false) { this._p = new Pending(prefix, bare) }

  /** The staged operations (root-database batch operations). */
  get ops (): BatchOp[] { return this._p.ops }

  /** Number of staged blocks. */
  get blocks (): number { return this._p.blocks }

  /** Number of staged writes. */
  get size (): number { return this._p.size }

  /** Drops everything staged (after a commit, or to abandon it). */
  clear (): void { this._p.clear() }
}

/** @internal an accepted preparation, without its operations (they are in the Pending) */
export type Prepared = Exclude<PrepareResult, { accepted: true }> | Omit<Extract<PrepareResult, { accepted: true }>, 'ops'>

/**
 * @internal Decides whether `block` may be stored and stages its writes into `p`: the merge
 * rule of {@link Repo} (see its TSDoc), then the chain index updates.
 */
export async function prepare (
  r: Repo, io: RepoIo, block: Block, inline: MergeStrategy | undefined, p: Pending, beforeStrategy?: () => Promise<void>, fresh = false,
  seq?: number, known?: ChainInfo
): Promise<Prepared> {
  const id = block.sig
  if (!fresh && await io.stored(id, p)) return { accepted: false, reason: 'Stored' }
  let ploc: BlockLocation | undefined
  let pchain: ChainInfo | undefined
  let owner: Uint8Array
  let headChain: Uint8Array | undefined
  let headRead = false
  // Most blocks extend their signer's head: its HEAD and that chain are read first, and when
  // the chain's tip is the parent, the parent's location needs no read of its own.
  let signerHead: ChainInfo | undefined
  let signerHeadRead = false
  if (block.psig !== undefined && known === undefined) {
    const hc = await io.read(NS_HEAD, block.key, undefined, p)
    if (hc !== undefined) signerHead = await io.chain(hc, p)
    signerHeadRead = hc === undefined || signerHead !== undefined // (a HEAD naming no chain is left to the reads below)
    if (signerHead !== undefined && cmp(signerHead.owner, block.key)) known = signerHead
  }
  if (block.psig === undefined) {
    owner = block.key
  } else if (known !== undefined && cmp(known.tip, block.psig)) {
    // The chain was read through its owner's HEAD (by the caller under its own lock, or just
    // above; seeing `p`) and the block extends its tip: the parent's location, its chain and
    // HEAD are known, no read.
    owner = known.owner
    ploc = { chainId: known.chainId, height: known.height, owner }
    pchain = known
    headChain = known.chainId
    headRead = true
  } else {
    const v = await io.read(NS_BLOCK_TO_CHAIN, block.psig, undefined, p)
    if (v === undefined) return { accepted: false, reason: 'ParentNotFound' }
    ploc = decodeLocation(v)
    owner = ploc.owner
    pchain = await io.chain(ploc.chainId, p)
    if (pchain === undefined) throw repoErr('CorruptIndex', 'block of an unknown chain')
    if (signerHeadRead && cmp(owner, block.key)) { headChain = signerHead?.chainId; headRead = true }
  }
  // HEAD names the owner's tracked chain; its tip is the head (the parent's chain is read already).
  if (!headRead) headChain = await io.read(NS_HEAD, owner, undefined, p)
  const head = headChain === undefined
    ? undefined
    : pchain !== undefined && cmp(headChain, pchain.chainId)
      ? pchain.tip
      : signerHead !== undefined && cmp(headChain, signerHead.chainId) ? signerHead.tip : await io.head(owner, p)
  // A genesis is always its signer's own; other blocks need the owner's key unless 'any'.
  const allowed = r.appendPolicy === 'any' || cmp(block.key, owner)
  let ok = allowed && (head === undefined ||
    (block.psig !== undefined && cmp(head, block.psig)) ||
    r.allowDetached ||
    (ploc !== undefined && await isAncestor(io, head, ploc, p)))
  if (!ok) {
    if (beforeStrategy !== undefined) await beforeStrategy() // strategies see the repo as it is
    for (const s of inline === undefined ? r.strategies : [inline, ...r.strategies]) {
      if (await s(block, r)) { ok = true; break }
    }
    if (!ok) return { accepted: false, reason: 'Refused' }
  }
  if (!block._verified && !block.verify()) throw new FeedError('SignatureVerificationFailed', 'block has a bad signature')
  return stageBlock(block, owner, ploc, pchain, p, headChain, seq)
}

/**
 * The writes of an accepted block: its bytes, location (with the acceptance position `seq`,
 * if given), chain record and pointers; HEAD only when the owner's tracked chain changes.
 */
function stageBlock (
  block: Block, owner: Uint8Array, ploc: BlockLocation | undefined, pchain: ChainInfo | undefined, p: Pending,
  headChain: Uint8Array | undefined, seq: number | undefined
): Prepared {
  // A copy: the block's signature is a view into the message it came in, and a backend that
  // stores the view (memory-level) or clones its whole buffer (IndexedDB's structured clone)
  // would keep that message once per TAIL, HEAD and LATEST record.
  const id = block.sig.slice()
  const pre = p.prefix
  let info: ChainInfo
  let fork = false
  if (ploc === undefined || pchain === undefined) {
    info = { chainId: id, owner, tip: id, height: 0, start: 0, root: id, parent: undefined }
    p.put(dbKey(pre, NS_TAIL, block.key), id)
  } else if (cmp(pchain.tip, block.psig as Uint8Array)) {
    // (a literal, not a spread of pchain: V8 builds a spread followed by more properties slowly)
    info = { chainId: pchain.chainId, owner: pchain.owner, tip: id, height: ploc.height + 1, start: pchain.start, root: pchain.root, parent: pchain.parent }
  } else {
    fork = true
    const height = ploc.height + 1
    info = { chainId: id, owner, tip: id, height, start: height, root: pchain.root, parent: block.psig }
    p.put(dbKey(pre, NS_CHAIN_CHILDREN, ploc.chainId, id), u32(height))
  }
  if (info.start === info.height) p.put(dbKey(pre, NS_OWNER_CHAINS, owner, id), u32(info.start))
  p.put(blockKey(pre, info.chainId, info.height), block.buffer.slice())
  p.put(dbKey(pre, NS_BLOCK_TO_CHAIN, id), encodeLocation(info.chainId, info.height, owner, seq))
  p.put(dbKey(pre, NS_CHAIN_INFO, info.chainId), encodeChain(info))
  if (headChain === undefined || !cmp(headChain, info.chainId)) p.put(dbKey(pre, NS_HEAD, owner), info.chainId)
  p.put(dbKey(pre, NS_LATEST, block.key), id)
  return { accepted: true, chainId: info.chainId, height: info.height, owner, root: info.root, fork }
}

// Is block `head` an ancestor of (or equal to) the block at `loc`? Walks chains, not blocks.
async function isAncestor (io: RepoIo, head: Uint8Array, loc: BlockLocation, p: Pending): Promise<boolean> {
  const v = await io.read(NS_BLOCK_TO_CHAIN, head, undefined, p)
  if (v === undefined) return false
  const h = decodeLocation(v)
  let cur = loc
  for (;;) {
    if (cmp(cur.chainId, h.chainId)) return h.height <= cur.height
    const c = await io.chain(cur.chainId, p)
    if (c?.parent === undefined) return false
    const pv = await io.read(NS_BLOCK_TO_CHAIN, c.parent, undefined, p)
    if (pv === undefined) return false
    cur = decodeLocation(pv)
  }
}

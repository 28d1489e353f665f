// Ingest: each block of a dispatched feed is checked (stored? evicted? parent known?
// signature?), run through its collection's rules and staged with all its effects.
import { Feed, toHex, type Block } from '../feed/index.js'
import { bytesEqual, latin1 } from '../internal/bytes.js'
import { decodeBody } from './body.js'
import { Slice } from './slice.js'
import { Txn, type TxnOwner } from './txn.js'
import { OK, type DispatchContext, type Verdict } from './context.js'
import { encodeEntry } from './entry.js'
import type { ObjectId } from './keys.js'
import { GROUP_MAX, type Link, type Linked, type StoreCore } from './core.js'
import type { DispatchOptions, DispatchResult } from './types.js'
import type { RejectionCode } from './errors.js'
import type { ChainInfo } from '../repo/index.js'

/** @internal what happened to one block */
export type Outcome = Verdict | { kind: 'stored' } | { kind: 'orphan' }

/**
 * @internal Blocks known not to be stored: `createBlock` signs them on its owner's HEAD, the
 * tip of its chain, whose child cannot be stored yet. Their "already have it" read is skipped.
 */
export const unstored: WeakSet<Block> = new WeakSet()

/**
 * @internal The chain `createBlock` read through its signer's HEAD (under the lock, seeing the
 * stage) for a block it signed on that chain's tip: the repo then skips the reads of the
 * parent's location, chain and HEAD.
 */
export const headChains: WeakMap<Block, ChainInfo> = new WeakMap()

/** @internal an empty dispatch result */
export function newResult (): DispatchResult {
  return { accepted: [], rejected: [], postponed: 0, stashed: 0 }
}

/** @internal a feed of consecutive `blocks` (already verified or trusted) with `room` spare bytes, not the 2 KiB default */
export function feedOf (blocks: Block[], room: number): Feed {
  let size = 4 + room
  for (const b of blocks) size += b.blockSize
  const f = new Feed(size)
  for (const b of blocks) f._push(b, false)
  return f
}

function refusal (reason: 'Stored' | 'ParentNotFound' | 'Refused'): Outcome {
  if (reason === 'Stored') return { kind: 'stored' }
  if (reason === 'ParentNotFound') return { kind: 'orphan' }
  return { kind: 'reject', code: 'Refused', reason: 'Refused' }
}

/**
 * @internal Ingests a run of blocks (one chain segment) under the lock: the accepted ones are
 * staged; the first refused, postponed or orphaned block ends the run. Children waiting in the
 * mempool for an accepted block are appended to `queue`.
 */
export async function ingest (c: StoreCore, blocks: Block[], res: DispatchResult, opts: DispatchOptions, queue: Block[][]): Promise<void> {
  const seg: Block[] = []
  let prev: Linked | undefined
  let lastKnown: Block | undefined
  let fresh = false
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k] as Block
    const hid = latin1(b.sig)
    const continues = prev !== undefined && bytesEqual(b.psig, prev.block.sig)
    // Cheap "already have it" checks come before any verification (a child of a block
    // accepted in this run cannot be stored yet).
    if (!(continues && fresh) && !unstored.delete(b)) {
      let known = c.chains.has(hid)
      if (!known) { const s = c.repo._hasBlock(b.sig); known = typeof s === 'boolean' ? s : await s } // no await on a synchronous read
      if (known) { lastKnown = b; prev = c.chains.get(hid); fresh = false; continue }
    }
    if (c.tombs.size > 0 && (c.tombs.has(hid) || (b.psig !== undefined && c.tombs.has(latin1(b.psig))))) {
      await c.stage.flush()
      c.tombs.add(hid)
      reject(c, res, b, 'Evicted', 'Evicted')
      break
    }
    let link: Link | undefined
    if (b.psig === undefined) link = { parent: null, chainId: b.sig, owner: b.key }
    else if (continues && prev !== undefined) link = { parent: prev.block, chainId: prev.chainId, owner: prev.owner, hx: prev.hx, phid: prev.hid }
    else {
      const phid = latin1(b.psig)
      link = cachedLink(c, phid) ?? await storedLink(c, b.psig, phid, lastKnown) // (the cache: the usual case, no async call)
    }
    if (link === undefined) { await c.stage.flush(); stash(c, blocks.slice(k), res); break }
    if (!b._verified && !b.verify()) { await c.stage.flush(); reject(c, res, b, 'SignatureVerificationFailed', 'SignatureVerificationFailed'); break }
    // Chains are owned (unless the store opted in to multi-writer chains): checked before any
    // rule runs, after the signature (a forged block is reported as forged).
    if (c.appendPolicy === 'owner' && !bytesEqual(b.key, link.owner)) {
      await c.stage.flush()
      reject(c, res, b, 'NotOwner', `NotOwner: block signed by ${toHex(b.key, 8)} extends a chain owned by ${toHex(link.owner, 8)}`)
      break
    }
    // Reaching here, the block is known not to be stored (checked above, or its parent was
    // accepted in this run): the repo skips its own check.
    const out = await processBlock(c, b, link, false)
    if (out.kind === 'ok') {
      seg.push(b)
      prev = { parent: link.parent, chainId: link.chainId, owner: link.owner, hx: link.hx, phid: link.phid, block: b, hid }
      fresh = true
      c.remember(hid, prev)
      c.stage.hids.push(hid)
      c.attempts.delete(hid)
      if (c.mempool.size > 0) {
        const kids = c.mempool.take(b.sig)
        for (const f of kids) queue.push(f.blocks as Block[])
      }
      if (c.stage.blocks >= GROUP_MAX) await c.stage.flush()
      continue
    }
    await c.stage.flush()
    if (out.kind === 'stored') { lastKnown = b; prev = undefined; fresh = false; continue }
    if (out.kind === 'orphan') { stash(c, blocks.slice(k), res); break }
    if (out.kind === 'postpone') { postpone(c, blocks.slice(k), out, res, opts); break }
    reject(c, res, b, out.code, out.reason)
    break
  }
  // The accepted run becomes a patch, committed by the dispatch (now, or with its group); its
  // event is delivered after the batch that holds it.
  if (seg.length > 0) {
    const patch = feedOf(seg, 0)
    res.accepted.push(patch)
    if (c.events.tapped) c.stage.events.push({ event: 'patch-merged', patch })
  }
}

function reject (c: StoreCore, res: DispatchResult, block: Block, code: RejectionCode, reason: string): void {
  c.attempts.delete(latin1(block.sig))
  res.rejected.push({ block, code, reason })
  c.events.emit({ event: 'rejected', block, code, reason })
}

function stash (c: StoreCore, blocks: Block[], res: DispatchResult): void {
  c.mempool.add(blocks)
  res.stashed += blocks.length
  c.events.emit({ event: 'stashed', blocks: blocks.length })
}

function postpone (c: StoreCore, blocks: Block[], v: { reason: string, time: number, retries: number }, res: DispatchResult, opts: DispatchOptions): void {
  const first = blocks[0] as Block
  const hid = latin1(first.sig)
  const attempt = (c.attempts.get(hid) ?? 0) + 1
  if (attempt > v.retries || opts.loud === true) {
    reject(c, res, first, 'Postponed', v.reason)
    return
  }
  c.attempts.set(hid, attempt)
  res.postponed += 1
  c.events.emit({ event: 'postponed', block: first, reason: v.reason, time: v.time, attempt })
  const t = setTimeout(() => {
    c.timers.delete(t)
    if (c.closed) return
    c.redispatch(blocks, opts.source).catch((error: unknown) => {
      if (!c.closed) c.events.emit({ event: 'error', error })
    })
  }, v.time)
  c.timers.add(t)
}

/** @internal parent, chain id and owner of a stored block `psig` (undefined when it is not stored) */
export async function linkOf (c: StoreCore, psig: Uint8Array, known: Block | undefined): Promise<Link | undefined> {
  const phid = latin1(psig)
  return cachedLink(c, phid) ?? await storedLink(c, psig, phid, known)
}

/** The link of the block whose id is `phid` (latin1) from the store's chain cache, if there. */
function cachedLink (c: StoreCore, phid: string): Link | undefined {
  const cached = c.chains.get(phid)
  return cached === undefined ? undefined : { parent: cached.block, chainId: cached.chainId, owner: cached.owner, hx: cached.hx, phid }
}

/** The link of block `psig` read from the repo (`known`: the block itself, when the caller has it). */
async function storedLink (c: StoreCore, psig: Uint8Array, phid: string, known: Block | undefined): Promise<Link | undefined> {
  const parent = known !== undefined && bytesEqual(known.sig, psig) ? known : await c.repo.readBlock(psig)
  if (parent === undefined) return undefined
  const loc = await c.repo.chainOf(psig) // (its owner too: one read)
  if (loc === undefined) return undefined
  return { parent, chainId: loc.chainId, owner: loc.owner, phid }
}

/**
 * @internal Runs one block through the rules (its Memory, then every slice, then the traps of
 * the signals raised) and stages it with all its effects. `replay`: the block is stored
 * already (reload), only its effects are staged.
 */
export async function processBlock (c: StoreCore, b: Block, link: Link, replay: boolean): Promise<Outcome> {
  let body
  try {
    body = decodeBody(b.body)
  } catch (err) {
    return { kind: 'reject', code: 'UnrecognizedBlockFormat', reason: (err as Error).message, cause: err }
  }
  const hx = link.hx ??= { author: toHex(link.owner), chain: toHex(link.chainId) }
  const dctx: DispatchContext = {
    block: b,
    parentBlock: link.parent,
    owner: link.owner,
    signer: b.key,
    AUTHOR: hx.author,
    CHAIN: hx.chain,
    root: body.root,
    payload: body.payload,
    date: body.date
  }
  const blockRoot = c.repo.allowDetached ? link.chainId : link.owner
  const txn = new Txn()
  let taken = false
  const mem = c.roots.get(body.root)
  if (mem !== undefined && !(mem instanceof Slice)) {
    const v = await mem._apply(dctx, txn, blockRoot)
    if (v.kind !== 'ok') return v
    taken = true
  }
  const sctx = { block: b, parentBlock: link.parent, owner: link.owner, signer: b.key, AUTHOR: dctx.AUTHOR, CHAIN: dctx.CHAIN }
  for (const s of c.slices) {
    const v = await s._reduce(sctx, txn)
    if (v === 'skip') continue
    if (v.kind !== 'ok') return v
    taken = true
  }
  if (!taken) return { kind: 'reject', code: 'UnknownCollection', reason: `UnknownCollection: ${body.root}` }
  // Traps run inside the block's transaction and are awaited (their writes commit with the block).
  for (const sig of txn.signals) {
    try {
      for (const m of c.roots.values()) {
        if (m instanceof Slice) await m._sliceTrap(sig.type, sig.payload, sctx, txn)
        else await m._trap(sig.type, sig.payload, txn)
      }
    } catch (err) {
      return { kind: 'reject', code: 'TrapFailed', reason: `TrapFailed: ${(err as Error).message}`, cause: err }
    }
  }
  // Encode the block's state first: an unencodable value refuses the block before anything is staged.
  const encs: Array<[TxnOwner, ObjectId, Uint8Array]> = []
  try {
    for (const [owner, m] of txn.objs) for (const [id, e] of m) if (e !== null) encs.push([owner, id, encodeEntry(e)])
  } catch (err) {
    if (!replay) {
      await c.stage.flush()
      const prep = await c.repo.prepareBlock(b, c.strategy)
      if (!prep.accepted) return refusal(prep.reason)
    }
    return { kind: 'reject', code: 'UnencodableState', reason: `UnencodableState: ${(err as Error).message}`, cause: err }
  }
  const st = c.stage
  if (!replay) {
    // The acceptance log: each block's seq is recorded with its location in the repo (no
    // record of its own); the position itself is kept in the metas.
    const head = headChains.get(b)
    if (head !== undefined) headChains.delete(b)
    const prep = await c.repo._stage(b, c.strategy, st.rs, c.seq + 1, head)
    if (!prep.accepted) return refusal(prep.reason)
    c.seq++
    st.seqs++
  }
  st.add(txn, encs, b.sig)
  if (c.events.tapped) st.events.push(replay ? { event: 'reload', block: b, root: body.root } : { event: 'merged', block: b, root: body.root })
  return OK
}

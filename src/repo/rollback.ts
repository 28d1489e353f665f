// Rollback planning: which blocks go (with every branch forked off them), and where the
// HEAD, TAIL and LATEST pointers that pointed at them move. Nothing is written here.
import { cmp, feedFrom } from '../feed/index.js'
import type { Block, Feed } from '../feed/index.js'
import { latin1 } from '../internal/bytes.js'
import { NS_BLOCK_TO_CHAIN, NS_CHAIN_CHILDREN, NS_CHAIN_INFO, NS_HEAD, NS_LATEST, NS_OWNER_CHAINS, NS_TAIL } from './constants.js'
import { repoErr } from './errors.js'
import { blockKey, chainOfOwnerKey, childOfChildrenKey, decodeU32, encodeChain, mkKey } from './codec.js'
import type { BlockLocation, ChainInfo } from './codec.js'
import type { RepoIo } from './db.js'
import { Pending } from './staging.js'
import { chainload } from './walk.js'
import type { RollbackPlan } from './repo.js'

/** Chain (by latin1 id) -> its record and the lowest height that goes. */
type Plan = Map<string, { info: ChainInfo, from: number }>

/** What phase 3 removed. */
interface Removed {
  /** Removed blocks per chain, newest first. */
  byChain: Map<string, Block[]>
  /** Ids (latin1) of every removed block. */
  ids: Set<string>
  /** New tip per touched chain (undefined: the chain is gone). */
  newTips: Map<string, Uint8Array | undefined>
  /** Owners of the touched chains. */
  owners: Map<string, Uint8Array>
}

/**
 * @internal Plans the removal of the blocks after `stopAt` (all of them without it) of the
 * chain `head` names (an owner pk: its HEAD chain; a block or chain id: that block's branch).
 */
export async function planRollback (io: RepoIo, head: Uint8Array, stopAt: Uint8Array | undefined): Promise<RollbackPlan | null> {
  const tip = await resolveTip(io, head)
  if (tip === undefined) return null
  const stopLoc = stopAt === undefined ? undefined : await io.loc(stopAt)
  if (stopAt !== undefined && stopLoc === undefined) throw repoErr('ReferenceNotFound', '"stopAt" is not stored')

  const plan = await pathPlan(io, tip, stopLoc)
  if (plan.size === 0) return null
  await addForks(io, plan)
  const p = new Pending(io.prefix, io.bare)
  const removed = await removeSegments(io, plan, p)
  const { path, orphans } = splitPath(tip, removed.byChain)
  const gone = (x: Uint8Array | undefined): boolean => x !== undefined && removed.ids.has(latin1(x))
  const heads = await relocateHeads(io, removed, stopLoc, gone, p)
  const authors = await relocateTails(io, [...path, ...orphans.flatMap(f => f.blocks)], gone, p)
  await relocateLatest(io, authors, heads, stopAt, gone, p)
  return { ops: p.ops, evicted: feedFrom(path.reverse(), true), orphans }
}

/** The tip to roll back from: HEAD of an owner pk, or the tip of a block's chain. */
async function resolveTip (io: RepoIo, head: Uint8Array): Promise<Uint8Array | undefined> {
  if (head.length === 32) return io.head(head)
  const loc = await io.loc(head)
  return loc === undefined ? undefined : (await io.chain(loc.chainId))?.tip
}

/** Phase 1: the path from the tip back to stopAt, chain by chain: chain -> lowest evicted height. */
async function pathPlan (io: RepoIo, tip: Uint8Array, stopLoc: BlockLocation | undefined): Promise<Plan> {
  const plan: Plan = new Map()
  let loc = await io.loc(tip)
  if (loc === undefined) return plan
  let entry = loc.height // height at which the path enters the current chain
  let cid = loc.chainId
  for (;;) {
    const info = await io.chain(cid)
    if (info === undefined) throw repoErr('CorruptIndex', 'chain index missing')
    if (stopLoc !== undefined && cmp(stopLoc.chainId, cid)) {
      if (stopLoc.height > entry) throw repoErr('ReferenceNotFound', '"stopAt" is not on the chain')
      if (stopLoc.height < entry) plan.set(latin1(cid), { info, from: stopLoc.height + 1 })
      return plan
    }
    plan.set(latin1(cid), { info, from: info.start })
    if (info.parent === undefined) {
      if (stopLoc !== undefined) throw repoErr('ReferenceNotFound', '"stopAt" is not on the chain')
      return plan
    }
    loc = await io.loc(info.parent)
    if (loc === undefined) throw repoErr('ParentNotFound', 'the parent of a branch is missing')
    entry = loc.height
    cid = loc.chainId
  }
}

/** Phase 2: close over descendants: branches forking off an evicted block go too. */
async function addForks (io: RepoIo, plan: Plan): Promise<void> {
  const queue = [...plan.values()]
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
    const kids = await io.prefixed(mkKey(NS_CHAIN_CHILDREN, e.info.chainId))
    for (const [k, v] of kids) {
      if (decodeU32(v) <= e.from) continue
      const child = childOfChildrenKey(k)
      const known = plan.get(latin1(child))
      const cinfo = known?.info ?? await io.chain(child)
      if (cinfo === undefined) throw repoErr('CorruptIndex', 'child chain missing')
      if (known !== undefined && known.from <= cinfo.start) continue
      const next = { info: cinfo, from: cinfo.start }
      plan.set(latin1(child), next)
      queue.push(next)
    }
  }
}

/** Phase 3: load what goes, chain by chain; stage the block and chain index changes. */
async function removeSegments (io: RepoIo, plan: Plan, p: Pending): Promise<Removed> {
  const r: Removed = { byChain: new Map(), ids: new Set(), newTips: new Map(), owners: new Map() }
  for (const [ck, { info, from }] of plan) {
    const blocks = await io.segment(info.chainId, from, info.height)
    if (blocks.length !== info.height - from + 1) throw repoErr('ParentNotFound', 'a block of the chain is missing')
    r.byChain.set(ck, blocks)
    r.owners.set(latin1(info.owner), info.owner)
    for (const b of blocks) {
      r.ids.add(latin1(b.sig))
      p.del(io.key(NS_BLOCK_TO_CHAIN, b.sig))
    }
    for (let h = from; h <= info.height; h++) p.del(blockKey(io.prefix, info.chainId, h))
    if (from <= info.start) {
      r.newTips.set(ck, undefined)
      p.del(io.key(NS_CHAIN_INFO, info.chainId))
      p.del(io.key(NS_OWNER_CHAINS, info.owner, info.chainId))
      if (info.parent !== undefined) {
        const pl = await io.loc(info.parent)
        if (pl !== undefined) p.del(io.key(NS_CHAIN_CHILDREN, pl.chainId, info.chainId))
      }
    } else {
      const newTip = (blocks[blocks.length - 1] as Block).psig as Uint8Array
      r.newTips.set(ck, newTip)
      p.put(io.key(NS_CHAIN_INFO, info.chainId), encodeChain({ ...info, tip: newTip, height: from - 1 }))
    }
  }
  return r
}

/** The evicted path (tip back to stopAt, newest first) and the other removed segments (oldest first each). */
function splitPath (tip: Uint8Array, byChain: Map<string, Block[]>): { path: Block[], orphans: Feed[] } {
  const all = new Map<string, Block>()
  for (const blocks of byChain.values()) for (const b of blocks) all.set(latin1(b.sig), b)
  const path: Block[] = []
  for (let b = all.get(latin1(tip)); b !== undefined; b = b.psig === undefined ? undefined : all.get(latin1(b.psig))) {
    path.push(b)
    all.delete(latin1(b.sig))
  }
  const orphans: Feed[] = []
  for (const blocks of byChain.values()) {
    const rest = blocks.filter(b => all.has(latin1(b.sig)))
    if (rest.length > 0) orphans.push(feedFrom(rest.reverse(), true))
  }
  return { path, orphans }
}

/** Chains of an owner with their start heights. */
async function ownerChains (io: RepoIo, owner: Uint8Array): Promise<Array<[Uint8Array, number]>> {
  const rows = await io.prefixed(mkKey(NS_OWNER_CHAINS, owner))
  return rows.map(([k, v]) => [chainOfOwnerKey(k), decodeU32(v)])
}

/**
 * Phase 4a: HEADs that pointed at a removed block move to the remaining tip of stopAt's chain,
 * else to another chain of the owner, else go. Returns the new HEAD per moved owner.
 */
async function relocateHeads (
  io: RepoIo, removed: Removed, stopLoc: BlockLocation | undefined, gone: (x: Uint8Array | undefined) => boolean, p: Pending
): Promise<Map<string, Uint8Array | undefined>> {
  const remainingTipOf = async (chainId: Uint8Array): Promise<Uint8Array | undefined> => {
    const ck = latin1(chainId)
    if (removed.newTips.has(ck)) return removed.newTips.get(ck)
    return (await io.chain(chainId))?.tip
  }
  const heads = new Map<string, Uint8Array | undefined>()
  for (const [ok, owner] of removed.owners) {
    const cur = await io.head(owner)
    if (!gone(cur)) continue
    // HEAD names a chain: it moves to the chain holding the new head tip
    let next: Uint8Array | undefined
    let nextChain: Uint8Array | undefined
    if (stopLoc !== undefined && cmp(stopLoc.owner, owner)) { next = await remainingTipOf(stopLoc.chainId); nextChain = stopLoc.chainId }
    for (const [chainId] of next === undefined ? await ownerChains(io, owner) : []) {
      next = await remainingTipOf(chainId)
      nextChain = chainId
      if (next !== undefined) break
    }
    heads.set(ok, next)
    if (next === undefined) p.del(io.key(NS_HEAD, owner))
    else p.put(io.key(NS_HEAD, owner), nextChain as Uint8Array)
  }
  return heads
}

/** Phase 4b: TAILs that pointed at a removed genesis move to another genesis of the author. Returns the removed blocks' authors. */
async function relocateTails (io: RepoIo, blocks: Block[], gone: (x: Uint8Array | undefined) => boolean, p: Pending): Promise<Map<string, Uint8Array>> {
  const authors = new Map<string, Uint8Array>()
  for (const b of blocks) {
    authors.set(latin1(b.key), b.key)
    const tail = b.genesis ? await io.dbGet(io.key(NS_TAIL, b.key)) : undefined
    if (tail !== undefined && cmp(tail, b.sig)) {
      let next: Uint8Array | undefined
      for (const [chainId, start] of await ownerChains(io, b.key)) {
        if (start === 0 && !gone(chainId)) { next = chainId; break }
      }
      if (next === undefined) p.del(io.key(NS_TAIL, b.key))
      else p.put(io.key(NS_TAIL, b.key), next)
    }
  }
  return authors
}

/**
 * Phase 4c: LATESTs that pointed at a removed block move to the newest remaining block of that
 * author, searched from stopAt, then from the author's own HEAD.
 */
async function relocateLatest (
  io: RepoIo, authors: Map<string, Uint8Array>, heads: Map<string, Uint8Array | undefined>, stopAt: Uint8Array | undefined,
  gone: (x: Uint8Array | undefined) => boolean, p: Pending
): Promise<void> {
  const lost = new Map<string, Uint8Array>()
  for (const [ak, pk] of authors) if (gone(await io.dbGet(io.key(NS_LATEST, pk)))) lost.set(ak, pk)
  if (lost.size === 0) return
  const starts: Uint8Array[] = []
  if (stopAt !== undefined) starts.push(stopAt)
  for (const [ak, pk] of lost) {
    const h = heads.has(ak) ? heads.get(ak) : await io.head(pk)
    if (h !== undefined && !gone(h)) starts.push(h)
  }
  const found = new Map<string, Uint8Array>()
  for (const s of starts) {
    if (found.size === lost.size) break
    for await (const b of chainload(io, s)) {
      const ak = latin1(b.key)
      if (lost.has(ak) && !found.has(ak)) found.set(ak, b.sig.slice())
      if (found.size === lost.size) break
    }
  }
  for (const [ak, pk] of lost) {
    const next = found.get(ak)
    if (next === undefined) p.del(io.key(NS_LATEST, pk))
    else p.put(io.key(NS_LATEST, pk), next)
  }
}

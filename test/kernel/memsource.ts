// A small in-memory BlockSource for testing the sync engine without a store: linear chains,
// verification of new blocks, orphans kept until their parent arrives.
import { Feed, toHex } from '../../src/feed/index.js'
import type { Block } from '../../src/feed/index.js'
import { KernelError } from '../../src/kernel/errors.js'
import { SyncNode } from '../../src/kernel/node.js'
import type { SyncNodeOptions } from '../../src/kernel/node.js'
import { collectDelta } from '../../src/kernel/sync.js'
import type { LocalChain } from '../../src/kernel/sync.js'
import type { BlockPlace, BlockSource, IngestResult, PeerInfo, SyncAnswer } from '../../src/kernel/types.js'
import type { Summary } from '../../src/kernel/protocol.js'

interface Chain { id: string, blocks: Block[] }

export class MemSource implements BlockSource {
  chainsById = new Map<string, Chain>()
  where = new Map<string, { chain: Chain, height: number }>()
  orphans = new Map<string, Block[]>() // by missing parent id
  listeners: Array<(feeds: Feed[], source?: unknown) => void> = []
  verified = 0
  node: SyncNode

  constructor (opts: SyncNodeOptions = {}) {
    this.node = new SyncNode(this, opts)
    this.listeners.push((feeds, source) => this.node.gossip(feeds, source))
  }

  async chains (): Promise<LocalChain[]> {
    return [...this.chainsById.values()].map(c => {
      const tip = c.blocks[c.blocks.length - 1] as Block
      return { chainId: (c.blocks[0] as Block).sig, height: c.blocks.length - 1, tip: tip.sig }
    })
  }

  async * segments (chainId: Uint8Array, from: number, maxBlocks: number): AsyncGenerator<Feed> {
    const w = this.where.get(toHex(chainId))
    if (w === undefined) return
    for (let i = from; i < w.chain.blocks.length; i += maxBlocks) yield Feed.from(w.chain.blocks.slice(i, i + maxBlocks), true)
  }

  async place (id: Uint8Array): Promise<BlockPlace | undefined> {
    const w = this.where.get(toHex(id))
    return w === undefined ? undefined : { chainId: (w.chain.blocks[0] as Block).sig, height: w.height }
  }

  async head (chainId: Uint8Array): Promise<LocalChain | undefined> {
    const c = this.chainsById.get(toHex(chainId))
    if (c === undefined) return undefined
    return { chainId: (c.blocks[0] as Block).sig, height: c.blocks.length - 1, tip: (c.blocks[c.blocks.length - 1] as Block).sig }
  }

  async * range (id: Uint8Array, count: number, maxBlocks: number): AsyncGenerator<Feed> {
    const w = this.where.get(toHex(id))
    if (w === undefined) return
    const blocks = w.chain.blocks.slice(w.height + 1 - count, w.height + 1)
    for (let i = 0; i < blocks.length; i += maxBlocks) yield Feed.from(blocks.slice(i, i + maxBlocks), true)
  }

  query (summary: Summary, _peer: PeerInfo): SyncAnswer {
    return collectDelta(this, summary)
  }

  /** Number of blocks held. */
  get size (): number { return this.where.size }

  /** Authors' block counts, by author hex. */
  get heights (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const c of this.chainsById.values()) out[toHex((c.blocks[0] as Block).key)] = c.blocks.length
    return out
  }

  async ingest (feed: Feed, source: PeerInfo | undefined): Promise<IngestResult> {
    await Promise.resolve()
    const accepted: Block[][] = []
    let missing: Uint8Array | undefined
    let run: Block[] = []
    const flush = (): void => { if (run.length > 0) accepted.push(run); run = [] }
    const add = (b: Block): boolean => {
      const id = toHex(b.sig)
      if (this.where.has(id)) return false
      if (!b._verified) {
        this.verified++
        if (!b.verify()) throw new KernelError('InvalidBlocks', 'signature does not verify')
      }
      if (b.psig === undefined) {
        const chain: Chain = { id, blocks: [b] }
        this.chainsById.set(id, chain)
        this.where.set(id, { chain, height: 0 })
      } else {
        const p = this.where.get(toHex(b.psig))
        if (p === undefined) {
          const list = this.orphans.get(toHex(b.psig)) ?? []
          list.push(b)
          this.orphans.set(toHex(b.psig), list)
          missing ??= b.psig
          return false
        }
        if (p.height !== p.chain.blocks.length - 1) return false // fork: refused
        p.chain.blocks.push(b)
        this.where.set(id, { chain: p.chain, height: p.height + 1 })
      }
      run.push(b)
      // Children that waited for this block.
      const kids = this.orphans.get(id)
      if (kids !== undefined) {
        this.orphans.delete(id)
        for (const k of kids) add(k)
      }
      return true
    }
    for (const b of feed.blocks) {
      if (!add(b)) flush()
    }
    flush()
    if (missing !== undefined && this.where.has(toHex(missing))) missing = undefined
    const feeds = accepted.map(r => Feed.from(r, true))
    if (feeds.length > 0) for (const l of this.listeners) l(feeds, source)
    return { accepted: feeds, missing }
  }

  /** Appends a block to `author`'s chain (creating it) and gossips it. */
  create (sk: Uint8Array | string, body: string, chainKey: string): Promise<void> {
    const run = this.#creating.then(() => this.#create(sk, body, chainKey))
    this.#creating = run
    return run
  }

  #creating: Promise<void> = Promise.resolve()

  async #create (sk: Uint8Array | string, body: string, chainKey: string): Promise<void> {
    const existing = this.chainsById.get(this.own.get(chainKey) ?? '')
    const feed = existing === undefined ? new Feed() : Feed.from(existing.blocks.slice(-1), true)
    feed.append(body, sk)
    const last = feed.last as Block
    await this.ingest(Feed.from([last], true), undefined)
    if (existing === undefined) this.own.set(chainKey, toHex(last.sig))
  }

  own = new Map<string, string>()
}

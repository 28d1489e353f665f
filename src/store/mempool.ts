// The pool of out-of-order ("orphan") blocks, rebuilt (the original's grew without bound):
// bounded in blocks, bytes and age with oldest-first eviction; several children per parent;
// re-assembly by walking parent links forward in chain order; idempotent re-sends.
import { Block, isBlock } from '../feed/block.js'
import { feedFrom, isFeed } from '../feed/feed.js'
import type { Feed } from '../feed/feed.js'
import { au8, toHex } from '../feed/bytes.js'

/** Default {@link MempoolOptions.maxBlocks}. */
export const MEMPOOL_MAX_BLOCKS = 4096
/** Default {@link MempoolOptions.maxBytes}: 16 MiB. */
export const MEMPOOL_MAX_BYTES: number = 16 * 1024 * 1024
/** Default {@link MempoolOptions.maxAgeMs}: 10 minutes. */
export const MEMPOOL_MAX_AGE_MS: number = 10 * 60 * 1000

/** Limits of a {@link Mempool}. */
export interface MempoolOptions {
  /** Most blocks held at once (default 4096). */
  maxBlocks?: number
  /** Most bytes held at once, counted as whole block sizes (default 16 MiB). */
  maxBytes?: number
  /** How long a block may wait for its parent, in ms (default 10 minutes). */
  maxAgeMs?: number
  /** Clock in ms, injectable for tests (default `Date.now`). */
  now?: () => number
}

interface Entry {
  readonly key: string
  readonly parent: string
  readonly block: Block
  readonly at: number
}

/**
 * Holds verified blocks whose parent is not known yet, until the parent arrives.
 *
 * Memory stays bounded whatever a peer sends: at most `maxBlocks` blocks and `maxBytes`
 * bytes are held (the oldest are evicted first), and a block older than `maxAgeMs` is
 * dropped. Blocks are copied on entry, so a stashed block never pins a peer's larger buffer.
 *
 * @example
 * ```ts
 * const pool = new Mempool({ maxBlocks: 1000 })
 * pool.add(orphans)                          // parent unknown: wait
 * const ask = pool.missingParentOf(orphans.last!.id) // request this from the peer
 * // ... later, once block P has been stored:
 * for (const seg of pool.take(P.id)) await store.dispatch(seg)
 * ```
 */
export class Mempool {
  /** Most blocks held at once. */
  readonly maxBlocks: number
  /** Most bytes held at once. */
  readonly maxBytes: number
  /** Longest wait of a block, in ms. */
  readonly maxAgeMs: number
  private readonly _now: () => number
  /** Insertion order is age order (oldest first), which eviction and expiry rely on. */
  private readonly _entries = new Map<string, Entry>()
  /** parent id (hex) → ids (hex) of its stashed children, oldest first. */
  private readonly _children = new Map<string, Set<string>>()
  private _bytes = 0
  private _last = -Infinity

  /**
   * @param opts - limits and clock, see {@link MempoolOptions}
   * @throws RangeError when a limit is not a positive number (`maxBlocks` an integer)
   * @throws TypeError when `now` is not a function
   */
  constructor (opts: MempoolOptions = {}) {
    this.maxBlocks = opts.maxBlocks ?? MEMPOOL_MAX_BLOCKS
    this.maxBytes = opts.maxBytes ?? MEMPOOL_MAX_BYTES
    this.maxAgeMs = opts.maxAgeMs ?? MEMPOOL_MAX_AGE_MS
    if (!Number.isSafeInteger(this.maxBlocks) || this.maxBlocks < 1) throw new RangeError(`"maxBlocks" expected a positive integer, got ${String(opts.maxBlocks)}`)
    if (!(this.maxBytes > 0)) throw new RangeError(`"maxBytes" expected a positive number, got ${String(opts.maxBytes)}`)
    if (!(this.maxAgeMs > 0)) throw new RangeError(`"maxAgeMs" expected a positive number, got ${String(opts.maxAgeMs)}`)
    const now = opts.now ?? Date.now
    if (typeof now !== 'function') throw new TypeError('"now" expected a function')
    this._now = now
  }

  /** Number of blocks held. */
  get size (): number { this._expire(); return this._entries.size }

  /** Bytes held (sum of whole block sizes). */
  get bytes (): number { this._expire(); return this._bytes }

  /**
   * Stashes verified blocks whose parent is unknown. Genesis blocks have no parent and are
   * skipped; duplicates are ignored (a re-send changes nothing, not even the block's age);
   * several children of one parent (forks) are all kept. A block whose signature was not
   * checked yet is verified here (once) and skipped if it fails. A single block larger
   * than `maxBytes` is refused. The oldest blocks are evicted to stay within the limits,
   * and expired ones are dropped first.
   *
   * @param blocks - a block, a feed or any iterable of blocks (linked or not)
   * @returns how many blocks were newly added
   * @throws TypeError when `blocks` holds something that is not a Block
   */
  add (blocks: Block | Feed | Iterable<Block>): number {
    const list = isBlock(blocks) ? [blocks] : isFeed(blocks) ? blocks.blocks : toArray(blocks)
    const now = this._expire()
    let added = 0
    for (const b of list) {
      if (b.psig === undefined || b.blockSize > this.maxBytes) continue
      const key = toHex(b.sig)
      if (this._entries.has(key)) continue
      if (!b._verified && !b.verify()) continue
      const block = new Block(b.buffer.slice())
      block._verified = true
      const parent = toHex(b.psig)
      const at = Math.max(now, this._last) // keeps insertion order = age order if the clock steps back
      this._last = at
      this._entries.set(key, { key, parent, block, at })
      let kids = this._children.get(parent)
      if (kids === undefined) this._children.set(parent, kids = new Set())
      kids.add(key)
      this._bytes += block.blockSize
      added++
      while (this._entries.size > this.maxBlocks || this._bytes > this.maxBytes) {
        this._remove(this._entries.values().next().value as Entry)
      }
    }
    return added
  }

  /**
   * @param id - a block id (signature)
   * @returns whether that block is stashed
   * @throws TypeError when `id` is not a Uint8Array
   */
  has (id: Uint8Array): boolean {
    au8(id, 0, 'id')
    this._expire()
    return this._entries.has(toHex(id))
  }

  /**
   * Removes and returns every stashed block that descends from `parentId`, as linked feeds
   * in chain order (oldest first). The blocks were verified on entry and are not verified
   * again. Each child of `parentId` starts a feed that follows the chain as far as the pool
   * has it, taking the oldest-stashed child at each fork. Every other child at a deeper fork
   * starts a further feed, placed after the feed that holds its parent, so dispatching the
   * feeds in the order returned always meets a known parent. No block is returned twice.
   *
   * @param parentId - id of a block that is now known (stored)
   * @returns the segments; empty when nothing waits for `parentId`
   * @throws TypeError when `parentId` is not a Uint8Array
   */
  take (parentId: Uint8Array): Feed[] {
    au8(parentId, 0, 'parentId')
    this._expire()
    const queue = [...(this._children.get(toHex(parentId)) ?? [])]
    const out: Feed[] = []
    for (let q = 0; q < queue.length; q++) {
      const segment: Block[] = []
      let entry = this._entries.get(queue[q] as string)
      while (entry !== undefined) {
        segment.push(entry.block)
        this._remove(entry)
        const kids = this._children.get(entry.key)
        if (kids === undefined) break
        const [next, ...forks] = kids
        queue.push(...forks)
        entry = this._entries.get(next as string)
      }
      if (segment.length > 0) out.push(feedFrom(segment, true))
    }
    return out
  }

  /**
   * Finds what to ask a peer for: walks from a stashed block back through its stashed
   * ancestors and returns the parent id of the oldest one, which the pool lacks.
   *
   * @param id - id of a stashed block
   * @returns the missing ancestor's id (a copy), or undefined when `id` is not stashed
   * @throws TypeError when `id` is not a Uint8Array
   */
  missingParentOf (id: Uint8Array): Uint8Array | undefined {
    au8(id, 0, 'id')
    this._expire()
    let entry = this._entries.get(toHex(id))
    // Parent links cannot form a cycle (each id signs its parent's), but bound the walk anyway.
    for (let n = 0; entry !== undefined && n <= this._entries.size; n++) {
      const parent = this._entries.get(entry.parent)
      if (parent === undefined) return (entry.block.psig as Uint8Array).slice()
      entry = parent
    }
    return undefined
  }

  /**
   * Drops one stashed block (its stashed children stay).
   *
   * @param id - the block's id
   * @returns whether the block was stashed
   * @throws TypeError when `id` is not a Uint8Array
   */
  delete (id: Uint8Array): boolean {
    au8(id, 0, 'id')
    this._expire()
    const entry = this._entries.get(toHex(id))
    if (entry === undefined) return false
    this._remove(entry)
    return true
  }

  /** Drops every stashed block. */
  clear (): void {
    this._entries.clear()
    this._children.clear()
    this._bytes = 0
  }

  /** Drops expired entries from the old end; returns the current time. */
  private _expire (): number {
    const now = this._now()
    for (const entry of this._entries.values()) {
      if (now - entry.at < this.maxAgeMs) break
      this._remove(entry)
    }
    return now
  }

  private _remove (entry: Entry): void {
    this._entries.delete(entry.key)
    this._bytes -= entry.block.blockSize
    const siblings = this._children.get(entry.parent)
    if (siblings !== undefined) {
      siblings.delete(entry.key)
      if (siblings.size === 0) this._children.delete(entry.parent)
    }
  }
}

function toArray (blocks: Iterable<Block>): Block[] {
  if (blocks === null || typeof blocks !== 'object' || typeof (blocks as Iterable<Block>)[Symbol.iterator] !== 'function') {
    throw new TypeError('"blocks" expected a Block, a Feed or an iterable of Blocks')
  }
  const list = [...blocks]
  for (const b of list) if (!isBlock(b)) throw new TypeError('"blocks" must hold only Blocks')
  return list
}

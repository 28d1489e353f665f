// A chain of signed blocks in one buffer (spec/feed.md §2, §5.4).
import { Block, isBlock } from './block.js'
import { DEFAULT_CAPACITY, HDR_AUTHOR, HDR_PSIG, KEY_SIZE, PIC0, SIG_SIZE, symFeed, symInspect } from './constants.js'
import { FeedError, err } from './errors.js'
import { au8, cmp, s2b, toHex, b2s } from './bytes.js'
import { varintEncode, varintLength, VARINT_MAX } from './varint.js'
import { ed25519 } from './ed25519.js'
import { signingKey, signPair } from './keys.js'
import type { SignPair } from './keys.js'
import { counters } from './counters.js'
import { defaultBatchVerifier } from './batch.js'
import type { BatchVerifier } from './batch.js'

// While true, the constructor keeps the blocks before a parse error (in `_error`) instead of
// throwing, and verifies nothing: Feed.fromAsync then verifies those blocks in one batch and
// reports errors in block order, as Feed.from does. Only set synchronously around a call.
let lenient = false

/** Anything {@link feedFrom} turns into a feed. */
export type FeedInput = Feed | Block | readonly Block[] | Uint8Array | ArrayBuffer | ArrayBufferView

/**
 * Called by {@link Feed.merge} before each block is copied. Call `stop()` (or
 * `stop(false)`) to abort before this block, `stop(true)` to copy it and then abort.
 */
export type MergeCallback = (block: Block, stop: (inclusive?: boolean) => void) => void

/**
 * A chain of signed blocks held in one contiguous buffer: `PIC0` magic, then blocks, each
 * naming the previous one as its parent. Byte-compatible with picofeed v8.
 *
 * @example
 * ```ts
 * const { sk } = signPair()
 * const feed = new Feed()
 * feed.append('hello', sk)
 * feed.append('world', sk)
 * const copy = Feed.from(feed.buffer) // parses and verifies every block
 * ```
 */
export class Feed {
  private _buf: Uint8Array
  private _tail: number
  private _blocks: Block[] = []
  private _taken = false
  // True when memory past `_tail` may still be viewed by blocks handed out (after truncate).
  private _shared = false
  // Set only while Feed.fromAsync collects blocks: the parse error after the good blocks.
  /** @internal */
  _error: FeedError | undefined

  /**
   * @param input - capacity in bytes of an empty feed (default 2048), or bytes to parse
   *   (copied, so the feed never aliases the caller's memory)
   * @param noVerify - skip signature verification of parsed bytes (only for trusted input)
   * @throws FeedError as {@link feedFrom} for bytes; TypeError for other input
   */
  constructor (input: number | Uint8Array = DEFAULT_CAPACITY, noVerify = false) {
    if (typeof input === 'number') {
      if (!Number.isInteger(input) || input < PIC0.length) throw new RangeError(`"capacity" expected integer >= 4, got ${input}`)
      this._buf = new Uint8Array(input)
      this._buf.set(PIC0)
      this._tail = PIC0.length
    } else if (input instanceof Uint8Array) {
      const hasMagic = input.length >= 4 && input[0] === 0x50 && input[1] === 0x49 && input[2] === 0x43 && input[3] === 0x30
      // Exactly the bytes parsed: a parsed feed is mostly read, and its blocks are views that keep
      // the buffer alive (an append grows it by doubling).
      this._buf = new Uint8Array(input.length + (hasMagic ? 0 : 4))
      this._buf.set(PIC0)
      this._buf.set(hasMagic ? input.subarray(4) : input, 4)
      this._tail = PIC0.length
      const e = this._parse(4, input.length + (hasMagic ? 0 : 4), noVerify || lenient)
      if (e !== undefined) {
        if (!lenient) throw e
        this._error = e
      }
    } else {
      throw new TypeError('"input" expected a capacity (number) or bytes (Uint8Array)')
    }
  }

  /** The verification counter of the original (`Feed.__vctr`), see {@link counters}. */
  static get __vctr (): number { return counters.verifications }
  /** Sets the verification counter (tests of the original reset it). */
  static set __vctr (n: number) { counters.verifications = n }

  /** See {@link signPair}. */
  static signPair (): SignPair { return signPair() }
  /** See {@link feedFrom}. */
  static from (input: FeedInput, noVerify = false): Feed { return feedFrom(input, noVerify) }
  /**
   * Like {@link feedFrom}, but verifies the signatures in one batch, in parallel where the
   * platform can (WebCrypto Ed25519 in browsers; see {@link defaultBatchVerifier}).
   *
   * @param input - what to turn into a feed (a Feed is returned as is, unverified)
   * @param options - `verifier` to use another {@link BatchVerifier}; `noVerify` to skip checks
   * @returns the feed, every block verified
   * @throws FeedError as {@link feedFrom} (as a rejection)
   * @example
   * ```ts
   * const feed = await Feed.fromAsync(new Uint8Array(await res.arrayBuffer()))
   * ```
   */
  static async fromAsync (input: FeedInput, options: { verifier?: BatchVerifier, noVerify?: boolean } = {}): Promise<Feed> {
    if (input instanceof Feed || options.noVerify === true) return feedFrom(input, options.noVerify)
    let f: Feed
    lenient = true
    try {
      f = feedFrom(input, true)
    } finally {
      lenient = false
    }
    const error = f._error
    f._error = undefined
    const pending = f._blocks.filter(b => !b._verified)
    if (pending.length > 0) {
      const verifier = options.verifier ?? await defaultBatchVerifier()
      const ok = await verifier.verifyBatch(pending.map(b => ({ sig: b.sig, msg: b.buffer.subarray(SIG_SIZE), pk: b.key })))
      counters.verifications += pending.length
      // the first bad signature wins over a later parse error, as in Feed.from
      const bad = ok.findIndex(v => v !== true)
      if (bad >= 0) throw err('SignatureVerificationFailed', `block ${f._blocks.indexOf(pending[bad] as Block)} has a bad signature`)
      for (const b of pending) b._verified = true
    }
    if (error !== undefined) throw error
    return f
  }

  /** True when `x` carries the Feed brand. */
  static isFeed (x: unknown): x is Feed { return isFeed(x) }
  /** True when `x` carries the Block brand. */
  static isBlock (x: unknown): x is Block { return isBlock(x) }

  /** Number of used bytes, magic included. */
  get tail (): number { this._check(); return this._tail }
  /** View of the used bytes `[0, tail)`: the feed's wire and storage form (not a copy). */
  get buffer (): Uint8Array { this._check(); return this._buf.subarray(0, this._tail) }
  /** The blocks, oldest first (do not mutate the array). */
  get blocks (): readonly Block[] { this._check(); return this._blocks }
  /** Number of blocks. */
  get length (): number { this._check(); return this._blocks.length }
  /** First block, or undefined when empty. */
  get first (): Block | undefined { return this.blocks[0] }
  /** Last block, or undefined when empty. */
  get last (): Block | undefined { const b = this.blocks; return b[b.length - 1] }
  /** True when the first block is not genesis (also for an empty feed). */
  get partial (): boolean { return this.first?.genesis !== true }

  /** Distinct author keys in order of first appearance. */
  get keys (): Uint8Array[] {
    const seen = new Set<string>()
    const out: Uint8Array[] = []
    for (const b of this.blocks) {
      const k = toHex(b.key)
      if (!seen.has(k)) { seen.add(k); out.push(b.key) }
    }
    return out
  }

  /**
   * Block at index `n`; negative `n` counts from the end.
   *
   * @returns the block, or undefined when out of range
   */
  block (n: number): Block | undefined {
    if (!Number.isInteger(n)) throw new TypeError(`"n" expected integer, got ${String(n)}`)
    const b = this.blocks
    return b[n < 0 ? b.length + n : n]
  }

  /**
   * Signs `data` with `secret` and appends it as a new block whose parent is the last block.
   *
   * @param data - body bytes, or a string (UTF-8 encoded); at least 1 byte, first byte non-zero
   * @param secret - 32-byte secret seed as bytes or 64 hex characters
   * @returns the new number of blocks
   * @throws RangeError on an empty body or a body starting with 0x00; TypeError on bad arguments
   */
  append (data: Uint8Array | string, secret: Uint8Array | string): number {
    this._check()
    const body = typeof data === 'string' ? s2b(data) : data
    if (!(body instanceof Uint8Array)) throw new TypeError('"data" expected Uint8Array or string')
    if (body.length === 0) throw new RangeError('"data" must not be empty')
    if (body[0] === 0) throw new RangeError('"data" first byte must be non-zero')
    const { seed, pk } = signingKey(secret)
    const parent = this.last
    const dlen = 2 + KEY_SIZE + (parent !== undefined ? 2 + SIG_SIZE : 0) + body.length
    if (dlen > VARINT_MAX) throw new RangeError(`"data" too large: ${body.length} bytes`)
    const size = SIG_SIZE + varintLength(dlen) + dlen
    this._reserve(size)
    const buf = this._buf
    const o = this._tail
    let p = o + SIG_SIZE
    p += varintEncode(dlen, buf, p)
    buf[p++] = 0; buf[p++] = HDR_AUTHOR
    buf.set(pk, p); p += KEY_SIZE
    if (parent !== undefined) {
      buf[p++] = 0; buf[p++] = HDR_PSIG
      buf.set(parent.sig, p); p += SIG_SIZE
    }
    buf.set(body, p)
    buf.set(ed25519().sign(buf.subarray(o + SIG_SIZE, o + size), seed), o)
    const block = new Block(buf, o)
    block._verified = true // we just made this signature with the author's own secret
    this._blocks.push(block)
    this._tail = o + size
    return this._blocks.length
  }

  /** An independent copy (no re-verification). */
  clone (): Feed {
    this._check()
    const f = new Feed(Math.max(DEFAULT_CAPACITY, this._tail))
    for (const b of this._blocks) f._push(b, false)
    return f
  }

  /**
   * Drops every block at index >= `height`; negative `height` counts from the end.
   *
   * @returns the new number of blocks
   * @throws TypeError when `height` is not an integer
   */
  truncate (height: number): number {
    this._check()
    if (!Number.isInteger(height)) throw new TypeError(`"height" expected integer, got ${String(height)}`)
    const n = this._blocks.length
    const h = height < 0 ? Math.max(0, n + height) : height
    if (h >= n) return n
    // Feed buffers always start at byte 0 of their ArrayBuffer, so a block's byteOffset is
    // its offset in the feed, whichever buffer generation it views.
    this._tail = (this._blocks[h] as Block).buffer.byteOffset
    this._blocks.length = h
    // Dropped blocks handed out earlier still view this memory: the next write goes to a
    // fresh buffer (copy on write), so old memory is never written again.
    this._shared = true
    return h
  }

  /**
   * A new compact feed with blocks `[start, end)`, following Array#slice index rules. An
   * empty range gives an empty feed. Blocks are copied, not re-verified.
   */
  slice (start = 0, end: number = this.length): Feed {
    if (!Number.isInteger(start)) throw new TypeError(`"start" expected integer, got ${String(start)}`)
    if (!Number.isInteger(end)) throw new TypeError(`"end" expected integer, got ${String(end)}`)
    const blocks = this.blocks.slice(start, end)
    // Exactly the blocks' bytes (an append grows it by doubling).
    const f = new Feed(blocks.reduce((s, b) => s + b.blockSize, 4))
    for (const b of blocks) f._push(b, false)
    return f
  }

  /**
   * Compares this feed with another copy of the same chain.
   *
   * @param other - the other feed (bytes and block arrays are parsed and verified)
   * @returns 0 when both end at the same block; +n when `other` has n more blocks;
   *   -n when this feed has n more
   * @throws FeedError `Diverged` when the chains differ after a common point;
   *   `Unrelated` when there is no common point
   */
  diff (other: FeedInput): number {
    const b = feedFrom(other)
    if (b === this) return 0
    const A = this.blocks
    const B = b.blocks
    if (A.length === 0) return B.length
    if (B.length === 0) return -A.length
    const b0 = B[0] as Block
    let i = 0
    let j = 0
    let found = false
    for (; i < A.length; i++) {
      const a = A[i] as Block
      if (sameParent(a.psig, b0.psig)) { found = true; break }
      if (b0.psig !== undefined && cmp(a.sig, b0.psig)) {
        if (i === A.length - 1) return B.length
        i++
        found = true
        break
      }
    }
    if (!found) throw err('Unrelated', 'feeds share no block')
    for (; i < A.length && j < B.length; i++, j++) {
      if (!cmp((A[i] as Block).sig, (B[j] as Block).sig)) throw err('Diverged', `feeds diverge at block ${i}`)
    }
    if (j < B.length) return B.length - j
    return i < A.length ? -(A.length - i) : 0
  }

  /**
   * Appends the blocks of `source` that extend this feed. When `source` instead comes
   * before this feed (it ends where this one starts, or holds it), the result is the
   * source's blocks followed by this feed's ("reverse merge", all or nothing).
   *
   * @param source - a feed, block, block array or bytes of the same chain
   * @param icb - optional per-block callback that may stop the merge
   * @returns the number of blocks added (0 when `source` brings nothing new)
   * @throws FeedError `Diverged` / `Unrelated` when the chains cannot be joined;
   *   `SignatureVerificationFailed` when `source` holds an unverified block that fails (nothing
   *   is merged then)
   */
  merge (source: FeedInput, icb?: MergeCallback): number {
    this._check()
    if (icb !== undefined && typeof icb !== 'function') throw new TypeError('"icb" expected a function')
    const src = feedFrom(source)
    if (src.length === 0 || src === this) return 0
    let s: number
    try {
      s = this.diff(src)
    } catch (e) {
      if (!(e instanceof FeedError) || e.code !== 'Unrelated') throw e
      return this._reverseMerge(src, icb)
    }
    if (s < 1) return 0
    const blocks = src.blocks.slice(src.length - s)
    // all or nothing: a bad signature in an unverified source leaves this feed unchanged
    for (const b of blocks) if (!b._verified && !b.verify()) throw err('SignatureVerificationFailed', 'block to merge has a bad signature')
    let added = 0
    for (const block of blocks) {
      let stop = 0 // 0 go on, 1 stop before, 2 stop after
      if (icb !== undefined) icb(block, (inclusive = false) => { stop = inclusive ? 2 : 1 })
      if (stop === 1) break
      this._push(block, true)
      added++
      if (stop === 2) break
    }
    return added
  }

  private _reverseMerge (src: Feed, icb?: MergeCallback): number {
    const r = src.diff(this) // throws Diverged / Unrelated when there is no way to join
    const merged = new Feed(Math.max(DEFAULT_CAPACITY, src._tail + this._tail))
    for (const b of src._blocks) merged._push(b, true)
    if (r > 0) {
      for (const b of this._blocks.slice(this._blocks.length - r)) merged._push(b, true)
    }
    const n = this._blocks.length
    const added = merged.length - n
    if (added < 1) return 0
    if (icb !== undefined) {
      // This feed's blocks sit in one run inside `merged`; everything around it is new.
      const at = merged.length - n - Math.max(0, -r)
      const fresh = [...merged._blocks.slice(0, at), ...merged._blocks.slice(at + n)]
      let stopped = false
      for (let k = 0; k < fresh.length && !stopped; k++) {
        icb(fresh[k] as Block, (inclusive = false) => { stopped = !(inclusive && k === fresh.length - 1) })
      }
      if (stopped) return 0 // a partial reverse merge would not link: all or nothing
    }
    this._buf = merged._buf
    this._tail = merged._tail
    this._blocks = merged._blocks
    this._shared = false
    merged._taken = true
    return added
  }

  /**
   * Draws the feed as a text box (keys, blocks, signatures, parents, bodies).
   *
   * @param log - when given, called exactly once with the drawing
   * @returns the drawing
   */
  inspect (log?: (text: string) => void): string {
    if (log !== undefined && typeof log !== 'function') throw new TypeError('"log" expected a function')
    const w = 40
    const line = (s: string): string => '│ ' + s.padEnd(w - 4) + ' │'
    const out = ['┌' + '─'.repeat(w - 2) + '┐', line('FEED'), line(`k: ${this.keys.length} blk: ${this.length} Size: ${this.tail}b`)]
    this.blocks.forEach((b, i) => {
      out.push(`├─[ BLOCK ${i} ]`.padEnd(w - 1, '─') + '┤')
      out.push(line(`Flags: ${b.genesis ? 'GENESIS' : '-'} Key: ${toHex(b.key, 6)}`))
      out.push(line(`Sig: ${toHex(b.sig, 4)} Parent: ${b.psig === undefined ? 'GENESIS' : toHex(b.psig, 4)}`))
      out.push(line(`Body (${b.size} bytes)`))
      const body = b.body.subarray(0, 32)
      for (let k = 0; k < body.length; k += 8) {
        const row = body.subarray(k, k + 8)
        out.push(line(toHex(row).replace(/(..)/g, '$1 ').padEnd(25) + b2s(row).replace(/[^\x20-\x7e]/g, '.')))
      }
    })
    out.push('└' + '─'.repeat(w - 2) + '┘')
    const text = out.join('\n')
    if (log !== undefined) log(text)
    return text
  }

  /**
   * @internal Appends a copy of `block`, which must link to the last block. With `verify`,
   * a block not verified yet is verified first; the copy keeps the block's verified flag.
   */
  _push (block: Block, verify: boolean): void {
    const parent = this._blocks[this._blocks.length - 1]
    if (parent !== undefined && (block.psig === undefined || !cmp(block.psig, parent.sig))) {
      throw err('InvalidParent', 'block does not link to the last block of the feed')
    }
    if (verify && !block._verified && !block.verify()) throw err('SignatureVerificationFailed', 'block has a bad signature')
    const size = block.blockSize
    this._reserve(size)
    const o = this._tail
    this._buf.set(block.buffer, o)
    const copy = new Block(this._buf, o)
    copy._verified = block._verified
    this._blocks.push(copy)
    this._tail = o + size
  }

  private _reserve (size: number): void {
    if (!this._shared && this._tail + size <= this._buf.length) return
    let cap = this._buf.length
    while (cap < this._tail + size) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this._buf.subarray(0, this._tail))
    this._buf = next
    this._shared = false
  }

  // Parses blocks in this._buf[offset, end) (spec/feed.md §2.7, with gaps.md F9 resolved:
  // zero padding after the last block is spare capacity; anything else must be a block).
  // Returns the error that stopped it, keeping the good blocks before it.
  private _parse (offset: number, end: number, noVerify: boolean): FeedError | undefined {
    const buf = this._buf
    let o = offset
    let parent: Block | undefined
    const view = buf.subarray(0, end)
    let error: FeedError | undefined
    while (o < end) {
      if (buf[o + SIG_SIZE] === 0 || end - o < SIG_SIZE + 2) {
        let zero = true
        for (let k = o; k < end; k++) if (buf[k] !== 0) { zero = false; break }
        if (zero) break
      }
      let block: Block
      try {
        block = new Block(view, o)
      } catch (e) {
        error = e as FeedError
        break
      }
      if (parent !== undefined && (block.psig === undefined || !cmp(block.psig, parent.sig))) {
        error = err('InvalidParent', `block ${this._blocks.length} does not link to its predecessor`)
        break
      }
      if (!noVerify && !block.verify()) {
        error = err('SignatureVerificationFailed', `block ${this._blocks.length} has a bad signature`)
        break
      }
      this._blocks.push(block)
      parent = block
      o += block.blockSize
    }
    this._tail = o
    return error
  }

  private _check (): void {
    if (this._taken) throw err('MemoryTaken', 'this feed gave its memory to another feed in a reverse merge')
  }
}

// Brand on the prototype (value 8, the format version), checked by isFeed across copies.
Object.defineProperty(Feed.prototype, symFeed, { value: 8 })
// Node's util.inspect hook: a one-line summary instead of the internals.
Object.defineProperty(Feed.prototype, symInspect, {
  value (this: Feed): string {
    try { return `Feed(${this.length} blocks, ${this.tail} bytes)` } catch { return 'Feed(memory taken)' }
  }
})

function sameParent (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return cmp(a, b)
}

/** True when `x` carries the Feed brand (works across copies of the library). */
export function isFeed (x: unknown): x is Feed {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[symFeed] === 8
}

/**
 * Turns its input into a feed: a Feed is returned as is; a Block or an array of linked
 * Blocks is copied into a new feed (blocks already verified are not verified again); bytes
 * (any view or ArrayBuffer) are copied and parsed, verifying every block unless `noVerify`.
 *
 * @param input - what to turn into a feed
 * @param noVerify - skip signature checks of bytes and blocks (trusted input only)
 * @returns the feed
 * @throws FeedError `SignatureVerificationFailed`, `InvalidParent`, `BufferUnderflow`,
 *   `InvalidVarint` or `InvalidHeader` on bad bytes; TypeError on other input
 */
export function feedFrom (input: FeedInput, noVerify = false): Feed {
  if (input instanceof Feed) return input
  // A feed or block of another copy of this library, or of picofeed: take its bytes.
  if (isFeed(input)) return new Feed(au8((input as { buffer?: unknown }).buffer, 0, 'input.buffer'), noVerify)
  if (isBlock(input)) input = [input]
  if (Array.isArray(input)) {
    const blocks = (input as readonly unknown[]).map(ownBlock)
    const f = new Feed(Math.max(DEFAULT_CAPACITY, blocks.reduce((s, b) => s + b.blockSize, 4)))
    for (const b of blocks) {
      try {
        f._push(b, !noVerify && !lenient)
      } catch (e) {
        if (!lenient || !(e instanceof FeedError)) throw e
        f._error = e
        break
      }
    }
    return f
  }
  if (input instanceof ArrayBuffer) return new Feed(new Uint8Array(input), noVerify)
  if (ArrayBuffer.isView(input)) return new Feed(new Uint8Array(input.buffer, input.byteOffset, input.byteLength), noVerify)
  throw new TypeError(`Cannot create feed from: ${input === null ? 'null' : typeof input}`)
}

function ownBlock (b: unknown): Block {
  if (b instanceof Block) return b
  if (!isBlock(b)) throw new TypeError('"input" array must hold only Blocks')
  return new Block(au8((b as { buffer?: unknown }).buffer, 0, 'block.buffer'))
}

// One signed block (spec/feed.md §2): sig(64) | varint dlen | headers | body.
import { HDR_AUTHOR, HDR_PSIG, KEY_SIZE, SIG_SIZE, symBlock, symInspect } from './constants.js'
import { err } from './errors.js'
import { varintDecode } from './varint.js'
import { au8, cmp, keyBytes, toHex, b2s } from './bytes.js'
import { ed25519 } from './ed25519.js'
import { counters } from './counters.js'

/**
 * A view of one block's bytes. Parsing checks the layout (lengths, known and unrepeated
 * headers, an AUTHOR, a non-empty body); {@link Block.verify} checks the signature.
 *
 * @example
 * ```ts
 * const b = feed.last!
 * b.key      // author public key
 * b.genesis  // no parent?
 * b.body     // payload bytes
 * ```
 */
export class Block {
  /** The whole block, signature through body (a view, not a copy). */
  readonly buffer: Uint8Array
  /** The block's signature, which is also its id. */
  readonly sig: Uint8Array
  /** The author's public key (AUTHOR header). */
  readonly key: Uint8Array
  /** The parent's signature (PSIG header), undefined for a genesis block. */
  readonly psig: Uint8Array | undefined
  /** The application payload. */
  readonly body: Uint8Array
  /** @internal set once the signature has been checked (by the parser, `verify` or `append`) */
  _verified: boolean

  /**
   * Maps the block that starts at `offset` of `bytes` (no copy).
   *
   * @param bytes - buffer holding the block
   * @param offset - where the block starts
   * @throws FeedError `BufferUnderflow` when the block runs past the end of `bytes`;
   *   `InvalidVarint` on a bad length prefix; `InvalidHeader` on an unknown or repeated
   *   header, a missing AUTHOR or an empty body
   */
  constructor (bytes: Uint8Array, offset = 0) {
    au8(bytes, 0, 'bytes')
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`"offset" expected integer >= 0, got ${String(offset)}`)
    if (bytes.length - offset < SIG_SIZE + 1) throw err('BufferUnderflow', 'block shorter than its signature')
    const [dlen, v] = varintDecode(bytes, offset + SIG_SIZE)
    const start = offset + SIG_SIZE + v
    const end = start + dlen
    if (end > bytes.length) throw err('BufferUnderflow', `block declares ${dlen} bytes, ${bytes.length - start} remain`)
    let key: Uint8Array | undefined
    let psig: Uint8Array | undefined
    let p = start
    while (p < end && bytes[p] === 0) {
      const type = bytes[p + 1]
      const size = type === HDR_AUTHOR ? KEY_SIZE : type === HDR_PSIG ? SIG_SIZE : -1
      if (size < 0) throw err('InvalidHeader', `unknown header type ${type ?? '(none)'}`)
      if (p + 2 + size > end) throw err('InvalidHeader', 'header value runs past the block')
      const value = bytes.subarray(p + 2, p + 2 + size)
      if (type === HDR_AUTHOR) {
        if (key !== undefined) throw err('InvalidHeader', 'repeated AUTHOR header')
        key = value
      } else {
        if (psig !== undefined) throw err('InvalidHeader', 'repeated PSIG header')
        psig = value
      }
      p += 2 + size
    }
    if (key === undefined) throw err('InvalidHeader', 'block has no AUTHOR header')
    if (p >= end) throw err('InvalidHeader', 'block has an empty body')
    this.buffer = bytes.subarray(offset, end)
    this.sig = bytes.subarray(offset, offset + SIG_SIZE)
    this.key = key
    this.psig = psig
    this.body = bytes.subarray(p, end)
    this._verified = false
  }

  /** Same as {@link Block.sig}: a block is identified by its signature. */
  get id (): Uint8Array { return this.sig }
  /** True when the block has no parent (first block of a chain). */
  get genesis (): boolean { return this.psig === undefined }
  /** Body length in bytes. */
  get size (): number { return this.body.length }
  /** Total bytes of the block, signature included. */
  get blockSize (): number { return this.buffer.length }

  /**
   * Checks the signature over everything after it.
   *
   * @param pk - key to verify under, bytes or hex (defaults to the AUTHOR key)
   * @returns true when valid; false when the signature does not verify
   * @throws TypeError / RangeError when `pk` is not 32 bytes or 64 hex characters
   */
  verify (pk: Uint8Array | string = this.key): boolean {
    const key = pk === this.key ? this.key : keyBytes(pk, KEY_SIZE, 'pk')
    counters.verifications++
    const ok = ed25519().verify(this.sig, this.buffer.subarray(SIG_SIZE), key)
    if (ok && cmp(key, this.key)) this._verified = true
    return ok
  }

  /** One-line JSON summary for diagnostics. */
  toString (): string {
    return JSON.stringify({
      key: toHex(this.key, 3),
      sig: toHex(this.sig, 4),
      psig: this.psig === undefined ? 'GENESIS' : toHex(this.psig, 4),
      size: this.size,
      bodyhex: toHex(this.body, 4),
      body: b2s(this.body.subarray(0, 12))
    })
  }
}

// Brand on the prototype (value 8, the format version), checked by isBlock across copies.
Object.defineProperty(Block.prototype, symBlock, { value: 8 })
// Node's util.inspect hook: the toString summary instead of the internals.
Object.defineProperty(Block.prototype, symInspect, { value (this: Block): string { return `Block${this.toString()}` } })

/** True when `x` carries the Block brand (works across copies of the library). */
export function isBlock (x: unknown): x is Block {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[symBlock] === 8
}

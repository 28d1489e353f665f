// Encoders and decoders of the sync protocol's messages (PROTOCOL.md beside this file).
// Encoders measure, allocate once, write; decoders bound every length they read.
import { Feed, b2s, s2b, varintDecode, varintEncode, varintLength } from '../feed/index.js'
import {
  AUTH_DOMAIN, CHAIN_ID_BYTES, MAX_BLOCKS_PER_MESSAGE, MAX_BYE_REASON, MAX_HEADS_PER_MESSAGE, MAX_MESSAGE_SIZE,
  MAX_SUMMARY_ENTRIES, MSG_ACK, MSG_AUTH, MSG_BLOCKS, MSG_BYE, MSG_FETCH, MSG_HAVE, MSG_HELLO, MSG_RECON, MSG_SUMMARY,
  MSG_WANT, NODE_KEY_BYTES, NONCE_BYTES, PROTOCOL_VERSION,
  SIGNATURE_BYTES, SUMMARY_CHAIN_BYTES, SUMMARY_TIP_BYTES
} from './constants.js'
import { KernelError } from './errors.js'
import { decodeRecon } from './recon.js'
import type { Recon } from './recon.js'

/** One chain in a summary: truncated chain id, height (blocks - 1), truncated tip id. */
export interface SummaryEntry {
  /** First 16 bytes of the genesis signature. */
  chainId: Uint8Array
  /** Index of the tip block (number of blocks - 1). */
  height: number
  /** First 8 bytes of the tip's signature. */
  tip: Uint8Array
}

/** One chain of a `have` (the height the sender holds) or a `fetch` (the first height asked for). */
export interface HeadEntry {
  /** The whole chain id (64 bytes). */
  chainId: Uint8Array
  /** `have`: the height of the sender's tip; `fetch`: the first height it asks for. */
  height: number
}

/**
 * A decoded protocol message. A `hello` of another version carries only its `version` (empty
 * key and nonce, window 0): the receiver answers `VersionMismatch`.
 */
export type Message =
  | {
    /** The first message on a wire. */
    type: 'hello'
    /** The protocol version the sender speaks. */
    version: number
    /** The sender's node key (Ed25519 public key), 32 bytes. */
    nodeKey: Uint8Array
    /** A fresh random value for this wire, 16 bytes, that the peer signs in its `auth`. */
    nonce: Uint8Array
    /** The bytes the sender lets the peer keep in flight before an `ack`. */
    window: number
  }
  | {
    /** The proof that the sender holds the secret of its node key. */
    type: 'auth'
    /** Ed25519 signature over both nonces and both keys, 64 bytes. */
    sig: Uint8Array
  }
  | {
    /** The chains the sender has, with their heights. */
    type: 'summary'
    /** The entries. */
    summary: Summary
  }
  | {
    /** Blocks the peer lacks. */
    type: 'blocks'
    /** The blocks, in chain order. */
    feed: Feed
  }
  | {
    /** A step of set reconciliation (a query or the reply to one). */
    type: 'recon'
    /** The decoded step. */
    recon: Recon
  }
  | {
    /** Asks for the chain up to a block (a missing parent). */
    type: 'want'
    /** The block id asked for, 64 bytes. */
    id: Uint8Array
  }
  | {
    /** Live gossip: chains that grew, with the height the sender now holds. */
    type: 'have'
    /** The chains, at most `MAX_HEADS_PER_MESSAGE`. */
    entries: HeadEntry[]
  }
  | {
    /** Asks for the blocks of chains from a height on (answers a `have`). */
    type: 'fetch'
    /** The chains, each with the first height asked for. */
    entries: HeadEntry[]
  }
  | {
    /** Releases flow-control window. */
    type: 'ack'
    /** Bytes of the peer's messages processed. */
    bytes: number
  }
  | {
    /** The sender closes the wire. */
    type: 'bye'
    /** Why, as a number (see the protocol's close codes). */
    code: number
    /** Why, in words. */
    reason: string
  }

/**
 * A decoded summary that keeps the message's bytes and two small index arrays instead of an
 * object per entry: memory stays proportional to the bytes received (8 bytes of index per
 * entry of at least 25 bytes on the wire). Iterating yields {@link SummaryEntry} views.
 */
export class Summary implements Iterable<SummaryEntry> {
  readonly #bytes: Uint8Array
  readonly #offsets: Uint32Array
  readonly #heights: Uint32Array

  /** @internal use {@link decodeMessage} or {@link Summary.from} */
  constructor (bytes: Uint8Array, offsets: Uint32Array, heights: Uint32Array) {
    this.#bytes = bytes
    this.#offsets = offsets
    this.#heights = heights
  }

  /**
   * A summary of entries built locally (tests, custom `onquery` hooks).
   * @param entries - the entries
   * @returns the same summary as its encoding decoded
   * @throws RangeError as {@link encodeSummary}
   */
  static from (entries: readonly SummaryEntry[]): Summary {
    const m = decodeMessage(encodeSummary(entries, Infinity), { maxMessageSize: Infinity, maxSummaryEntries: Infinity })
    return (m as { summary: Summary }).summary
  }

  /** Number of entries. */
  get length (): number { return this.#offsets.length }

  /** Chain id prefix (16 bytes, a view) of entry `i`. */
  chainIdAt (i: number): Uint8Array {
    const p = this.#offsets[i] as number
    return this.#bytes.subarray(p, p + SUMMARY_CHAIN_BYTES)
  }

  /** Height of entry `i`. */
  heightAt (i: number): number { return this.#heights[i] as number }

  /** Tip prefix (8 bytes, a view) of entry `i`. */
  tipAt (i: number): Uint8Array {
    const end = this.#offsets[i + 1] ?? this.#bytes.length
    return this.#bytes.subarray(end - SUMMARY_TIP_BYTES, end)
  }

  /** Entry `i` as an object (allocates; prefer the accessors in loops). */
  at (i: number): SummaryEntry {
    return { chainId: this.chainIdAt(i), height: this.heightAt(i), tip: this.tipAt(i) }
  }

  /** The entries in order, as objects. */
  * [Symbol.iterator] (): Iterator<SummaryEntry> {
    for (let i = 0; i < this.length; i++) yield this.at(i)
  }
}

/** Limits applied while decoding. */
export interface DecodeLimits {
  /** Largest accepted message, bytes (default 4 MiB). */
  maxMessageSize?: number
  /** Most blocks in one `blocks` message (default 1024). */
  maxBlocks?: number
  /** Most entries in one `summary` (default `MAX_SUMMARY_ENTRIES`). @internal */
  maxSummaryEntries?: number
}

const HELLO_SIZE = 1 + 1 + NODE_KEY_BYTES + NONCE_BYTES + 4
const AUTH_SIZE = 1 + SIGNATURE_BYTES
const DOMAIN = s2b(AUTH_DOMAIN)

function bad (message: string, cause?: unknown): KernelError {
  return new KernelError('ProtocolError', message, cause === undefined ? undefined : { cause })
}

/**
 * Encodes a `hello`.
 *
 * @param nodeKey - the sender's node key (Ed25519 public key, 32 bytes)
 * @param nonce - a fresh random nonce for this wire (16 bytes)
 * @param window - the most bytes the sender accepts in flight (its receive window)
 * @param version - protocol version (tests only)
 * @returns the message
 * @throws RangeError on wrong sizes
 */
export function encodeHello (nodeKey: Uint8Array, nonce: Uint8Array, window: number, version: number = PROTOCOL_VERSION): Uint8Array {
  if (nodeKey.length !== NODE_KEY_BYTES) throw new RangeError(`"nodeKey" expected ${NODE_KEY_BYTES} bytes, got ${nodeKey.length}`)
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`"nonce" expected ${NONCE_BYTES} bytes, got ${nonce.length}`)
  if (!Number.isInteger(window) || window < 0 || window > 0xffffffff) throw new RangeError(`"window" expected a u32, got ${window}`)
  const out = new Uint8Array(HELLO_SIZE)
  out[0] = MSG_HELLO
  out[1] = version
  out.set(nodeKey, 2)
  out.set(nonce, 2 + NODE_KEY_BYTES)
  new DataView(out.buffer).setUint32(2 + NODE_KEY_BYTES + NONCE_BYTES, window)
  return out
}

/**
 * What an `auth` signs: the domain, the receiver's nonce and key, then the sender's nonce and
 * key. Signing the receiver's fresh nonce proves the key now; naming both keys binds the proof
 * to this pair.
 *
 * @param receiverNonce - the nonce the receiver sent in its hello
 * @param receiverKey - the receiver's node key
 * @param senderNonce - the sender's nonce
 * @param senderKey - the sender's node key
 * @returns the bytes to sign or verify
 */
export function authPayload (receiverNonce: Uint8Array, receiverKey: Uint8Array, senderNonce: Uint8Array, senderKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + 2 * (NONCE_BYTES + NODE_KEY_BYTES))
  let p = 0
  for (const part of [DOMAIN, receiverNonce, receiverKey, senderNonce, senderKey]) { out.set(part, p); p += part.length }
  return out
}

/** Encodes an `auth`. @throws RangeError on a wrong signature size */
export function encodeAuth (sig: Uint8Array): Uint8Array {
  if (sig.length !== SIGNATURE_BYTES) throw new RangeError(`"sig" expected ${SIGNATURE_BYTES} bytes, got ${sig.length}`)
  const out = new Uint8Array(AUTH_SIZE)
  out[0] = MSG_AUTH
  out.set(sig, 1)
  return out
}

/** Encodes an `ack` of `bytes` processed. @throws RangeError outside 1..2^28-1 */
export function encodeAck (bytes: number): Uint8Array {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 0x0fffffff) throw new RangeError(`"bytes" expected 1..2^28-1, got ${bytes}`)
  const out = new Uint8Array(1 + varintLength(bytes))
  out[0] = MSG_ACK
  varintEncode(bytes, out, 1)
  return out
}

/**
 * Encodes a `summary`: every chain the sender holds (a node sends one when it holds at most
 * `RECON_SUMMARY_MAX` chains; with more it reconciles with `recon` messages).
 * @param entries - the entries
 * @param max - most entries (default `MAX_SUMMARY_ENTRIES`, the most a receiver accepts)
 * @throws RangeError on malformed entries or too many of them
 */
export function encodeSummary (entries: readonly SummaryEntry[] | Summary, max: number = MAX_SUMMARY_ENTRIES): Uint8Array {
  if (entries instanceof Summary) entries = [...entries]
  if (entries.length > max) throw new RangeError(`summary holds ${entries.length} chains, at most ${max}`)
  let size = 1 + varintLength(entries.length)
  for (const e of entries) size += SUMMARY_CHAIN_BYTES + varintLength(e.height) + SUMMARY_TIP_BYTES
  const out = new Uint8Array(size)
  out[0] = MSG_SUMMARY
  let p = 1 + varintEncode(entries.length, out, 1)
  for (const e of entries) {
    if (e.chainId.length < SUMMARY_CHAIN_BYTES || e.tip.length < SUMMARY_TIP_BYTES) throw new RangeError('summary entry ids too short')
    out.set(e.chainId.subarray(0, SUMMARY_CHAIN_BYTES), p)
    p += SUMMARY_CHAIN_BYTES
    p += varintEncode(e.height, out, p)
    out.set(e.tip.subarray(0, SUMMARY_TIP_BYTES), p)
    p += SUMMARY_TIP_BYTES
  }
  return out
}

/**
 * Encodes a `blocks` message carrying one chain segment.
 *
 * @throws RangeError when the feed is empty or over the block or size limit
 */
export function encodeBlocks (feed: Feed): Uint8Array {
  if (feed.length === 0) throw new RangeError('"feed" is empty')
  if (feed.length > MAX_BLOCKS_PER_MESSAGE) throw new RangeError(`"feed" holds ${feed.length} blocks, at most ${MAX_BLOCKS_PER_MESSAGE} a message`)
  const buf = feed.buffer
  if (buf.length + 1 > MAX_MESSAGE_SIZE) throw new RangeError(`"feed" of ${buf.length} bytes exceeds the message size limit`)
  const out = new Uint8Array(1 + buf.length)
  out[0] = MSG_BLOCKS
  out.set(buf, 1)
  return out
}

/**
 * Splits a chain segment into feeds that each fit one `blocks` message, in chain order.
 */
export function splitForWire (feed: Feed, maxBlocks: number = MAX_BLOCKS_PER_MESSAGE, maxSize: number = MAX_MESSAGE_SIZE): Feed[] {
  const out: Feed[] = []
  let start = 0
  let size = 5 // type byte + magic
  const blocks = feed.blocks
  for (let i = 0; i < blocks.length; i++) {
    const bs = (blocks[i] as { blockSize: number }).blockSize
    if (bs + 5 > maxSize) throw new RangeError(`block ${i} of ${bs} bytes cannot fit a message`)
    if (i - start >= maxBlocks || size + bs > maxSize) {
      out.push(feed.slice(start, i))
      start = i
      size = 5
    }
    size += bs
  }
  if (start < blocks.length) out.push(start === 0 ? feed : feed.slice(start))
  return out
}

/** Encodes a `want` for a 64-byte block id. @throws RangeError on a wrong id size */
export function encodeWant (id: Uint8Array): Uint8Array {
  if (id.length !== 64) throw new RangeError(`"id" expected 64 bytes, got ${id.length}`)
  const out = new Uint8Array(65)
  out[0] = MSG_WANT
  out.set(id, 1)
  return out
}

/**
 * Encodes a `have` or a `fetch`.
 *
 * @param type - which of the two
 * @param entries - 1..`MAX_HEADS_PER_MESSAGE` chains with a height each
 * @returns the message
 * @throws RangeError on a bad id, height or count
 */
export function encodeHeads (type: 'have' | 'fetch', entries: readonly HeadEntry[]): Uint8Array {
  if (entries.length === 0 || entries.length > MAX_HEADS_PER_MESSAGE) throw new RangeError(`"entries" expected 1..${MAX_HEADS_PER_MESSAGE}, got ${entries.length}`)
  let size = 1 + varintLength(entries.length)
  for (const e of entries) {
    if (e.chainId.length !== CHAIN_ID_BYTES) throw new RangeError(`"chainId" expected ${CHAIN_ID_BYTES} bytes, got ${e.chainId.length}`)
    size += CHAIN_ID_BYTES + varintLength(e.height)
  }
  const out = new Uint8Array(size)
  out[0] = type === 'have' ? MSG_HAVE : MSG_FETCH
  let p = 1 + varintEncode(entries.length, out, 1)
  for (const e of entries) {
    out.set(e.chainId, p)
    p += CHAIN_ID_BYTES
    p += varintEncode(e.height, out, p)
  }
  return out
}

/** Encodes a `bye`; the reason is cut to 256 bytes. */
export function encodeBye (code: number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`"code" expected a byte, got ${code}`)
  let r = s2b(reason)
  if (r.length > MAX_BYE_REASON) r = r.subarray(0, MAX_BYE_REASON)
  const out = new Uint8Array(2 + r.length)
  out[0] = MSG_BYE
  out[1] = code
  out.set(r, 2)
  return out
}

/**
 * Decodes one message. The blocks of a `blocks` message are parsed and linked but NOT
 * verified: the store verifies only the blocks it does not have yet.
 *
 * @param bytes - the message as received
 * @param limits - decoding limits
 * @returns the message
 * @throws KernelError `ProtocolError` on anything that breaks the grammar or the limits;
 *   `InvalidBlocks` when a `blocks` payload is not a well-formed linked feed
 */
export function decodeMessage (bytes: Uint8Array, limits: DecodeLimits = {}): Message {
  if (!(bytes instanceof Uint8Array)) throw bad('message is not bytes')
  const maxSize = limits.maxMessageSize ?? MAX_MESSAGE_SIZE
  if (bytes.length === 0) throw bad('empty message')
  if (bytes.length > maxSize) throw bad(`message of ${bytes.length} bytes exceeds ${maxSize}`)
  const type = bytes[0]
  switch (type) {
    case MSG_HELLO: {
      if (bytes.length < 2) throw bad('hello without a version')
      const version = bytes[1] as number
      if (version !== PROTOCOL_VERSION) return { type: 'hello', version, nodeKey: new Uint8Array(0), nonce: new Uint8Array(0), window: 0 }
      if (bytes.length !== HELLO_SIZE) throw bad(`hello must be ${HELLO_SIZE} bytes, got ${bytes.length}`)
      return {
        type: 'hello',
        version,
        nodeKey: bytes.slice(2, 2 + NODE_KEY_BYTES),
        nonce: bytes.slice(2 + NODE_KEY_BYTES, 2 + NODE_KEY_BYTES + NONCE_BYTES),
        window: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2 + NODE_KEY_BYTES + NONCE_BYTES)
      }
    }
    case MSG_AUTH: {
      if (bytes.length !== AUTH_SIZE) throw bad(`auth must be ${AUTH_SIZE} bytes, got ${bytes.length}`)
      return { type: 'auth', sig: bytes.slice(1) }
    }
    case MSG_ACK: {
      const [n, len] = readVarint(bytes, 1)
      if (1 + len !== bytes.length) throw bad('trailing bytes after ack')
      if (n === 0) throw bad('empty ack')
      return { type: 'ack', bytes: n }
    }
    case MSG_SUMMARY: {
      const [count, n] = readVarint(bytes, 1)
      const maxEntries = limits.maxSummaryEntries ?? MAX_SUMMARY_ENTRIES
      if (count > maxEntries) throw bad(`summary of ${count} chains exceeds ${maxEntries}`)
      // Each entry takes at least 25 bytes: refuse a count the message cannot hold before allocating.
      if (count * (SUMMARY_CHAIN_BYTES + 1 + SUMMARY_TIP_BYTES) > bytes.length - 1 - n) throw bad('summary shorter than its count')
      // An index of 8 bytes per entry over the message's own bytes: no object per entry.
      const offsets = new Uint32Array(count)
      const heights = new Uint32Array(count)
      let p = 1 + n
      for (let i = 0; i < count; i++) {
        if (p + SUMMARY_CHAIN_BYTES > bytes.length) throw bad('summary truncated')
        offsets[i] = p
        p += SUMMARY_CHAIN_BYTES
        const [height, hn] = readVarint(bytes, p)
        heights[i] = height
        p += hn + SUMMARY_TIP_BYTES
        if (p > bytes.length) throw bad('summary truncated')
      }
      if (p !== bytes.length) throw bad('trailing bytes after summary')
      return { type: 'summary', summary: new Summary(bytes, offsets, heights) }
    }
    case MSG_BLOCKS: {
      let feed: Feed
      try {
        feed = Feed.from(bytes.subarray(1), true)
      } catch (err) {
        throw new KernelError('InvalidBlocks', 'blocks message does not hold a well-formed feed', { cause: err })
      }
      if (feed.length === 0) throw bad('blocks message holds no block')
      const maxBlocks = limits.maxBlocks ?? MAX_BLOCKS_PER_MESSAGE
      if (feed.length > maxBlocks) throw bad(`blocks message holds ${feed.length} blocks, at most ${maxBlocks}`)
      return { type: 'blocks', feed }
    }
    case MSG_RECON: return { type: 'recon', recon: decodeRecon(bytes) }
    case MSG_HAVE:
    case MSG_FETCH: {
      const [count, n] = readVarint(bytes, 1)
      if (count === 0 || count > MAX_HEADS_PER_MESSAGE) throw bad(`${count} chains in a have or fetch, 1..${MAX_HEADS_PER_MESSAGE}`)
      if (count * (CHAIN_ID_BYTES + 1) > bytes.length - 1 - n) throw bad('have or fetch shorter than its count')
      const entries: HeadEntry[] = []
      let p = 1 + n
      for (let i = 0; i < count; i++) {
        if (p + CHAIN_ID_BYTES >= bytes.length) throw bad('have or fetch truncated')
        const chainId = bytes.slice(p, p + CHAIN_ID_BYTES)
        const [height, hn] = readVarint(bytes, p + CHAIN_ID_BYTES)
        entries.push({ chainId, height })
        p += CHAIN_ID_BYTES + hn
      }
      if (p !== bytes.length) throw bad('trailing bytes after have or fetch')
      return { type: type === MSG_HAVE ? 'have' : 'fetch', entries }
    }
    case MSG_WANT: {
      if (bytes.length !== 65) throw bad(`want must be 65 bytes, got ${bytes.length}`)
      return { type: 'want', id: bytes.slice(1) }
    }
    case MSG_BYE: {
      if (bytes.length < 2 || bytes.length > 2 + MAX_BYE_REASON) throw bad('bye has a bad length')
      return { type: 'bye', code: bytes[1] as number, reason: b2s(bytes.subarray(2)) }
    }
    default:
      throw bad(`unknown message type ${type}`)
  }
}

function readVarint (bytes: Uint8Array, offset: number): [number, number] {
  try {
    return varintDecode(bytes, offset)
  } catch (err) {
    throw bad('bad varint', err)
  }
}

// Encoders and decoders of the sync protocol's messages (PROTOCOL.md beside this file).
// Encoders measure, allocate once, write; decoders bound every length they read.
import { Feed, b2s, s2b, varintDecode, varintEncode, varintLength } from '../feed/index.js'
import {
  MAX_BLOCKS_PER_MESSAGE, MAX_BYE_REASON, MAX_MESSAGE_SIZE, MAX_SUMMARY_ENTRIES, MSG_BLOCKS, MSG_BYE,
  MSG_HELLO, MSG_SUMMARY, MSG_WANT, NODE_ID_BYTES, NONCE_BYTES, PROTOCOL_VERSION, SUMMARY_CHAIN_BYTES,
  SUMMARY_TIP_BYTES
} from './constants.js'
import { KernelError } from './errors.js'

/** One chain in a summary: truncated chain id, height (blocks - 1), truncated tip id. */
export interface SummaryEntry {
  /** First 16 bytes of the genesis signature. */
  chainId: Uint8Array
  /** Index of the tip block (number of blocks - 1). */
  height: number
  /** First 8 bytes of the tip's signature. */
  tip: Uint8Array
}

/** A decoded protocol message. */
export type Message =
  | { type: 'hello', version: number, nodeId: Uint8Array, nonce: Uint8Array }
  | { type: 'summary', entries: SummaryEntry[] }
  | { type: 'blocks', feed: Feed }
  | { type: 'want', id: Uint8Array }
  | { type: 'bye', code: number, reason: string }

/** Limits applied while decoding. */
export interface DecodeLimits {
  /** Largest accepted message, bytes (default 4 MiB). */
  maxMessageSize?: number
  /** Most blocks in one `blocks` message (default 1024). */
  maxBlocks?: number
}

const HELLO_SIZE = 1 + 1 + NODE_ID_BYTES + NONCE_BYTES

function bad (message: string, cause?: unknown): KernelError {
  return new KernelError('ProtocolError', message, cause === undefined ? undefined : { cause })
}

/** Encodes a `hello`. @throws RangeError on wrong id sizes */
export function encodeHello (nodeId: Uint8Array, nonce: Uint8Array, version: number = PROTOCOL_VERSION): Uint8Array {
  if (nodeId.length !== NODE_ID_BYTES) throw new RangeError(`"nodeId" expected ${NODE_ID_BYTES} bytes, got ${nodeId.length}`)
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`"nonce" expected ${NONCE_BYTES} bytes, got ${nonce.length}`)
  const out = new Uint8Array(HELLO_SIZE)
  out[0] = MSG_HELLO
  out[1] = version
  out.set(nodeId, 2)
  out.set(nonce, 2 + NODE_ID_BYTES)
  return out
}

/** Encodes a `summary`. @throws RangeError on malformed entries or too many of them */
export function encodeSummary (entries: readonly SummaryEntry[]): Uint8Array {
  if (entries.length > MAX_SUMMARY_ENTRIES) throw new RangeError(`summary holds ${entries.length} chains, at most ${MAX_SUMMARY_ENTRIES}`)
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
      if (bytes.length !== HELLO_SIZE) throw bad(`hello must be ${HELLO_SIZE} bytes, got ${bytes.length}`)
      return {
        type: 'hello',
        version: bytes[1] as number,
        nodeId: bytes.slice(2, 2 + NODE_ID_BYTES),
        nonce: bytes.slice(2 + NODE_ID_BYTES, HELLO_SIZE)
      }
    }
    case MSG_SUMMARY: {
      const [count, n] = readVarint(bytes, 1)
      if (count > MAX_SUMMARY_ENTRIES) throw bad(`summary of ${count} chains exceeds ${MAX_SUMMARY_ENTRIES}`)
      // Each entry takes at least 25 bytes: refuse a count the message cannot hold before allocating.
      if (count * (SUMMARY_CHAIN_BYTES + 1 + SUMMARY_TIP_BYTES) > bytes.length - 1 - n) throw bad('summary shorter than its count')
      const entries: SummaryEntry[] = []
      let p = 1 + n
      for (let i = 0; i < count; i++) {
        if (p + SUMMARY_CHAIN_BYTES > bytes.length) throw bad('summary truncated')
        const chainId = bytes.slice(p, p + SUMMARY_CHAIN_BYTES)
        p += SUMMARY_CHAIN_BYTES
        const [height, hn] = readVarint(bytes, p)
        p += hn
        if (p + SUMMARY_TIP_BYTES > bytes.length) throw bad('summary truncated')
        const tip = bytes.slice(p, p + SUMMARY_TIP_BYTES)
        p += SUMMARY_TIP_BYTES
        entries.push({ chainId, height, tip })
      }
      if (p !== bytes.length) throw bad('trailing bytes after summary')
      return { type: 'summary', entries }
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

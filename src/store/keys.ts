// Binary keys of the store's sublevels. Every variable-length part is length-prefixed
// (so one part never spills into the next and two keys never collide); times are big-endian
// so keys sort by time.
import { s2b, b2s } from '../feed/index.js'
import { concat } from '../internal/bytes.js'

/** An object id inside a collection: a string (hex for byte ids) or a finite number. */
export type ObjectId = string | number

// Key spaces inside the 'store' sublevel.
export const K_STATE = 0x53 // 'S' lp(name) idKey              -> CBOR record
export const K_META = 0x4d // 'M' lp(name)                     -> CBOR { version, head, seq }
export const K_INDEX = 0x49 // 'I' lp(name) key                -> block id
export const K_REF = 0x52 // 'R' lp(blockRoot) lp(name) idKey -> empty
export const K_LOG = 0x4c // 'L'                                -> last seq (8 BE), when no meta holds it
//                              ('L' seq (8 BE) -> block id: the oldest per-block log, migrated)
export const K_SEQ = 0x51 // 'Q' block id                      -> seq (8 BE): the version-1 acceptance log, migrated
//                              (version 2 records each block's seq with its location in the repo)
export const K_VERSION = 0x56 // 'V'                            -> layout version (8 BE)

/**
 * Layout version this code writes and reads; a database without the key is version 1, and
 * version 1 is migrated on load (its acceptance log moves into the repo's block locations).
 */
export const STORE_SCHEMA_VERSION = 2

const EMPTY = new Uint8Array(0)
/** Empty value. */
export const NONE: Uint8Array = EMPTY

/** One-byte length prefix (names and roots are at most 255 bytes). */
export function lp (b: Uint8Array): Uint8Array {
  if (b.length > 255) throw new RangeError(`key part longer than 255 bytes (${b.length})`)
  const out = new Uint8Array(b.length + 1)
  out[0] = b.length
  out.set(b, 1)
  return out
}

/** Canonical bytes of an object id: 's' + UTF-8, or 'n' + float64 big-endian. */
export function idKey (id: ObjectId): Uint8Array {
  if (typeof id === 'number') {
    const out = new Uint8Array(9)
    out[0] = 0x6e
    new DataView(out.buffer).setFloat64(1, id)
    return out
  }
  const s = s2b(id)
  const out = new Uint8Array(s.length + 1)
  out[0] = 0x73
  out.set(s, 1)
  return out
}

// Float64 bytes without a DataView (it would make V8 materialise the key's buffer).
const F64 = new Float64Array(1)
const F64_BYTES = new Uint8Array(F64.buffer)
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** `pre ‖ idKey(id)` (one allocation for a number id, two for a string). */
export function withId (pre: Uint8Array, id: ObjectId): Uint8Array {
  const n = pre.length
  if (typeof id === 'number') {
    const out = new Uint8Array(n + 9)
    out.set(pre, 0)
    out[n] = 0x6e
    F64[0] = id
    for (let i = 0; i < 8; i++) out[n + 1 + i] = F64_BYTES[LITTLE_ENDIAN ? 7 - i : i] as number
    return out
  }
  const s = s2b(id)
  const out = new Uint8Array(n + 1 + s.length)
  out.set(pre, 0)
  out[n] = 0x73
  out.set(s, n + 1)
  return out
}

/** Inverse of {@link idKey}. */
export function parseIdKey (b: Uint8Array): ObjectId {
  if (b[0] === 0x6e) return new DataView(b.buffer, b.byteOffset + 1, U64_SIZE).getFloat64(0)
  return b2s(b.subarray(1))
}

/** Size of a big-endian u64 (timer due times, seqs). */
export const U64_SIZE = 8

/** Big-endian u64 of `n` (floored, at least 0). */
export function u64 (n: number): Uint8Array {
  const out = new Uint8Array(U64_SIZE)
  const v = Math.max(0, Math.floor(n))
  if (v > Number.MAX_SAFE_INTEGER) {
    new DataView(out.buffer).setBigUint64(0, BigInt(v))
    return out
  }
  // Byte arithmetic: no BigInt, no DataView (both cost more than the write on this hot path).
  const hi = Math.floor(v / 0x100000000)
  const lo = v >>> 0
  out[0] = hi >>> 24; out[1] = hi >>> 16; out[2] = hi >>> 8; out[3] = hi
  out[4] = lo >>> 24; out[5] = lo >>> 16; out[6] = lo >>> 8; out[7] = lo
  return out
}

/** Reads a big-endian u64 at `offset`. */
export function readU64 (b: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + U64_SIZE > b.length) throw new RangeError('Offset is outside the bounds of the DataView')
  const hi = ((b[offset] as number) * 0x1000000) + (((b[offset + 1] as number) << 16) | ((b[offset + 2] as number) << 8) | (b[offset + 3] as number))
  const lo = ((b[offset + 4] as number) * 0x1000000) + (((b[offset + 5] as number) << 16) | ((b[offset + 6] as number) << 8) | (b[offset + 7] as number))
  return hi * 0x100000000 + lo
}

export function stateKey (name: Uint8Array, id: ObjectId): Uint8Array { return concat(Uint8Array.of(K_STATE), lp(name), idKey(id)) }
export function statePrefix (name: Uint8Array): Uint8Array { return concat(Uint8Array.of(K_STATE), lp(name)) }
export function metaKey (name: Uint8Array): Uint8Array { return concat(Uint8Array.of(K_META), lp(name)) }
export function indexKey (name: Uint8Array, key: Uint8Array): Uint8Array { return concat(Uint8Array.of(K_INDEX), lp(name), key) }
export function refPrefix (blockRoot: Uint8Array): Uint8Array { return concat(Uint8Array.of(K_REF), lp(blockRoot)) }
export function refKey (blockRoot: Uint8Array, name: Uint8Array, id: ObjectId): Uint8Array {
  return concat(Uint8Array.of(K_REF), lp(blockRoot), lp(name), idKey(id))
}

/** Timer key in the scheduler sublevel: due time (8 BE) lp(name) idKey. */
export function timerKey (due: number, name: Uint8Array, id: ObjectId): Uint8Array { return concat(u64(due), lp(name), idKey(id)) }

/** Parses a timer key: due (8) ‖ name length (1) ‖ name ‖ idKey. */
export function parseTimerKey (k: Uint8Array): { due: number, name: string, id: ObjectId } {
  const due = readU64(k)
  const n = k[U64_SIZE] as number
  const name = U64_SIZE + 1
  return { due, name: b2s(k.subarray(name, name + n)), id: parseIdKey(k.subarray(name + n)) }
}

/** The block id of an acceptance-log key (`'Q'` ‖ block id). */
export function parseSeqKey (k: Uint8Array): Uint8Array {
  return k.slice(1)
}

/** The acceptance position an older per-block log key (`'L'` ‖ seq) holds. */
export function parseLogKey (k: Uint8Array): number {
  return readU64(k, 1)
}

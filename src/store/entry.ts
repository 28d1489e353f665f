// Codecs of the store's records (layout in keys.ts): object entries and collection metas.
import { encode, decode } from 'cborg'
import { deepFreeze } from './freeze.js'
import type { Entry } from './txn.js'

// Both records are written with every accepted block, so their fixed parts are written here
// byte for byte as cborg writes them (a map's keys sorted length-first, then bytewise; integers
// and lengths in their shortest form); the object's value, and any number that is not a small
// non-negative integer, still go through cborg.

/** Bytes of a CBOR head: major type `major`, argument `n` (an integer in [0, 2^53)). */
function headLength (n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9
}

function putHead (b: Uint8Array, o: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) { b[o] = m | n; return o + 1 }
  if (n < 0x100) { b[o] = m | 24; b[o + 1] = n; return o + 2 }
  if (n < 0x10000) { b[o] = m | 25; b[o + 1] = n >>> 8; b[o + 2] = n & 0xff; return o + 3 }
  if (n < 0x100000000) { b[o] = m | 26; putU32(b, o + 1, n); return o + 5 }
  b[o] = m | 27
  putU32(b, o + 1, Math.floor(n / 0x100000000))
  putU32(b, o + 5, n >>> 0)
  return o + 9
}

function putU32 (b: Uint8Array, o: number, n: number): void {
  b[o] = n >>> 24; b[o + 1] = (n >>> 16) & 0xff; b[o + 2] = (n >>> 8) & 0xff; b[o + 3] = n & 0xff
}

const isUint = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

function putBytes (b: Uint8Array, o: number, x: Uint8Array): number {
  o = putHead(b, o, 2, x.length)
  b.set(x, o)
  return o + x.length
}

/** A number as cborg writes it: small non-negative integers here, anything else by cborg. */
function num (n: number): { size: number, bytes: Uint8Array | undefined } {
  if (isUint(n)) return { size: headLength(n), bytes: undefined }
  const bytes = encode(n)
  return { size: bytes.length, bytes }
}

function putNum (b: Uint8Array, o: number, n: number, bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return putHead(b, o, 0, n)
  b.set(bytes, o)
  return o + bytes.length
}

const KEY_E = Uint8Array.of(0x61, 0x65)
const KEY_R = Uint8Array.of(0x61, 0x72)
const KEY_V = Uint8Array.of(0x61, 0x76)
const KEY_X = Uint8Array.of(0x61, 0x78)
const KEY_SEQ = Uint8Array.of(0x63, 0x73, 0x65, 0x71)
const KEY_HEAD = Uint8Array.of(0x64, 0x68, 0x65, 0x61, 0x64)
const KEY_VERSION = Uint8Array.of(0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e)
const NULL = 0xf6

/** @internal a persisted object: CBOR `{ v: value, e: expiry | null, r: roots, x: index entries }` */
export function encodeEntry (e: Entry): Uint8Array {
  const v = encode(e.value)
  const exp = Number.isFinite(e.exp) ? num(e.exp) : undefined
  let size = 1 + 8 + v.length + (exp === undefined ? 1 : exp.size) + headLength(e.roots.length) + headLength(e.idx.length)
  for (const r of e.roots) size += headLength(r.length) + r.length
  for (const [k, id] of e.idx) size += 1 + headLength(k.length) + k.length + headLength(id.length) + id.length
  const b = new Uint8Array(size)
  b[0] = 0xa4
  b.set(KEY_E, 1)
  let o = 3
  if (exp === undefined) b[o++] = NULL
  else o = putNum(b, o, e.exp, exp.bytes)
  b.set(KEY_R, o)
  o = putHead(b, o + 2, 4, e.roots.length)
  for (const r of e.roots) o = putBytes(b, o, r)
  b.set(KEY_V, o)
  b.set(v, o + 2)
  o += 2 + v.length
  b.set(KEY_X, o)
  o = putHead(b, o + 2, 4, e.idx.length)
  for (const [k, id] of e.idx) {
    b[o++] = 0x82
    o = putBytes(b, o, k)
    o = putBytes(b, o, id)
  }
  return b
}

/** @internal inverse of {@link encodeEntry}; the value comes back deep-frozen */
export function decodeEntry (b: Uint8Array): Entry {
  const o = decode(b) as { v: unknown, e: number | null, r: Uint8Array[], x: Array<[Uint8Array, Uint8Array]> }
  return { value: deepFreeze(o.v), exp: o.e ?? Infinity, roots: o.r, idx: o.x }
}

/** @internal a collection's meta record */
export interface Meta {
  /** Committed writes to the collection. */
  version: number
  /** Id of the last block that changed it. */
  head: Uint8Array | null
  /** The acceptance position when it was written (absent in older records). */
  seq?: number
}

/** @internal CBOR `{ version, head, seq }` */
export function encodeMeta (m: Meta): Uint8Array {
  if (!isUint(m.version) || !isUint(m.seq) || !(m.head === null || m.head instanceof Uint8Array)) return encode(m)
  const h = m.head
  const b = new Uint8Array(1 + 4 + headLength(m.seq) + 5 + (h === null ? 1 : headLength(h.length) + h.length) + 8 + headLength(m.version))
  b[0] = 0xa3
  b.set(KEY_SEQ, 1)
  let o = putHead(b, 5, 0, m.seq)
  b.set(KEY_HEAD, o)
  o += 5
  if (h === null) b[o++] = NULL
  else o = putBytes(b, o, h)
  b.set(KEY_VERSION, o)
  putHead(b, o + 8, 0, m.version)
  return b
}

/** @internal inverse of {@link encodeMeta} */
export function decodeMeta (b: Uint8Array): Meta {
  return decode(b) as Meta
}

// Codecs of the store's records (layout in keys.ts): object entries and collection metas.
import { encode, decode } from 'cborg'
import { deepFreeze } from './freeze.js'
import type { Entry } from './txn.js'

/** @internal a persisted object: CBOR `{ v: value, e: expiry | null, r: roots, x: index entries }` */
export function encodeEntry (e: Entry): Uint8Array {
  return encode({ v: e.value, e: Number.isFinite(e.exp) ? e.exp : null, r: e.roots, x: e.idx })
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
  return encode(m)
}

/** @internal inverse of {@link encodeMeta} */
export function decodeMeta (b: Uint8Array): Meta {
  return decode(b) as Meta
}

// Key builders and index value codecs (layout in constants.ts).
import { CHAIN_SIZE, LOC_SIZE } from './constants.js'
import { repoErr } from './errors.js'

/** Where a block sits: its chain, its 0-based height from genesis, the chain's owner. */
export interface BlockLocation {
  /** Id of the chain (branch) holding the block. */
  chainId: Uint8Array
  /** Distance from the genesis block (genesis = 0). */
  height: number
  /** Genesis author of the chain's root. */
  owner: Uint8Array
}

/**
 * One stored chain (branch). A root chain starts at a genesis block and its id is the
 * genesis signature; a fork starts at a block whose parent is not the tip of its chain,
 * and its id is that block's signature.
 */
export interface ChainInfo {
  /** The chain id. */
  chainId: Uint8Array
  /** Genesis author of the root chain. */
  owner: Uint8Array
  /** Newest block of the chain. */
  tip: Uint8Array
  /** Height of the tip. */
  height: number
  /** Height of the chain's first block (0 for a root chain). */
  start: number
  /** Id of the root chain (the genesis signature). */
  root: Uint8Array
  /** Parent block of the first block (forks only). */
  parent: Uint8Array | undefined
}

/** @internal namespace byte ‖ parts */
export function mkKey (ns: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 1
  for (const p of parts) n += p.length
  const k = new Uint8Array(n)
  k[0] = ns
  let o = 1
  for (const p of parts) { k.set(p, o); o += p.length }
  return k
}

/** @internal */
export function u32 (n: number): Uint8Array {
  const b = new Uint8Array(4)
  putU32(b, 0, n)
  return b
}

// Byte arithmetic instead of a DataView: a DataView makes V8 materialise the array's buffer,
// which costs more than the write itself for these small, hot records.
function readU32 (b: Uint8Array, o: number): number {
  if (o < 0 || o + 4 > b.length) throw new RangeError('Offset is outside the bounds of the DataView')
  return ((b[o] as number) * 0x1000000) + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))
}

function putU32 (b: Uint8Array, o: number, n: number): void {
  b[o] = n >>> 24; b[o + 1] = n >>> 16; b[o + 2] = n >>> 8; b[o + 3] = n
}

/** @internal */
export function encodeLocation (chainId: Uint8Array, height: number, owner: Uint8Array): Uint8Array {
  const v = new Uint8Array(LOC_SIZE)
  v.set(chainId, 0)
  putU32(v, 64, height)
  v.set(owner, 68)
  return v
}

/** @internal */
export function decodeLocation (v: Uint8Array): BlockLocation {
  if (v.length !== LOC_SIZE) throw repoErr('CorruptIndex', `block location of ${v.length} bytes`)
  return { chainId: v.slice(0, 64), height: readU32(v, 64), owner: v.slice(68, 100) }
}

/** @internal */
export function encodeChain (c: ChainInfo): Uint8Array {
  const v = new Uint8Array(CHAIN_SIZE + (c.parent === undefined ? 0 : 64))
  v.set(c.owner, 0)
  v.set(c.tip, 32)
  putU32(v, 96, c.height)
  putU32(v, 100, c.start)
  v.set(c.root, 104)
  if (c.parent !== undefined) v.set(c.parent, CHAIN_SIZE)
  return v
}

/** @internal */
export function decodeChain (chainId: Uint8Array, v: Uint8Array): ChainInfo {
  if (v.length !== CHAIN_SIZE && v.length !== CHAIN_SIZE + 64) throw repoErr('CorruptIndex', `chain info of ${v.length} bytes`)
  return {
    chainId,
    owner: v.slice(0, 32),
    tip: v.slice(32, 96),
    height: readU32(v, 96),
    start: readU32(v, 100),
    root: v.slice(104, CHAIN_SIZE),
    parent: v.length > CHAIN_SIZE ? v.slice(CHAIN_SIZE) : undefined
  }
}

/** @internal u32 value of a small index entry */
export function decodeU32 (v: Uint8Array): number {
  if (v.length !== 4) throw repoErr('CorruptIndex', `u32 value of ${v.length} bytes`)
  return readU32(v, 0)
}

/** @internal a compact string form of key bytes for in-memory maps */
export function keyStr (k: Uint8Array): string {
  return String.fromCharCode.apply(null, k as unknown as number[])
}

/** @internal the smallest key greater than every key that starts with `prefix` (gaps.md R9) */
export function prefixEnd (prefix: Uint8Array): Uint8Array {
  const end = prefix.slice()
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) { end[i] = (end[i] as number) + 1; return end.subarray(0, i + 1) }
  }
  throw new RangeError('prefix has no upper bound')
}

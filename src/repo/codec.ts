// Key builders and index value codecs (layout in constants.ts).
import {
  CHAIN_HEIGHT, CHAIN_OWNER, CHAIN_ROOT, CHAIN_SIZE, CHAIN_START, CHAIN_TIP, LOC_CHAIN, LOC_HEIGHT, LOC_OWNER, LOC_SEQ_SIZE, LOC_SIZE,
  NS_BLOCK, NS_SIZE, PK_SIZE, SIG_SIZE, U32_SIZE
} from './constants.js'
import { repoErr } from './errors.js'

/** Where a block sits: its chain, its 0-based height from genesis, the chain's owner. */
export interface BlockLocation {
  /** Id of the chain (branch) holding the block. */
  chainId: Uint8Array
  /** Distance from the genesis block (genesis = 0). */
  height: number
  /** Genesis author of the chain's root. */
  owner: Uint8Array
  /** The acceptance position a store recorded with the block (see `PrepareOptions.seq`), if any. */
  seq?: number
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

/**
 * @internal `prefix ‖ ns ‖ a ‖ b`: a repo key as the root database stores it (the repo
 * sublevel's prefix, then the local key), built in one allocation.
 */
export function dbKey (prefix: Uint8Array, ns: number, a?: Uint8Array, b?: Uint8Array): Uint8Array {
  const n = prefix.length
  const k = new Uint8Array(n + 1 + (a === undefined ? 0 : a.length) + (b === undefined ? 0 : b.length))
  k.set(prefix, 0)
  k[n] = ns
  if (a !== undefined) k.set(a, n + 1)
  if (b !== undefined) k.set(b, n + 1 + (a as Uint8Array).length)
  return k
}

/** @internal `prefix ‖ NS_BLOCK ‖ chain id ‖ u32(height)`: a block's key in the root database */
export function blockKey (prefix: Uint8Array, chainId: Uint8Array, height: number): Uint8Array {
  const n = prefix.length
  const k = new Uint8Array(n + 1 + chainId.length + U32_SIZE)
  k.set(prefix, 0)
  k[n] = NS_BLOCK
  k.set(chainId, n + 1)
  putU32(k, n + 1 + chainId.length, height)
  return k
}

/** @internal */
export function u32 (n: number): Uint8Array {
  const b = new Uint8Array(U32_SIZE)
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

/** @internal `seq`: the acceptance position to record, if any (a safe integer >= 0) */
export function encodeLocation (chainId: Uint8Array, height: number, owner: Uint8Array, seq?: number): Uint8Array {
  const v = new Uint8Array(seq === undefined ? LOC_SIZE : LOC_SEQ_SIZE)
  v.set(chainId, LOC_CHAIN)
  putU32(v, LOC_HEIGHT, height)
  v.set(owner, LOC_OWNER)
  if (seq !== undefined) {
    putU32(v, LOC_SIZE, Math.floor(seq / 0x100000000))
    putU32(v, LOC_SIZE + 4, seq >>> 0)
  }
  return v
}

/** @internal */
export function decodeLocation (v: Uint8Array): BlockLocation {
  if (v.length !== LOC_SIZE && v.length !== LOC_SEQ_SIZE) throw repoErr('CorruptIndex', `block location of ${v.length} bytes`)
  const loc: BlockLocation = { chainId: v.slice(LOC_CHAIN, LOC_HEIGHT), height: readU32(v, LOC_HEIGHT), owner: v.slice(LOC_OWNER, LOC_SIZE) }
  if (v.length === LOC_SEQ_SIZE) loc.seq = decodeSeq(v)
  return loc
}

/** @internal the acceptance position of a BLOCK_TO_CHAIN value, or undefined when it has none */
export function decodeSeq (v: Uint8Array): number | undefined {
  if (v.length !== LOC_SEQ_SIZE) return undefined
  return readU32(v, LOC_SIZE) * 0x100000000 + readU32(v, LOC_SIZE + 4)
}

/** @internal */
export function encodeChain (c: ChainInfo): Uint8Array {
  const v = new Uint8Array(CHAIN_SIZE + (c.parent === undefined ? 0 : SIG_SIZE))
  v.set(c.owner, CHAIN_OWNER)
  v.set(c.tip, CHAIN_TIP)
  putU32(v, CHAIN_HEIGHT, c.height)
  putU32(v, CHAIN_START, c.start)
  v.set(c.root, CHAIN_ROOT)
  if (c.parent !== undefined) v.set(c.parent, CHAIN_SIZE)
  return v
}

/** @internal */
export function decodeChain (chainId: Uint8Array, v: Uint8Array): ChainInfo {
  if (v.length !== CHAIN_SIZE && v.length !== CHAIN_SIZE + SIG_SIZE) throw repoErr('CorruptIndex', `chain info of ${v.length} bytes`)
  return {
    chainId,
    owner: v.slice(CHAIN_OWNER, CHAIN_TIP),
    tip: v.slice(CHAIN_TIP, CHAIN_HEIGHT),
    height: readU32(v, CHAIN_HEIGHT),
    start: readU32(v, CHAIN_START),
    root: v.slice(CHAIN_ROOT, CHAIN_SIZE),
    parent: v.length > CHAIN_SIZE ? v.slice(CHAIN_SIZE) : undefined
  }
}

/** @internal u32 value of a small index entry */
export function decodeU32 (v: Uint8Array): number {
  if (v.length !== U32_SIZE) throw repoErr('CorruptIndex', `u32 value of ${v.length} bytes`)
  return readU32(v, 0)
}

/** @internal the key material after the namespace byte of a local key */
export function keyMaterial (key: Uint8Array): Uint8Array {
  return key.slice(NS_SIZE)
}

/** @internal the child chain id of a CHAIN_CHILDREN key (ns ‖ parent chain id ‖ child chain id) */
export function childOfChildrenKey (key: Uint8Array): Uint8Array {
  return key.slice(NS_SIZE + SIG_SIZE, NS_SIZE + 2 * SIG_SIZE)
}

/** @internal the chain id of an OWNER_CHAINS key (ns ‖ owner pk ‖ chain id) */
export function chainOfOwnerKey (key: Uint8Array): Uint8Array {
  return key.slice(NS_SIZE + PK_SIZE, NS_SIZE + PK_SIZE + SIG_SIZE)
}

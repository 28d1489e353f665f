// Pure-JS Ed25519 through @noble/curves, for platforms without a native one.
//
// Verification rule shared by every backend (so Node, browsers and the fallback always reach
// the same verdict, whatever a signer crafts): RFC 8032 §5.1.7 with canonical encodings of A
// and R, S < L, the cofactorless equation [S]B = R + [k]A (what libsodium, OpenSSL, BoringSSL
// and thus node:crypto and WebCrypto check), public keys of small order rejected (which
// OpenSSL/BoringSSL accept: the identity key "verifies" S = 0 for any message), and R of small
// order rejected (libsodium's rule; OpenSSL/BoringSSL accept it: a key holder can sign with
// R = identity, and a key with a torsion component with any R of small order).
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import type { Ed25519 } from './ed25519.types.js'

const Point = ed25519.Point
const L = Point.Fn.ORDER

function le (bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

/**
 * True when `pk` is the canonical encoding of a curve point of large order: what a public
 * key must be under the shared verification rule.
 *
 * @internal
 */
export function acceptableKey (pk: Uint8Array): boolean {
  if (pk.length !== 32) return false
  try {
    return !Point.fromBytes(pk, false).isSmallOrder()
  } catch {
    return false
  }
}

// The encodings of the points of small order, as libsodium lists them (the top bit, x's sign,
// is ignored): y = 0, 1, the two y of order 8, p - 1, and the non-canonical p and p + 1.
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(h => Uint8Array.from(h.match(/../g) as string[], b => parseInt(b, 16)))
const SMALL_FIRST = new Set(SMALL_ORDER.map(e => e[0]))

/**
 * True when the 32 bytes at the start of `bytes` encode a point of small order (or a
 * non-canonical encoding of one), x's sign bit ignored: an R the shared rule refuses.
 *
 * @internal
 */
export function smallOrderEncoding (bytes: Uint8Array): boolean {
  if (!SMALL_FIRST.has(bytes[0])) return false
  outer: for (const e of SMALL_ORDER) {
    for (let i = 0; i < 31; i++) if (bytes[i] !== e[i]) continue outer
    if (((bytes[31] as number) & 0x7f) === e[31]) return true
  }
  return false
}

/** The @noble/curves backend (verification rule above). */
export const nobleEd25519: Ed25519 = {
  name: '@noble/curves',
  getPublicKey: (seed) => ed25519.getPublicKey(seed),
  sign: (msg, seed) => ed25519.sign(msg, seed),
  verify (sig, msg, pk) {
    if (sig.length !== 64 || pk.length !== 32) return false
    try {
      const A = Point.fromBytes(pk, false)
      if (A.isSmallOrder()) return false
      const r = sig.subarray(0, 32)
      if (smallOrderEncoding(r)) return false
      const R = Point.fromBytes(r, false)
      const s = le(sig.subarray(32))
      if (s >= L) return false
      const h = new Uint8Array(64 + msg.length)
      h.set(r); h.set(pk, 32); h.set(msg, 64)
      const k = le(sha512(h)) % L
      return Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)))
    } catch {
      return false // not a point on the curve, or a non-canonical encoding
    }
  }
}

// Ed25519 edge cases on which implementations are known to differ (small-order keys, torsion
// in R, R of small order, keys with a torsion component, S >= L, non-canonical encodings).
// Every backend of the kit must reach the verdict given here. Browser-safe (no Node
// built-ins): the browser test uses it too.
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'

export interface EdgeCase { name: string, sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, valid: boolean }

const Point = ed25519.Point
const L = Point.Fn.ORDER
const le = (b: Uint8Array): bigint => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number); return n }
const toLE = (n: bigint): Uint8Array => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n } return b }
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) as string[], b => parseInt(b, 16))
const cat = (...parts: Uint8Array[]): Uint8Array => { const o = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let i = 0; for (const p of parts) { o.set(p, i); i += p.length } return o }

export function edgeCases (): EdgeCase[] {
  const msg = new TextEncoder().encode('edge case message')
  const seed = new Uint8Array(32).fill(7)
  const pk = ed25519.getPublicKey(seed)
  const sig = ed25519.sign(msg, seed)
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
  const identity = toLE(1n) // y = 1
  const order4 = new Uint8Array(32) // y = 0: a point of order 4
  const T = Point.fromBytes(order4)
  // torsion in R, signed properly with the secret: cofactored checks accept, cofactorless reject
  const r = 123456789n
  const R2 = Point.BASE.multiply(r).add(T).toBytes()
  const k = le(sha512(cat(R2, pk, msg))) % L
  const torsion = cat(R2, toLE((r + k * scalar) % L))
  // R = identity, S = k * a: cofactorless checks without an R rule (OpenSSL) accept it
  const identityR = (() => {
    const R = Point.ZERO.toBytes()
    const k = le(sha512(cat(R, pk, msg))) % L
    return cat(R, toLE(k * scalar % L))
  })()
  // a key with a torsion component (A + T8): a small-order R can then satisfy [S]B = R + [k]A
  const T8 = Point.fromBytes(hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'))
  const mixedPk = Point.BASE.multiply(scalar).add(T8).toBytes()
  const mixed = (smallR: boolean): { sig: Uint8Array, msg: Uint8Array } => {
    for (let i = 0; ; i++) {
      const m = new TextEncoder().encode(`mixed ${i}`)
      const R = smallR ? T8.multiply(3n).toBytes() : Point.BASE.multiply(r).toBytes()
      const k = le(sha512(cat(R, mixedPk, m))) % L
      if ((k + (smallR ? 3n : 0n)) % 8n === 0n) return { sig: cat(R, toLE(((smallR ? 0n : r) + k * scalar) % L)), msg: m }
    }
  }
  const mixedSmallR = mixed(true)
  const mixedLargeR = mixed(false)
  // S + L: the same signature with an unreduced S
  const bigS = cat(sig.subarray(0, 32), toLE(le(sig.subarray(32)) + L))
  // y = p + 1 encodes the identity non-canonically
  const p = 2n ** 255n - 19n
  const nonCanonicalIdentity = toLE(p + 1n)
  return [
    { name: 'valid control', sig, msg, pk, valid: true },
    { name: 'identity key, R = identity, S = 0', sig: cat(identity, new Uint8Array(32)), msg, pk: identity, valid: false },
    { name: 'order-4 key, R = that point, S = 0', sig: cat(order4, new Uint8Array(32)), msg, pk: order4, valid: false },
    { name: 'torsion component in R', sig: torsion, msg, pk, valid: false },
    { name: 'S >= L', sig: bigS, msg, pk, valid: false },
    { name: 'non-canonical identity key', sig: cat(nonCanonicalIdentity, new Uint8Array(32)), msg, pk: nonCanonicalIdentity, valid: false },
    { name: 'non-canonical R', sig: cat(nonCanonicalIdentity, new Uint8Array(32)), msg, pk, valid: false },
    { name: 'key not on the curve', sig, msg, pk: toLE(2n), valid: false },
    { name: 'R = identity, S = k * a', sig: identityR, msg, pk, valid: false },
    { name: 'key with a torsion component, R of order 8', sig: mixedSmallR.sig, msg: mixedSmallR.msg, pk: mixedPk, valid: false },
    { name: 'key with a torsion component, R of large order', sig: mixedLargeR.sig, msg: mixedLargeR.msg, pk: mixedPk, valid: true },
    { name: 'R = identity with the sign bit set', sig: cat(toLE(1n | (1n << 255n)), identityR.subarray(32)), msg, pk, valid: false }
  ]
}

// Pure-JS Ed25519 through @noble/curves, for platforms without a native one.
import { ed25519 } from '@noble/curves/ed25519.js'
import type { Ed25519 } from './ed25519.types.js'

/** The @noble/curves backend (strict RFC 8032 verification, like OpenSSL's). */
export const nobleEd25519: Ed25519 = {
  name: '@noble/curves',
  getPublicKey: (seed) => ed25519.getPublicKey(seed),
  sign: (msg, seed) => ed25519.sign(msg, seed),
  verify (sig, msg, pk) {
    try {
      return ed25519.verify(sig, msg, pk, { zip215: false })
    } catch {
      return false // not a point on the curve, or a non-canonical encoding
    }
  }
}

// Native Ed25519 through libsodium (sodium-native), the fastest backend where it loads (Node):
// about half the cost of node:crypto (OpenSSL 3) to sign and to verify. libsodium's verify
// applies the shared rule of ed25519.noble.ts as it stands (canonical A and R, S < L,
// cofactorless, A and R of small order refused), so nothing is checked twice here.
import type { Ed25519 } from './ed25519.types.js'
import { keyCache } from './ed25519.node.js'

/** The part of sodium-native this backend uses. */
export interface SodiumLike {
  crypto_sign_seed_keypair (pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  crypto_sign_detached (sig: Uint8Array, msg: Uint8Array, sk: Uint8Array): void
  crypto_sign_verify_detached (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean
}

/**
 * Builds the libsodium backend from the sodium-native module object (loaded at run time by
 * ed25519.ts, so bundlers never see it).
 *
 * @param sodium - sodium-native
 * @param verifyAsync - the off-thread check to offer (node:crypto's, on libuv's pool), if any
 * @returns the backend
 * @throws Error when libsodium does not work (a self-test signs and verifies once)
 */
export function sodiumEd25519 (sodium: SodiumLike, verifyAsync?: Ed25519['verifyAsync']): Ed25519 {
  // seed -> libsodium's 64-byte secret key (seed || public key), derived once per seed
  const secretKey = keyCache(seed => {
    if (seed.length !== 32) throw new RangeError(`"secret" expected 32 bytes, got ${seed.length}`)
    const pk = new Uint8Array(32)
    const sk = new Uint8Array(64)
    sodium.crypto_sign_seed_keypair(pk, sk, seed)
    return sk
  })
  const backend: Ed25519 = {
    name: 'sodium-native',
    getPublicKey (seed) {
      return secretKey(seed).slice(32)
    },
    sign (msg, seed) {
      const sig = new Uint8Array(64)
      sodium.crypto_sign_detached(sig, msg, secretKey(seed))
      return sig
    },
    verify (sig, msg, pk) {
      if (sig.length !== 64 || pk.length !== 32) return false
      return sodium.crypto_sign_verify_detached(sig, msg, pk)
    }
  }
  if (verifyAsync !== undefined) backend.verifyAsync = verifyAsync
  const seed = new Uint8Array(32).fill(1)
  const msg = new Uint8Array([1, 2, 3])
  const sig = backend.sign(msg, seed)
  if (!backend.verify(sig, msg, backend.getPublicKey(seed))) throw new Error('libsodium self-test failed')
  return backend
}

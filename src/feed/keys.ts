// Identities are bare Ed25519 secrets (spec/feed.md §4), given as hex or bytes.
import { keyBytes, toHex } from './bytes.js'
import { ed25519 } from './ed25519.js'

const PK_CACHE_MAX = 1024
const pkCache = new Map<string, Uint8Array>()

/** A key pair as hex strings, as the original `signPair()` returns it. */
export interface SignPair {
  /** 32-byte secret seed, 64 hex characters. */
  sk: string
  /** 32-byte public key, 64 hex characters. */
  pk: string
}

/**
 * Generates a fresh Ed25519 identity from the platform's CSPRNG.
 *
 * @returns `{ sk, pk }` as hex strings
 * @example
 * ```ts
 * const { sk, pk } = signPair()
 * feed.append('hello', sk)
 * ```
 */
export function signPair (): SignPair {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32))
  return { sk: toHex(seed), pk: toHex(publicKeyOf(seed)) }
}

/**
 * A fresh random 32-byte secret seed from the platform's CSPRNG.
 *
 * @returns the secret as 64 hex characters
 */
export function generatePrivateKey (): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)))
}

/**
 * Public key of a secret, as hex.
 *
 * @param secret - 32-byte secret seed, as bytes or 64 hex characters
 * @throws TypeError / RangeError on a malformed secret
 */
export function getPublicKey (secret: Uint8Array | string): string {
  return toHex(publicKeyOf(keyBytes(secret, 32, 'secret')))
}

/**
 * Public key bytes of a 32-byte seed, derived once per secret and cached (the original
 * derived it on every append).
 *
 * @internal
 */
export function publicKeyOf (seed: Uint8Array): Uint8Array {
  const k = toHex(seed)
  let pk = pkCache.get(k)
  if (pk === undefined) {
    pk = ed25519().getPublicKey(seed)
    if (pkCache.size >= PK_CACHE_MAX) pkCache.clear()
    pkCache.set(k, pk)
  }
  return pk
}

// The last secret given to an append, as given: hex strings are compared as strings, so a
// writer appending with the same secret skips decoding and the key lookups.
let lastInput: string | undefined
let lastSeed: Uint8Array | undefined
let lastPk: Uint8Array | undefined

/**
 * Seed and public key of a secret given as hex or bytes (cached, see {@link publicKeyOf}).
 *
 * @internal
 * @throws TypeError / RangeError on a malformed secret
 */
export function signingKey (secret: Uint8Array | string): { seed: Uint8Array, pk: Uint8Array } {
  if (lastSeed !== undefined && lastPk !== undefined) {
    if (typeof secret === 'string' ? secret === lastInput : sameSeed(secret, lastSeed)) return { seed: lastSeed, pk: lastPk }
  }
  const seed = keyBytes(secret, 32, 'secret')
  const pk = publicKeyOf(seed)
  lastInput = typeof secret === 'string' ? secret : undefined
  lastSeed = typeof secret === 'string' ? seed : seed.slice() // a copy: the caller may reuse its bytes
  lastPk = pk
  return { seed: lastSeed, pk }
}

/** True when `secret` holds the 32 bytes of `seed` (bytes given again by a writer: no hex, no map). */
function sameSeed (secret: unknown, seed: Uint8Array): boolean {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) return false
  for (let i = 0; i < 32; i++) if (secret[i] !== seed[i]) return false
  return true
}

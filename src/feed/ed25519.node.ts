// Native Ed25519 through node:crypto (OpenSSL). Keys are imported once and cached, since
// importing costs about as much as a signature.
import type { Ed25519 } from './ed25519.types.js'
import type * as NodeCrypto from 'node:crypto'

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI), RFC 8410.
const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
const CACHE_MAX = 4096

function wrap (prefix: Uint8Array, raw: Uint8Array): Uint8Array {
  const der = new Uint8Array(prefix.length + raw.length)
  der.set(prefix)
  der.set(raw, prefix.length)
  return der
}

function cacheKey (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number)
  return s
}

function sameKey (a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Builds the node:crypto backend from the module object (obtained synchronously with
 * `process.getBuiltinModule`, so bundlers never see an import of node:crypto).
 */
export function nodeEd25519 (crypto: typeof NodeCrypto): Ed25519 {
  const secrets = new Map<string, NodeCrypto.KeyObject>()
  const publics = new Map<string, NodeCrypto.KeyObject>()

  function secretKey (seed: Uint8Array): NodeCrypto.KeyObject {
    const k = cacheKey(seed)
    let key = secrets.get(k)
    if (key === undefined) {
      if (seed.length !== 32) throw new RangeError(`"secret" expected 32 bytes, got ${seed.length}`)
      key = crypto.createPrivateKey({ key: wrap(PKCS8_PREFIX, seed) as NodeCrypto.BinaryLike as never, format: 'der', type: 'pkcs8' })
      if (secrets.size >= CACHE_MAX) secrets.clear()
      secrets.set(k, key)
    }
    return key
  }

  // Feeds mostly hold runs of blocks by one author: the last key is checked first, without
  // building a cache key.
  let lastPk = new Uint8Array(32)
  let lastKey: NodeCrypto.KeyObject | undefined

  function publicKey (pk: Uint8Array): NodeCrypto.KeyObject {
    if (lastKey !== undefined && sameKey(lastPk, pk)) return lastKey
    const key = cachedPublicKey(pk)
    lastPk = pk.slice()
    lastKey = key
    return key
  }

  function cachedPublicKey (pk: Uint8Array): NodeCrypto.KeyObject {
    const k = cacheKey(pk)
    let key = publics.get(k)
    if (key === undefined) {
      key = crypto.createPublicKey({ key: wrap(SPKI_PREFIX, pk) as never, format: 'der', type: 'spki' })
      if (publics.size >= CACHE_MAX) publics.clear()
      publics.set(k, key)
    }
    return key
  }

  return {
    name: 'node:crypto',
    getPublicKey (seed) {
      const der = crypto.createPublicKey(secretKey(seed)).export({ format: 'der', type: 'spki' })
      return new Uint8Array(der.subarray(der.length - 32))
    },
    sign (msg, seed) {
      const sig = crypto.sign(null, msg, secretKey(seed))
      return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
    },
    verify (sig, msg, pk) {
      if (sig.length !== 64 || pk.length !== 32) return false
      try {
        return crypto.verify(null, msg, publicKey(pk), sig)
      } catch {
        return false // a public key that is not a valid point
      }
    }
  }
}

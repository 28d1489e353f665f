// Native Ed25519 through node:crypto (OpenSSL). Keys are imported once and cached, since
// importing costs about as much as a signature.
import type { Ed25519 } from './ed25519.types.js'
import { acceptableKey, smallOrderEncoding } from './ed25519.noble.js'
import { latin1 } from '../internal/bytes.js'
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

function sameKey (a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A cache of imported keys by their 32 raw bytes: the last key is checked first without
 * building a map key (appends come from one writer, feeds hold runs of one author), then a
 * bounded map, then `importKey`.
 *
 * @internal
 */
export function keyCache<K> (importKey: (raw: Uint8Array) => K): (raw: Uint8Array) => K {
  const keys = new Map<string, K>()
  let lastRaw = new Uint8Array(32)
  let last: K | undefined
  return (raw) => {
    if (last !== undefined && raw.length === 32 && sameKey(lastRaw, raw)) return last
    const k = latin1(raw)
    let key = keys.get(k)
    if (key === undefined) {
      key = importKey(raw)
      if (keys.size >= CACHE_MAX) keys.clear()
      keys.set(k, key)
    }
    lastRaw = raw.slice()
    last = key
    return key
  }
}

/**
 * Builds the node:crypto backend from the module object (obtained synchronously with
 * `process.getBuiltinModule`, so bundlers never see an import of node:crypto).
 */
export function nodeEd25519 (crypto: typeof NodeCrypto): Ed25519 {
  const secretKey = keyCache(seed => {
    if (seed.length !== 32) throw new RangeError(`"secret" expected 32 bytes, got ${seed.length}`)
    return crypto.createPrivateKey({ key: wrap(PKCS8_PREFIX, seed) as NodeCrypto.BinaryLike as never, format: 'der', type: 'pkcs8' })
  })
  const publicKey = keyCache(pk => {
    // OpenSSL accepts small-order keys; the shared rule (ed25519.noble.ts) does not
    if (!acceptableKey(pk)) throw new RangeError('public key of small order or not canonical')
    return crypto.createPublicKey({ key: wrap(SPKI_PREFIX, pk) as never, format: 'der', type: 'spki' })
  })

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
      // OpenSSL accepts an R of small order; the shared rule (ed25519.noble.ts) does not
      if (sig.length !== 64 || pk.length !== 32 || smallOrderEncoding(sig)) return false
      try {
        return crypto.verify(null, msg, publicKey(pk), sig)
      } catch {
        return false // a public key that is not a valid point
      }
    },
    verifyAsync (sig, msg, pk) {
      if (sig.length !== 64 || pk.length !== 32 || smallOrderEncoding(sig)) return Promise.resolve(false)
      let key: NodeCrypto.KeyObject
      try {
        key = publicKey(pk)
      } catch {
        return Promise.resolve(false)
      }
      return new Promise(resolve => {
        crypto.verify(null, msg, key, sig, (e, ok) => resolve(e === null && ok))
      })
    }
  }
}

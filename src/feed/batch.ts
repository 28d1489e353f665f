// Batch signature verification, for Feed.fromAsync: WebCrypto verifies many signatures in
// parallel in browsers; where subtle lacks Ed25519, the synchronous backend (node:crypto or
// @noble/curves) is used. Every verifier gives the same verdicts (tests run them against
// each other).
import { ed25519 } from './ed25519.js'
import type { Ed25519 } from './ed25519.types.js'
import { acceptableKey, smallOrderEncoding } from './ed25519.noble.js'
import { fromHex } from './bytes.js'
import { latin1 } from '../internal/bytes.js'

/** One signature to check: `sig` over `msg` under the public key `pk`. */
export interface VerifyItem {
  /** 64-byte signature. */
  sig: Uint8Array
  /** The signed message. */
  msg: Uint8Array
  /** 32-byte public key. */
  pk: Uint8Array
}

/** Verifies many signatures at once. */
export interface BatchVerifier {
  /** Name of the implementation, e.g. `webcrypto` or `sync:@noble/curves`. */
  readonly name: string
  /**
   * @param items - the signatures to check
   * @returns one verdict per item, in order (false for a bad signature or key)
   */
  verifyBatch (items: readonly VerifyItem[]): Promise<boolean[]>
}

/**
 * A batch verifier over an {@link Ed25519} backend: with `verifyAsync` (node:crypto) the
 * checks run in parallel on the platform's thread pool, otherwise one after the other.
 *
 * @param impl - the backend (default: the current one, see {@link ed25519})
 * @returns the verifier
 */
export function backendBatchVerifier (impl?: Ed25519): BatchVerifier {
  return {
    get name () { return `backend:${(impl ?? ed25519()).name}` },
    async verifyBatch (items) {
      const e = impl ?? ed25519()
      const va = e.verifyAsync
      if (va === undefined) return items.map(it => e.verify(it.sig, it.msg, it.pk))
      const out: boolean[] = []
      for (let i = 0; i < items.length; i += CHUNK) {
        out.push(...await Promise.all(items.slice(i, i + CHUNK).map(it => va.call(e, it.sig, it.msg, it.pk))))
      }
      return out
    }
  }
}

const CHUNK = 512

/**
 * A batch verifier on WebCrypto's Ed25519 (`crypto.subtle`), which runs the checks in
 * parallel off the main thread in browsers. Imported keys are cached.
 *
 * @param subtle - the SubtleCrypto to use (default `globalThis.crypto.subtle`)
 * @returns the verifier
 * @throws TypeError when there is no SubtleCrypto
 */
export function webCryptoBatchVerifier (subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): BatchVerifier {
  if (typeof subtle !== 'object' || subtle === null || typeof subtle.verify !== 'function' || typeof subtle.importKey !== 'function') {
    throw new TypeError('"subtle" expected a SubtleCrypto (WebCrypto needs a secure context)')
  }
  const s = subtle
  const keys = new Map<string, Promise<CryptoKey | undefined>>()
  function importKey (pk: Uint8Array): Promise<CryptoKey | undefined> {
    const id = latin1(pk)
    let k = keys.get(id)
    if (k === undefined) {
      // an invalid point fails to import, a small-order one is refused (the shared rule of
      // ed25519.noble.ts): every signature under it is false
      k = acceptableKey(pk)
        ? s.importKey('raw', pk as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']).catch(() => undefined)
        : Promise.resolve(undefined)
      if (keys.size >= 4096) keys.clear()
      keys.set(id, k)
    }
    return k
  }
  async function one (it: VerifyItem): Promise<boolean> {
    // BoringSSL accepts an R of small order; the shared rule does not
    if (it.sig.length !== 64 || it.pk.length !== 32 || smallOrderEncoding(it.sig)) return false
    const key = await importKey(it.pk)
    if (key === undefined) return false
    try {
      return await s.verify({ name: 'Ed25519' }, key, it.sig as Uint8Array<ArrayBuffer>, it.msg as Uint8Array<ArrayBuffer>)
    } catch {
      return false
    }
  }
  return {
    name: 'webcrypto',
    async verifyBatch (items) {
      const out: boolean[] = []
      for (let i = 0; i < items.length; i += CHUNK) {
        out.push(...await Promise.all(items.slice(i, i + CHUNK).map(one)))
      }
      return out
    }
  }
}

// The spec vector (spec/feed.md §3): the 'hello' block, to probe a WebCrypto implementation.
const PROBE_PK = '7f27cc492c272e24f1a1428dd528c9f089f36a3d17aa4695958601104d61792e'
const PROBE_SIG = '9e852e29b46176a47e492a2e66ae1ec0cd332769ed295f9078102bb01a980cb77becaa223ac48b5ab5ceb74d664b106946ccfdc15c3db9713668719517adcd03'
const PROBE_MSG = '2700017f27cc492c272e24f1a1428dd528c9f089f36a3d17aa4695958601104d61792e68656c6c6f'

let detected: Promise<BatchVerifier> | undefined

/**
 * The best batch verifier of this platform, detected once: in Node the backend's off-thread
 * check (node:crypto on libuv's pool, also under the libsodium backend); WebCrypto where `crypto.subtle` verifies Ed25519 correctly (probed with a
 * known good and a known bad signature); otherwise the synchronous @noble/curves backend.
 *
 * @returns the verifier
 */
export function defaultBatchVerifier (): Promise<BatchVerifier> {
  detected ??= (async () => {
    if (ed25519().verifyAsync !== undefined) return backendBatchVerifier()
    try {
      const web = webCryptoBatchVerifier()
      const msg = fromHex(PROBE_MSG)
      const bad = msg.slice(); bad[bad.length - 1] = 0
      const [good, forged] = await web.verifyBatch([{ sig: fromHex(PROBE_SIG), msg, pk: fromHex(PROBE_PK) }, { sig: fromHex(PROBE_SIG), msg: bad, pk: fromHex(PROBE_PK) }])
      if (good === true && forged === false) return web
    } catch { /* no usable WebCrypto Ed25519 */ }
    return backendBatchVerifier()
  })()
  return detected
}

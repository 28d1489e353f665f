// Picks the Ed25519 backend once: libsodium (sodium-native) where it loads, node:crypto where
// the platform has it, otherwise the pure-JS fallback. All produce identical bytes and reach the
// same verdicts (tests run them against each other). Node modules are looked up at run time
// (process.getBuiltinModule, createRequire), so a browser bundle never pulls them in.
import { nobleEd25519 } from './ed25519.noble.js'
import { nodeEd25519 } from './ed25519.node.js'
import { sodiumEd25519 } from './ed25519.sodium.js'
import type { SodiumLike } from './ed25519.sodium.js'
import type { Ed25519 } from './ed25519.types.js'
import type * as NodeCrypto from 'node:crypto'
import type * as NodeModule from 'node:module'

export type { Ed25519 } from './ed25519.types.js'
export { nobleEd25519 } from './ed25519.noble.js'

type GetBuiltin = (id: string) => unknown

const getBuiltin = (): GetBuiltin | undefined =>
  (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule

/**
 * The node:crypto backend where the platform has one, otherwise undefined.
 *
 * @internal
 */
export function nodeCryptoEd25519 (): Ed25519 | undefined {
  const crypto = getBuiltin()?.('node:crypto') as typeof NodeCrypto | undefined
  if (crypto === undefined || typeof crypto.sign !== 'function') return undefined
  try {
    return nodeEd25519(crypto)
  } catch {
    return undefined // no Ed25519 in this node:crypto
  }
}

/**
 * The libsodium backend where sodium-native loads (Node with its native addon), with
 * node:crypto's off-thread check as `verifyAsync`; otherwise undefined.
 *
 * @internal
 */
export function sodiumNativeEd25519 (): Ed25519 | undefined {
  try {
    const mod = getBuiltin()?.('node:module') as typeof NodeModule | undefined
    if (mod === undefined || typeof mod.createRequire !== 'function') return undefined
    const sodium = mod.createRequire(import.meta.url)('sodium-native') as SodiumLike
    return sodiumEd25519(sodium, nodeCryptoEd25519()?.verifyAsync)
  } catch {
    return undefined // not installed, no prebuilt addon for this platform, or a failed self-test
  }
}

function detect (): Ed25519 {
  return sodiumNativeEd25519() ?? nodeCryptoEd25519() ?? nobleEd25519
}

let current: Ed25519 | undefined

/** The Ed25519 backend in use (detected on first call). */
export function ed25519 (): Ed25519 {
  current ??= detect()
  return current
}

/**
 * Replaces the Ed25519 backend (e.g. to force the pure-JS one in tests); with no
 * argument, detection runs again.
 *
 * @param impl - the backend to use from now on
 * @throws TypeError when `impl` is not a backend
 */
export function setEd25519 (impl?: Ed25519): void {
  if (impl !== undefined && (typeof impl !== 'object' || impl === null || typeof impl.verify !== 'function' || typeof impl.sign !== 'function' || typeof impl.getPublicKey !== 'function')) {
    throw new TypeError('"impl" expected an Ed25519 backend (getPublicKey, sign, verify)')
  }
  current = impl
}

// Picks the Ed25519 backend once: node:crypto where the platform has it, otherwise the
// pure-JS fallback. Both produce identical bytes (tests run them against each other).
import { nobleEd25519 } from './ed25519.noble.js'
import { nodeEd25519 } from './ed25519.node.js'
import type { Ed25519 } from './ed25519.types.js'
import type * as NodeCrypto from 'node:crypto'

export type { Ed25519 } from './ed25519.types.js'
export { nobleEd25519 } from './ed25519.noble.js'

function detect (): Ed25519 {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const crypto = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined
  if (crypto !== undefined && typeof crypto.sign === 'function') {
    try {
      return nodeEd25519(crypto)
    } catch { /* fall through to the pure-JS backend */ }
  }
  return nobleEd25519
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

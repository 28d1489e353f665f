// Minimal assertions with no Node-only APIs, so the conformance suite also runs in browsers.
import { toHex } from '../../src/feed/index.js'

export function ok (x: unknown, msg = 'expected truthy'): asserts x {
  if (!x) throw new Error(msg)
}

export function eq<T> (actual: T, expected: T, msg = ''): void {
  if (actual !== expected) throw new Error(`${msg} expected ${String(expected)}, got ${String(actual)}`)
}

export function same (actual: Uint8Array | undefined, expected: Uint8Array | undefined, msg = ''): void {
  const a = actual === undefined ? 'undefined' : toHex(actual)
  const e = expected === undefined ? 'undefined' : toHex(expected)
  if (a !== e) throw new Error(`${msg} expected bytes ${e.slice(0, 16)}…, got ${a.slice(0, 16)}…`)
}

export async function rejects (p: Promise<unknown> | (() => unknown), code: string | (new (...a: never[]) => Error)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    if (typeof code === 'string') {
      if ((e as { code?: unknown }).code !== code) throw new Error(`expected error code ${code}, got ${String((e as { code?: unknown }).code)} (${String(e)})`)
    } else if (!(e instanceof code)) {
      throw new Error(`expected ${code.name}, got ${String(e)}`)
    }
    return e as Error
  }
  throw new Error(`expected a rejection with ${typeof code === 'string' ? code : code.name}`)
}

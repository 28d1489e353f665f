// A stand-in for node:assert/strict in browser bundles: the assertions shared suites use.

class AssertionError extends Error {
  override name = 'AssertionError'
}

function fail (message: string): never {
  throw new AssertionError(message)
}

function equalDeep (x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false
  if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false
  if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
    const a = new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
    const b = new Uint8Array(y.buffer, y.byteOffset, y.byteLength)
    return a.length === b.length && a.every((v, i) => v === b[i])
  }
  const kx = Object.keys(x)
  const ky = Object.keys(y)
  if (kx.length !== ky.length) return false
  return kx.every(k => equalDeep((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]))
}

function matches (err: unknown, expected: unknown): boolean {
  if (expected === undefined) return true
  if (expected instanceof RegExp) return expected.test(String(err))
  if (typeof expected === 'function') return err instanceof (expected as new () => unknown)
  if (expected instanceof Error) return err === expected || (err instanceof Error && err.name === expected.name && err.message === expected.message)
  if (typeof expected === 'object' && expected !== null) {
    return Object.entries(expected).every(([k, v]) => equalDeep((err as Record<string, unknown>)?.[k], v))
  }
  return false
}

const assert = {
  ok (value: unknown, message?: string): void { if (!value) fail(message ?? `expected a truthy value, got ${String(value)}`) },
  equal (actual: unknown, expected: unknown, message?: string): void {
    if (!Object.is(actual, expected)) fail(message ?? `expected ${String(expected)}, got ${String(actual)}`)
  },
  deepEqual (actual: unknown, expected: unknown, message?: string): void {
    if (!equalDeep(actual, expected)) fail(message ?? 'values are not deeply equal')
  },
  match (actual: string, re: RegExp, message?: string): void { if (!re.test(actual)) fail(message ?? `${actual} does not match ${String(re)}`) },
  throws (fn: () => unknown, expected?: unknown, message?: string): void {
    try { fn() } catch (e) {
      if (!matches(e, expected)) fail(message ?? `unexpected error: ${String(e)}`)
      return
    }
    fail(message ?? 'expected a throw')
  },
  async rejects (p: Promise<unknown> | (() => Promise<unknown>), expected?: unknown, message?: string): Promise<void> {
    try { await (typeof p === 'function' ? p() : p) } catch (e) {
      if (!matches(e, expected)) fail(message ?? `unexpected rejection: ${String(e)}`)
      return
    }
    fail(message ?? 'expected a rejection')
  }
}

export default assert

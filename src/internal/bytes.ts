// Byte helpers shared by the repo and the store (internal: not exported by any index.ts).
// Hot paths: no argument checks here; public APIs check their inputs before calling these.

/**
 * A compact string form of bytes for in-memory map keys: one UTF-16 unit per byte (latin1),
 * so distinct byte strings give distinct strings.
 *
 * @param b - bytes of any length
 * @returns the string
 */
export function latin1 (b: Uint8Array): string {
  // fromCharCode.apply takes its arguments on the stack: large arrays go in chunks.
  if (b.length <= CHUNK) return Reflect.apply(String.fromCharCode, null, b) as string
  let s = ''
  for (let i = 0; i < b.length; i += CHUNK) s += Reflect.apply(String.fromCharCode, null, b.subarray(i, i + CHUNK)) as string
  return s
}
const CHUNK = 4096

/**
 * Concatenation of `parts` (one allocation).
 *
 * @param parts - byte strings
 * @returns a new array
 */
export function concat (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/**
 * `prefix ‖ key` (a key of a sublevel written through the root database).
 *
 * @param prefix - the prefix
 * @param key - the key
 * @returns a new array
 */
export function withPrefix (prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const k = new Uint8Array(prefix.length + key.length)
  k.set(prefix, 0)
  k.set(key, prefix.length)
  return k
}

/**
 * Byte equality; `undefined` equals only `undefined`. Two empty arrays are equal.
 *
 * @param a - bytes or undefined
 * @param b - bytes or undefined
 * @returns whether both hold the same bytes
 */
export function bytesEqual (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The smallest key greater than every key that starts with `prefix`: the prefix
 * without its trailing 0xFF bytes, its last byte incremented. An empty or all-0xFF prefix has
 * no such key (every longer key of 0xFF bytes still starts with it): `undefined`, meaning "no
 * upper bound".
 *
 * @param prefix - the prefix
 * @returns the exclusive upper bound, or undefined when there is none
 */
export function prefixEnd (prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const end = prefix.slice(0, i + 1)
      end[i] = (end[i] as number) + 1
      return end
    }
  }
  return undefined
}

/**
 * Iterator range options of every key that starts with `prefix` (`lt` left out when
 * {@link prefixEnd} has no bound).
 *
 * @param prefix - the prefix
 * @returns `{ gte, lt? }`
 */
export function prefixRange (prefix: Uint8Array): { gte: Uint8Array, lt?: Uint8Array } {
  const lt = prefixEnd(prefix)
  return lt === undefined ? { gte: prefix } : { gte: prefix, lt }
}

// Byte utilities. Uint8Array only; hex is lowercase.

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Asserts that `x` is a Uint8Array (of exactly `len` bytes when `len` is given).
 *
 * @param x - value to check
 * @param len - required length, when > 0
 * @param title - the argument's name, for the error message
 * @returns `x`
 * @throws TypeError when `x` is not a Uint8Array; RangeError on a wrong length
 */
export function au8 (x: unknown, len = 0, title = 'value'): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new TypeError(`"${title}" expected Uint8Array, got ${typeof x}`)
  if (len > 0 && x.length !== len) throw new RangeError(`"${title}" expected ${len} bytes, got ${x.length}`)
  return x
}

/**
 * Lowercase hex of `bytes`; with `limit` > 0 only of the first `limit` bytes.
 *
 * @example toHex(new Uint8Array([1, 255])) // '01ff'
 */
export function toHex (bytes: Uint8Array, limit = 0): string {
  au8(bytes, 0, 'bytes')
  const n = limit > 0 ? Math.min(limit, bytes.length) : bytes.length
  // join() gives one flat string; `+=` would leave a chain of cons strings behind (kept by
  // whoever holds the result: the store keeps one per chain).
  const parts = new Array<string>(n)
  for (let i = 0; i < n; i++) parts[i] = HEX[bytes[i] as number] as string
  return parts.join('')
}

/**
 * Decodes a hex string (either case).
 *
 * @throws TypeError on a non-string, odd length or a non-hex character
 */
export function fromHex (hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError('"hex" expected string')
  if (hex.length % 2 !== 0) throw new TypeError(`"hex" expected even length, got ${hex.length}`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(i * 2))
    const lo = nibble(hex.charCodeAt(i * 2 + 1))
    if (hi < 0 || lo < 0) throw new TypeError(`"hex" has a non-hex character near index ${i * 2}`)
    out[i] = hi * 16 + lo
  }
  return out
}

function nibble (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/**
 * UTF-8 encodes a string.
 *
 * @throws TypeError when `str` is not a string
 */
export function s2b (str: string): Uint8Array {
  if (typeof str !== 'string') throw new TypeError(`"str" expected string, got ${typeof str}`)
  return encoder.encode(str)
}

/**
 * UTF-8 decodes bytes (invalid sequences become U+FFFD).
 *
 * @throws TypeError when `bytes` is not a Uint8Array
 */
export function b2s (bytes: Uint8Array): string {
  return decoder.decode(au8(bytes, 0, 'bytes'))
}

/**
 * Byte equality. Two empty arrays are equal.
 *
 * @throws TypeError when either argument is not a Uint8Array
 */
export function cmp (a: Uint8Array, b: Uint8Array): boolean {
  au8(a, 0, 'a')
  au8(b, 0, 'b')
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Lexicographic comparison of two byte strings: negative, zero or positive.
 *
 * @throws TypeError when either argument is not a Uint8Array
 */
export function compare (a: Uint8Array, b: Uint8Array): number {
  au8(a, 0, 'a')
  au8(b, 0, 'b')
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * Copies `from` into `to` at `offset`; returns `to`.
 *
 * @throws TypeError on non-bytes; RangeError when `from` does not fit at `offset`
 */
export function cpy (to: Uint8Array, from: Uint8Array, offset = 0): Uint8Array {
  au8(to, 0, 'to')
  au8(from, 0, 'from')
  if (!Number.isInteger(offset) || offset < 0 || offset + from.length > to.length) throw new RangeError(`"offset" ${String(offset)} does not fit ${from.length} bytes into ${to.length}`)
  to.set(from, offset)
  return to
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/

/**
 * Coerces to bytes, as the original `toU8`: a Uint8Array is returned as is; an ArrayBuffer
 * or any view becomes a byte view of the same memory; a string of hex digits is decoded
 * as hex; any other string is UTF-8 encoded. Prefer {@link fromHex} / {@link s2b} in new
 * code: guessing hex is ambiguous ('cafe').
 *
 * @throws TypeError `Uint8Array coercion failed` for anything else
 */
export function toU8 (x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x
  if (x instanceof ArrayBuffer) return new Uint8Array(x)
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  if (typeof x === 'string') return HEX_RE.test(x) ? fromHex(x) : s2b(x)
  throw new TypeError('Uint8Array coercion failed')
}

/**
 * Key or secret given as hex or bytes, checked to be exactly `len` bytes.
 *
 * @throws TypeError naming `title` when `key` is neither; RangeError naming it on another
 *   length or a non-hex character
 */
export function keyBytes (key: Uint8Array | string, len: number, title: string): Uint8Array {
  if (typeof key === 'string') {
    if (key.length !== len * 2) throw new RangeError(`"${title}" expected ${len * 2} hex characters, got ${key.length}`)
    if (!HEX_RE.test(key)) throw new RangeError(`"${title}" expected hex or bytes, got a string with a non-hex character`)
    return fromHex(key)
  }
  return au8(key, len, title)
}

/**
 * A classic hexdump: a `[Buffer] size: n` line, then `width` bytes a line as hex and as
 * text. Returns the text; when `log` is a function it is also called with it.
 */
export function hexdump (bytes: Uint8Array, log?: ((text: string) => void) | false, width = 16): string {
  const b = toU8(bytes)
  const lines = [`[Buffer] size: ${b.length}`]
  for (let i = 0; i < b.length; i += width) {
    const row = b.subarray(i, i + width)
    let hex = ''
    for (const x of row) hex += HEX[x] + ' '
    lines.push(hex.padEnd(width * 3) + '\t' + b2s(row).replace(/\n/g, '.'))
  }
  const text = lines.join('\n')
  if (typeof log === 'function') log(text)
  return text
}

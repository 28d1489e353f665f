// Unsigned LEB128 length prefix (spec/feed.md §2.2). Unlike the original, the decoder is
// bounded to 4 bytes (values < 2^28) and rejects non-canonical encodings (gaps.md F11), so
// one block has exactly one byte representation.
import { err } from './errors.js'
import { au8 } from './bytes.js'

/** Largest value a 4-byte varint holds; the maximum `dlen` of a block. */
export const VARINT_MAX: number = 2 ** 28 - 1

/** Number of bytes `n` takes as a varint. */
export function varintLength (n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4
}

/**
 * Writes `n` as LEB128 into `target` at `offset`.
 *
 * @returns the number of bytes written
 * @throws RangeError when `n` is not an integer in [0, 2^28)
 */
export function varintEncode (n: number, target: Uint8Array | number[] = [], offset = 0): number {
  if (typeof n !== 'number') throw new TypeError(`"n" expected number, got ${typeof n}`)
  if (!(target instanceof Uint8Array) && !Array.isArray(target)) throw new TypeError('"target" expected Uint8Array or array')
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`"offset" expected integer >= 0, got ${String(offset)}`)
  if (!Number.isInteger(n) || n < 0 || n > VARINT_MAX) throw new RangeError(`"n" expected integer in [0, ${VARINT_MAX}], got ${n}`)
  let i = offset
  while (n >= 0x80) {
    target[i++] = (n & 0x7f) | 0x80
    n >>>= 7
  }
  target[i++] = n
  return i - offset
}

/**
 * Reads a varint at `offset`.
 *
 * @returns `[value, bytesRead]`
 * @throws FeedError `BufferUnderflow` when the bytes end inside the number;
 *   `InvalidVarint` when it is longer than 4 bytes or not in its shortest form;
 *   TypeError / RangeError on a bad argument
 */
export function varintDecode (bytes: Uint8Array, offset = 0): [number, number] {
  au8(bytes, 0, 'bytes')
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`"offset" expected integer >= 0, got ${String(offset)}`)
  let value = 0
  for (let i = 0; i < 4; i++) {
    const p = offset + i
    if (p >= bytes.length) throw err('BufferUnderflow', 'varint runs past the end of the buffer')
    const b = bytes[p] as number
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw err('InvalidVarint', 'non-canonical varint')
      return [value, i + 1]
    }
  }
  throw err('InvalidVarint', 'varint longer than 4 bytes')
}

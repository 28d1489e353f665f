// The one conversion of a key or block id taken at a public boundary: bytes or hex in, bytes
// out, checked once at entry so the layers below work on bytes only.
import { fromHex } from '../feed/bytes.js'

const HEX = /^[0-9a-fA-F]*$/

function lengths (lens: readonly number[], unit: string, per: number): string {
  return lens.map(n => String(n * per)).join(' or ') + ' ' + unit
}

/**
 * A key or block id given as bytes or as hex, as bytes.
 *
 * @param value - the argument as the caller gave it
 * @param lens - the accepted lengths in bytes (one or more)
 * @param name - the argument's name, for the error message
 * @returns the bytes (the caller's array itself when bytes were given)
 * @throws TypeError when `value` is neither bytes nor a string; RangeError on another length,
 *   an odd number of hex digits or a character that is not a hex digit
 */
export function keyArg (value: unknown, lens: number | readonly number[], name: string): Uint8Array {
  const ok = typeof lens === 'number' ? [lens] : lens
  if (typeof value === 'string') {
    if (!HEX.test(value)) throw new RangeError(`"${name}" expected hex or bytes, got a string with a non-hex character`)
    if (!ok.includes(value.length / 2)) throw new RangeError(`"${name}" expected ${lengths(ok, 'hex digits', 2)}, got ${value.length}`)
    return fromHex(value)
  }
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${name}" expected a Uint8Array or a hex string, got ${value === null ? 'null' : typeof value}`)
  if (!ok.includes(value.length)) throw new RangeError(`"${name}" expected ${lengths(ok, 'bytes', 1)}, got ${value.length}`)
  return value
}

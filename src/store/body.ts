// Block bodies: CBOR [root, payload, date], byte-compatible with picostore 3.x.
import { encode, decode } from 'cborg'
import { StoreError } from './errors.js'

/** A decoded block body. */
export interface BlockBody {
  /** Collection (Memory) name or block type. */
  root: string
  /** Application payload (any CBOR value). */
  payload: unknown
  /** Milliseconds since the epoch, from the author's clock. */
  date: number
}

/** What {@link decodeBlock} returns: the type, the payload's own fields (when it is a plain object) and the date. */
export type DecodedBlock = {
  /** The block's collection name (its body's root). */
  type: string
  /** The block's date, ms since the epoch. */
  date: number
  /** The payload, when it is not a plain object (a plain object's fields are spread instead). */
  payload?: unknown
} & Record<string, unknown>

/**
 * Encodes a block body as CBOR `[root, payload, date]` (cborg's canonical encoding, as picostore 3.x).
 *
 * @param root - collection name / block type, a non-empty string
 * @param payload - application data (any CBOR-encodable value)
 * @param date - milliseconds since the epoch (default now)
 * @returns the body bytes (first byte 0x83)
 * @throws TypeError when `root` is not a non-empty string or `date` is not a non-negative integer
 */
export function encodeBody (root: string, payload: unknown, date: number = Date.now()): Uint8Array {
  if (typeof root !== 'string' || root.length === 0) throw new TypeError('"root" expected a non-empty string')
  if (!Number.isSafeInteger(date) || date < 0) throw new TypeError(`"date" expected a non-negative integer, got ${String(date)}`)
  return encode([root, payload, date])
}

/**
 * Decodes a body written by {@link encodeBody} (or by picostore 3.x).
 *
 * @param body - the block body
 * @returns `{ root, payload, date }`
 * @throws StoreError `InvalidBlock` when the bytes are not CBOR `[string, any, number]`
 */
export function decodeBody (body: Uint8Array): BlockBody {
  let v: unknown
  try {
    v = decode(body)
  } catch (cause) {
    throw new StoreError('InvalidBlock', 'UnrecognizedBlockFormat: body is not CBOR', { cause })
  }
  if (!Array.isArray(v) || v.length !== 3) throw new StoreError('InvalidBlock', 'UnrecognizedBlockFormat: expected [root, payload, date]')
  const [root, payload, date] = v as [unknown, unknown, unknown]
  if (typeof root !== 'string' || root.length === 0) throw new StoreError('InvalidBlock', 'UnrecognizedBlockFormat: root must be a non-empty string')
  if (typeof date !== 'number' || !Number.isFinite(date)) throw new StoreError('InvalidBlock', 'UnrecognizedBlockFormat: date must be a number')
  return { root, payload, date }
}

/**
 * Reads a block body the way picostack 1.x apps did: `{ type, ...payload, date }` when the
 * payload is a plain object, `{ type, payload, date }` otherwise.
 *
 * @param body - the block body (CBOR `[type, payload, date]`)
 * @returns the flat view of the block
 * @throws StoreError `InvalidBlock` when the body does not decode
 * @example
 * ```ts
 * const { type, time } = decodeBlock(block.body)
 * ```
 */
export function decodeBlock (body: Uint8Array): DecodedBlock {
  const { root, payload, date } = decodeBody(body)
  if (isPlainObject(payload)) return { ...payload, type: root, date }
  return { type: root, payload, date }
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false
  const p = Object.getPrototypeOf(x) as unknown
  return p === Object.prototype || p === null
}

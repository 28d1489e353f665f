// Block bodies: CBOR [root, payload, date], byte-compatible with picostore 3.x.
import { encode, decode } from 'cborg'
import { StoreError } from './errors.js'
import { latin1 } from '../internal/bytes.js'

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
  let v = quickDecode(body)
  if (v === FALLBACK) {
    try {
      v = decode(body)
    } catch (cause) {
      throw new StoreError('InvalidBlock', 'UnrecognizedBlockFormat: body is not CBOR', { cause })
    }
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
  if (!isPlainObject(payload)) return { type: root, payload, date }
  // What `{ ...payload, type: root, date }` gives, without that literal: V8 builds a spread
  // followed by more properties slowly (microseconds), and rules call this for every block.
  // A decoded payload has own enumerable string keys only; `__proto__` (which cborg makes an
  // own property) is defined, not assigned.
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(payload)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: payload[k], enumerable: true, configurable: true, writable: true })
    else out[k] = payload[k]
  }
  out.type = root
  out.date = date
  return out as DecodedBlock
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false
  const p = Object.getPrototypeOf(x) as unknown
  return p === Object.prototype || p === null
}

// A decoder for the CBOR that block bodies hold in practice, run before cborg (every block is
// decoded by the store, and usually again by its rules through decodeBlock). It gives exactly
// what cborg's `decode(bytes)` gives, and leaves to cborg (FALLBACK) everything outside a
// plain subset: definite lengths only; integers within the safe range; ASCII text; text map
// keys (not `__proto__`); false, true, null, undefined; floats; no tags, at most MAX_DEPTH
// levels, and nothing after the value. Malformed input falls
// back too, so errors are cborg's.

/** What {@link quickDecode} returns for bytes it leaves to cborg. */
const FALLBACK: unique symbol = Symbol('fallback')
const MAX_DEPTH = 32
let qd: Uint8Array = new Uint8Array(0)
let qp = 0
let qv: DataView | undefined
let busy = false

/** @internal `decode(bytes)` of cborg for the subset above, else FALLBACK */
export function quickDecode (bytes: Uint8Array): unknown {
  // (`busy`: a call made while one runs, from a setter someone put on Object.prototype, goes
  // to cborg and leaves the running one's state alone)
  if (busy || bytes.constructor !== Uint8Array || bytes.length === 0) return FALLBACK
  busy = true
  qd = bytes
  qp = 0
  qv = undefined
  try {
    const v = item(0)
    return v === FALLBACK || qp !== bytes.length ? FALLBACK : v
  } finally {
    busy = false
    qd = EMPTY
    qv = undefined
  }
}

const EMPTY = new Uint8Array(0)

/** The argument of a head with `minor`, read at `qp` (-1: not in the subset). */
function arg (minor: number): number {
  const d = qd
  const p = qp
  if (minor < 24) return minor
  if (minor === 24) { if (p + 1 > d.length) return -1; qp = p + 1; return d[p] as number }
  if (minor === 25) { if (p + 2 > d.length) return -1; qp = p + 2; return ((d[p] as number) << 8) | (d[p + 1] as number) }
  if (minor === 26) { if (p + 4 > d.length) return -1; qp = p + 4; return u32at(d, p) }
  if (minor === 27) {
    if (p + 8 > d.length) return -1
    const n = u32at(d, p) * 0x100000000 + u32at(d, p + 4)
    if (n > Number.MAX_SAFE_INTEGER) return -1
    qp = p + 8
    return n
  }
  return -1
}

function u32at (d: Uint8Array, p: number): number {
  return (d[p] as number) * 0x1000000 + (((d[p + 1] as number) << 16) | ((d[p + 2] as number) << 8) | (d[p + 3] as number))
}

function item (depth: number): unknown {
  const d = qd
  if (qp >= d.length || depth > MAX_DEPTH) return FALLBACK
  const head = d[qp++] as number
  const major = head >> 5
  const minor = head & 31
  if (major === 7) return simple(minor)
  const n = arg(minor)
  if (n < 0) return FALLBACK
  switch (major) {
    case 0: return n
    case 1: return n >= Number.MAX_SAFE_INTEGER ? FALLBACK : -1 - n
    case 2: {
      if (qp + n > d.length) return FALLBACK
      const b = d.slice(qp, qp + n)
      qp += n
      return b
    }
    case 3: return text(n)
    case 4: {
      if (n > d.length - qp) return FALLBACK // each element takes a byte at least
      const a: unknown[] = []
      for (let i = 0; i < n; i++) {
        const v = item(depth + 1)
        if (v === FALLBACK) return FALLBACK
        a.push(v)
      }
      return a
    }
    case 5: {
      if (n > (d.length - qp) / 2) return FALLBACK
      const o: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        if (qp >= d.length || (d[qp] as number) >> 5 !== 3) return FALLBACK
        const k = item(depth + 1)
        if (typeof k !== 'string' || k === '__proto__') return FALLBACK
        const v = item(depth + 1)
        if (v === FALLBACK) return FALLBACK
        o[k] = v
      }
      return o
    }
    default: return FALLBACK // tags
  }
}

function text (n: number): unknown {
  const d = qd
  const p = qp
  if (p + n > d.length) return FALLBACK
  for (let i = p; i < p + n; i++) if ((d[i] as number) >= 0x80) return FALLBACK
  qp = p + n
  return latin1(d.subarray(p, p + n)) // ASCII: its UTF-8 decoding
}

function simple (minor: number): unknown {
  switch (minor) {
    case 20: return false
    case 21: return true
    case 22: return null
    case 23: return undefined
    case 25: { // a half float: exact in a double
      const d = qd
      if (qp + 2 > d.length) return FALLBACK
      const h = ((d[qp] as number) << 8) | (d[qp + 1] as number)
      qp += 2
      const exp = (h >> 10) & 0x1f
      const mant = h & 0x3ff
      const v = exp === 0 ? mant * 2 ** -24 : exp !== 31 ? (mant + 1024) * 2 ** (exp - 25) : mant === 0 ? Infinity : NaN
      return (h & 0x8000) !== 0 ? -v : v
    }
    case 26: case 27: {
      const size = minor === 26 ? 4 : 8
      const d = qd
      if (qp + size > d.length) return FALLBACK
      qv ??= new DataView(d.buffer, d.byteOffset, d.byteLength)
      const f = size === 4 ? qv.getFloat32(qp, false) : qv.getFloat64(qp, false)
      qp += size
      return f
    }
    default: return FALLBACK
  }
}

// The store's two per-block records (object entries and collection metas) are written by hand
// for speed: byte for byte what cborg writes for the same object (the layout is unchanged), and
// read back by cborg.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encode } from 'cborg'
import { decodeEntry, decodeMeta, encodeEntry, encodeMeta, type Meta } from '../../src/store/entry.js'
import type { Entry } from '../../src/store/txn.js'
import '../helpers/seed.js'

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

const bytes = fc.uint8Array({ maxLength: 300 })
// Integers around every CBOR head length (24, 2^8, 2^16, 2^32, 2^53), floats, negatives.
const number = fc.oneof(
  fc.nat({ max: 30 }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -1, -0, 0.5, 1e300, -1e-300),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true })
)
const value = fc.oneof(fc.jsonValue(), bytes, fc.array(bytes, { maxLength: 3 }), fc.dictionary(fc.string(), number))
const entry: fc.Arbitrary<Entry> = fc.record({
  value,
  exp: fc.oneof(number, fc.constant(Infinity)),
  roots: fc.array(bytes, { maxLength: 4 }),
  idx: fc.array(fc.tuple(bytes, bytes), { maxLength: 4 })
})

describe('store record codecs', () => {
  it('encodeEntry writes exactly cborg\'s bytes and decodes back', () => {
    fc.assert(fc.property(entry, e => {
      const b = encodeEntry(e)
      assert.equal(hex(b), hex(encode({ v: e.value, e: Number.isFinite(e.exp) ? e.exp : null, r: e.roots, x: e.idx })))
      const d = decodeEntry(b)
      assert.ok(d.exp === (Number.isFinite(e.exp) ? e.exp : Infinity)) // (-0 is written as the integer 0, as cborg does)
      assert.deepEqual(d.roots.map(hex), e.roots.map(hex))
    }), { numRuns: 500 })
  })

  it('encodeMeta writes exactly cborg\'s bytes and decodes back', () => {
    const meta: fc.Arbitrary<Meta> = fc.record({
      version: number,
      head: fc.oneof(fc.constant(null), bytes, fc.uint8Array({ minLength: 64, maxLength: 64 })),
      seq: fc.option(number, { nil: undefined })
    }, { requiredKeys: ['version', 'head'] })
    fc.assert(fc.property(meta, m => {
      const b = encodeMeta(m)
      assert.equal(hex(b), hex(encode(m)))
      const d = decodeMeta(b) // (-0 is written as the integer 0, as cborg does)
      assert.ok(d.version === m.version && d.seq === m.seq && (d.head === null ? m.head === null : m.head !== null && hex(d.head) === hex(m.head)))
    }), { numRuns: 500 })
  })

  it('an unencodable value fails as cborg fails', () => {
    const e: Entry = { value: () => 1, exp: Infinity, roots: [], idx: [] }
    assert.throws(() => encodeEntry(e))
  })
})

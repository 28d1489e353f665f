// Property tests of the parser (fast-check): any bytes give a verified feed or a typed
// FeedError; the big run (>= 100,000 cases) is bench/fuzz-feed.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, FeedError, varintDecode, varintEncode, VARINT_MAX } from '../../src/feed/index.js'
import { bases, checkParse, feedBytes } from './_fuzz.js'
import { build } from './_fixtures.js'

const all = bases()

test('fuzz: any bytes parse to a verified feed or throw a typed FeedError', () => {
  const seen = new Map<string, number>()
  fc.assert(fc.property(feedBytes(all), bytes => {
    const r = checkParse(bytes)
    seen.set(r, (seen.get(r) ?? 0) + 1)
  }), { numRuns: 3000 })
  // the generator reaches every outcome
  for (const code of ['ok', 'SignatureVerificationFailed', 'InvalidParent', 'BufferUnderflow', 'InvalidVarint', 'InvalidHeader']) {
    assert.ok((seen.get(code) ?? 0) > 0, `no case ended in ${code}: ${JSON.stringify([...seen])}`)
  }
})

test('fuzz: native and pure-JS backends reach the same verdict', () => {
  fc.assert(fc.property(feedBytes(all), bytes => { checkParse(bytes, true) }), { numRuns: 150 })
})

test('fuzz: one flipped bit anywhere in a feed is always rejected', () => {
  const base = all[0]!
  fc.assert(fc.property(fc.integer({ min: 4, max: base.bytes.length - 1 }), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
    const c = base.bytes.slice()
    c[pos]! ^= 1 << bit
    assert.throws(() => Feed.from(c), (e: unknown) => e instanceof FeedError)
  }), { numRuns: 500 })
})

test('fuzz: every truncation inside a block is BufferUnderflow', () => {
  const base = all[0]!
  fc.assert(fc.property(fc.integer({ min: 5, max: base.bytes.length - 1 }), n => {
    if (base.offsets.includes(n)) return // a cut exactly between blocks is a shorter valid feed
    assert.throws(() => Feed.from(base.bytes.subarray(0, n)), { code: 'BufferUnderflow' })
  }), { numRuns: 300 })
})

test('fuzz: random appends round-trip through bytes', () => {
  fc.assert(fc.property(fc.array(fc.record({ len: fc.integer({ min: 1, max: 300 }), seed: fc.nat(1000), author: fc.nat(3) }), { minLength: 1, maxLength: 6 }), steps => {
    const f = build(new Feed(), steps)
    const g = Feed.from(f.buffer)
    assert.deepEqual(g.buffer, f.buffer)
    assert.equal(g.diff(f), 0)
  }), { numRuns: 60 })
})

test('fuzz: varint round-trips and its decoder only throws FeedError', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: VARINT_MAX }), n => {
    const b = new Uint8Array(4)
    const len = varintEncode(n, b)
    assert.deepEqual(varintDecode(b), [n, len])
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), fc.nat(8), (b, o) => {
    try {
      const [v, len] = varintDecode(b, o)
      const re: number[] = []
      varintEncode(v, re)
      assert.deepEqual(re, [...b.subarray(o, o + len)], 'decoded a non-canonical form')
    } catch (e) {
      assert.ok(e instanceof FeedError && (e.code === 'BufferUnderflow' || e.code === 'InvalidVarint'), String(e))
    }
  }), { numRuns: 2000 })
})

// Random and mutated feeds for the property tests (test/feed/fuzz.test.ts) and the big fuzz
// run (bench/fuzz-feed.ts). The contract under test: for ANY bytes, Feed.from returns a feed
// whose every block verifies, or throws a FeedError with a parse code; nothing else.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, FeedError, cmp, nobleEd25519, setEd25519, SIG_SIZE } from '../../src/feed/index.js'
import type { FeedErrorCode } from '../../src/feed/index.js'
import { build, SHAPES } from './_fixtures.js'

/** The codes Feed.from may throw on bad bytes. */
export const PARSE_CODES: ReadonlySet<FeedErrorCode> = new Set<FeedErrorCode>(['SignatureVerificationFailed', 'InvalidParent', 'BufferUnderflow', 'InvalidVarint', 'InvalidHeader'])

/** Valid feeds to mutate, with the offsets where their blocks start. */
export interface Base { bytes: Uint8Array, offsets: number[] }

/** A few valid feeds of different shapes (small bodies, so one case stays cheap). */
export function bases (): Base[] {
  const shapes = [SHAPES['three authors round robin']!, SHAPES['ten authors, small bodies']!.slice(0, 6), [{ len: 1, seed: 1, author: 0 }]]
  const out: Base[] = shapes.map(steps => {
    const f = build(new Feed(), steps)
    return { bytes: f.buffer.slice(), offsets: f.blocks.map(b => b.buffer.byteOffset) }
  })
  const partial = build(new Feed(), SHAPES['three authors round robin']!).slice(3, 7)
  out.push({ bytes: partial.buffer.slice(), offsets: partial.blocks.map(b => b.buffer.byteOffset) })
  return out
}

type Mutation = (b: Uint8Array, base: Base) => Uint8Array

const BOGUS_VARINTS: readonly number[][] = [
  [0x00], [0x80, 0x00], [0x80, 0x80, 0x80, 0x80, 0x01], [0xff, 0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x07],
  [0x81, 0x00], [0xff], [0x80, 0x80, 0x80, 0x80], [0x7f], [0x01], [0xe6, 0x01]
]

const at = (b: Uint8Array, pos: number): number => b.length === 0 ? 0 : pos % b.length

/** One mutation of a feed. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ pos, bit }) => (b: Uint8Array) => {
    const c = b.slice(); if (c.length > 0) c[at(c, pos)]! ^= 1 << bit; return c
  }),
  fc.nat().map(pos => (b: Uint8Array) => b.slice(0, at(b, pos))),
  fc.record({ pos: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }).map(({ pos, v }) => (b: Uint8Array) => {
    const c = b.slice(); if (c.length > 0) c[at(c, pos)] = v; return c
  }),
  fc.record({ pos: fc.nat(), ins: fc.uint8Array({ maxLength: 80 }) }).map(({ pos, ins }) => (b: Uint8Array) => {
    const p = at(b, pos); return new Uint8Array([...b.subarray(0, p), ...ins, ...b.subarray(p)])
  }),
  fc.record({ pos: fc.nat(), n: fc.integer({ min: 1, max: 200 }) }).map(({ pos, n }) => (b: Uint8Array) => {
    const p = at(b, pos); return new Uint8Array([...b.subarray(0, p), ...b.subarray(p + n)])
  }),
  fc.record({ pos: fc.nat(), n: fc.integer({ min: 1, max: 300 }) }).map(({ pos, n }) => (b: Uint8Array) => {
    const c = b.slice(); c.fill(0, at(c, pos), at(c, pos) + n); return c
  }),
  fc.record({ n: fc.integer({ min: 1, max: 300 }), zero: fc.boolean(), seed: fc.nat() }).map(({ n, zero, seed }) => (b: Uint8Array) => {
    const tail = new Uint8Array(n); if (!zero) tail.forEach((_, i) => { tail[i] = (seed + i * 77) & 255 })
    return new Uint8Array([...b, ...tail])
  }),
  // a bogus length prefix at a block's dlen
  fc.record({ k: fc.nat(), v: fc.constantFrom(...BOGUS_VARINTS) }).map(({ k, v }) => (b: Uint8Array, base: Base) => {
    const o = (base.offsets[k % base.offsets.length] ?? 4) + SIG_SIZE
    return new Uint8Array([...b.subarray(0, o), ...v, ...b.subarray(o + 1)])
  }),
  // a forged header: 0x00 <type> written where the body or a header starts
  fc.record({ k: fc.nat(), type: fc.integer({ min: 0, max: 255 }), skip: fc.constantFrom(0, 34, 100) }).map(({ k, type, skip }) => (b: Uint8Array, base: Base) => {
    const c = b.slice()
    const o = (base.offsets[k % base.offsets.length] ?? 4) + SIG_SIZE + 1 + skip
    if (o + 1 < c.length) { c[o] = 0; c[o + 1] = type }
    return c
  }),
  // blocks reordered, duplicated or dropped
  fc.record({ i: fc.nat(), j: fc.nat(), op: fc.constantFrom('swap', 'dup', 'drop') }).map(({ i, j, op }) => (b: Uint8Array, base: Base) => {
    const ends = [...base.offsets.slice(1), base.bytes.length]
    const blocks = base.offsets.map((o, k) => b.subarray(o, ends[k]))
    if (blocks.length === 0) return b
    const x = i % blocks.length
    const y = j % blocks.length
    if (op === 'swap') [blocks[x], blocks[y]] = [blocks[y]!, blocks[x]!]
    else if (op === 'dup') blocks.splice(x, 0, blocks[x]!)
    else blocks.splice(x, 1)
    const head = b.subarray(0, base.offsets[0] ?? 4)
    return new Uint8Array([...head, ...blocks.flatMap(blk => [...blk]), ...b.subarray(base.bytes.length)])
  })
)

/** A case: a base feed and 1 to 3 mutations, or plain random bytes (with or without magic). */
export function feedBytes (all: Base[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.nat(), ms: fc.array(mutation, { minLength: 1, maxLength: 3 }) }).map(({ k, ms }) => {
      const base = all[k % all.length]!
      return ms.reduce((b, m) => m(b, base), base.bytes)
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map(b => new Uint8Array([0x50, 0x49, 0x43, 0x30, ...b])) }
  )
}

/**
 * Parses `bytes` and checks the contract. With `cross`, parses again with the pure-JS
 * backend and asserts the same outcome.
 *
 * @returns 'ok' or the error code
 */
export function checkParse (bytes: Uint8Array, cross = false): string {
  const outcome = parseOutcome(bytes)
  if (cross) {
    setEd25519(nobleEd25519)
    try {
      assert.equal(parseOutcome(bytes), outcome, 'native and noble backends disagree')
    } finally {
      setEd25519()
    }
  }
  return outcome
}

function parseOutcome (bytes: Uint8Array): string {
  let feed: Feed
  try {
    feed = Feed.from(bytes)
  } catch (e) {
    if (e instanceof FeedError && PARSE_CODES.has(e.code)) return e.code
    throw e
  }
  assert.ok(feed.tail <= bytes.length + 4, 'feed larger than its input')
  let prev: Uint8Array | undefined
  for (const b of feed.blocks) {
    assert.ok(nobleEd25519.verify(b.sig, b.buffer.subarray(SIG_SIZE), b.key), 'a returned block does not verify')
    if (prev !== undefined) assert.ok(b.psig !== undefined && cmp(b.psig, prev), 'a returned block does not link')
    assert.ok(b.body.length > 0 && b.body[0] !== 0)
    prev = b.sig
  }
  return 'ok'
}

// Both directions of compatibility with the published picofeed 8.0.5 (spec/feed.md):
// identical bytes for identical appends, and each side parses and verifies the other's feeds
// block for block, over many shapes (authors, body sizes across varint boundaries, slices,
// merges).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as pf from 'picofeed'
import { Feed, ZERO_PARENT, toHex, counters } from '../../src/feed/index.js'
import type { Block } from '../../src/feed/index.js'
import { SHAPES, build, body, secret } from './_fixtures.js'

interface BlockLike { sig: Uint8Array, key: Uint8Array, psig: Uint8Array | undefined, body: Uint8Array, genesis: boolean }

/** Asserts that two block lists are the same blocks (picofeed's genesis psig is 64 zeros). */
function sameBlocks (ours: readonly BlockLike[], theirs: readonly BlockLike[], what: string): void {
  assert.equal(ours.length, theirs.length, `${what}: block count`)
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i] as BlockLike
    const b = theirs[i] as BlockLike
    assert.equal(toHex(a.sig), toHex(b.sig), `${what}: sig of block ${i}`)
    assert.equal(toHex(a.key), toHex(b.key), `${what}: key of block ${i}`)
    assert.equal(toHex(a.psig ?? ZERO_PARENT), toHex(b.psig ?? ZERO_PARENT), `${what}: psig of block ${i}`)
    assert.equal(a.genesis, b.genesis, `${what}: genesis of block ${i}`)
    assert.equal(toHex(a.body), toHex(b.body), `${what}: body of block ${i}`)
  }
}

/** Both directions: ours parses picofeed's bytes and picofeed parses ours, block for block. */
function crossParse (ours: Feed, theirs: pf.Feed, what: string): void {
  assert.equal(toHex(ours.buffer), toHex(theirs.buffer), `${what}: identical bytes`)
  const before = counters.verifications
  const parsed = Feed.from(theirs.buffer.slice())
  assert.equal(counters.verifications - before, parsed.length, `${what}: one verification per block`)
  sameBlocks(parsed.blocks, theirs.blocks, `${what} (ours parsing picofeed)`)
  const back = pf.Feed.from(ours.buffer.slice())
  for (const b of back.blocks) assert.ok(b.verify(), `${what}: picofeed verifies our block`)
  sameBlocks(ours.blocks, back.blocks, `${what} (picofeed parsing ours)`)
}

for (const [name, steps] of Object.entries(SHAPES)) {
  test(`compat: ${name}`, () => {
    const ours = build(new Feed(), steps)
    const theirs = build(new pf.Feed(), steps)
    crossParse(ours, theirs, name)
    assert.equal(ours.tail, theirs.tail)
    for (let i = 0; i < ours.length; i++) assert.equal(ours.block(i)!.blockSize, theirs.block(i).blockSize)

    // slices: [1, n), [0, 2), the last two, a middle run
    const n = ours.length
    for (const [s, e] of [[1, n], [0, Math.min(2, n)], [-2, n], [Math.floor(n / 3), Math.ceil(2 * n / 3)]] as const) {
      if (ours.slice(s, e).length === 0) continue
      crossParse(ours.slice(s, e), theirs.slice(s, e), `${name} slice(${s}, ${e})`)
    }

    if (n < 2) return
    const half = Math.floor(n / 2)
    // forward merge: the first half takes the rest from the other implementation's bytes
    const a = ours.slice(0, half)
    assert.equal(a.merge(theirs.slice(half).buffer), n - half)
    crossParse(a, theirs, `${name} forward merge`)
    const b = theirs.slice(0, half)
    assert.equal(b.merge(pf.Feed.from(ours.slice(half).buffer.slice())), n - half)
    crossParse(ours, b, `${name} picofeed forward merge`)
    // reverse merge: the second half receives the first half
    const c = ours.slice(half)
    assert.equal(c.merge(theirs.slice(0, half).buffer), half)
    crossParse(c, theirs, `${name} reverse merge`)
    // block by block, from picofeed's Block objects (foreign blocks are re-parsed and verified)
    const d = new Feed()
    for (const blk of theirs.blocks) assert.equal(d.merge(blk as unknown as Block), 1) // a picofeed Block (branded)
    crossParse(d, theirs, `${name} block by block`)
  })
}

test('compat: the same feed extended alternately by both implementations', () => {
  let bytes = new Feed().buffer
  for (let i = 0; i < 8; i++) {
    if (i % 2 === 0) {
      const f = Feed.from(bytes)
      f.append(body(1 + i * 20, i), secret(i % 3))
      bytes = f.buffer.slice()
    } else {
      const f = pf.Feed.from(bytes.slice())
      f.append(body(1 + i * 20, i), secret(i % 3))
      bytes = f.buffer.slice()
    }
  }
  const ours = Feed.from(bytes)
  const theirs = pf.Feed.from(bytes.slice())
  assert.equal(ours.length, 8)
  sameBlocks(ours.blocks, theirs.blocks, 'alternating')
  assert.equal(ours.diff(theirs.buffer), 0)
})

test('compat: picofeed rejects what we reject (tampered signature byte)', () => {
  const f = build(new Feed(), SHAPES['three authors round robin']!)
  const bad = f.buffer.slice()
  bad[4 + 10] = (bad[4 + 10] as number) ^ 1
  assert.throws(() => Feed.from(bad), { code: 'SignatureVerificationFailed' })
  assert.throws(() => pf.Feed.from(bad.slice()), /SignatureVerificationFailed/)
})

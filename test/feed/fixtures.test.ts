// Golden feeds written by the published picofeed 8.0.5 (scripts/make-feed-fixtures.ts), read
// byte for byte: every block matches the manifest, and our own appends reproduce the bytes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { Feed, PIC0, toHex } from '../../src/feed/index.js'
import { SPEC_SK, build } from './_fixtures.js'
import type { Step } from './_fixtures.js'

interface Expected { sig: string, key: string, psig: string | null, size: number, blockSize: number, sha256: string }
interface Recipe { text?: string[], steps?: Step[], slice?: [number, number], reverseMerge?: number, noMagic?: boolean, zeroPadding?: number }
interface Entry { recipe: Recipe, size: number, blocks: Expected[] }

const dir = new URL('../fixtures/feed/', import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Record<string, Entry>

/** Rebuilds the fixture's feed with our implementation, following its recipe. */
function rebuild (r: Recipe): Feed {
  if (r.text !== undefined) {
    const f = new Feed()
    for (const t of r.text) f.append(t, SPEC_SK)
    return f
  }
  const full = build(new Feed(), r.steps ?? [])
  if (r.slice !== undefined) return full.slice(...r.slice)
  if (r.reverseMerge !== undefined) {
    const tail = full.slice(r.reverseMerge)
    tail.merge(full.slice(0, r.reverseMerge))
    return tail
  }
  return full
}

for (const [file, entry] of Object.entries(manifest)) {
  test(`fixture ${file}`, () => {
    const bytes = new Uint8Array(readFileSync(new URL(file, dir)))
    assert.equal(bytes.length, entry.size)
    const feed = Feed.from(bytes)
    assert.equal(feed.length, entry.blocks.length)
    entry.blocks.forEach((e, i) => {
      const b = feed.block(i)!
      assert.equal(toHex(b.sig), e.sig, `sig ${i}`)
      assert.equal(toHex(b.key), e.key, `key ${i}`)
      assert.equal(b.psig === undefined ? null : toHex(b.psig), e.psig, `psig ${i}`)
      assert.equal(b.size, e.size, `size ${i}`)
      assert.equal(b.blockSize, e.blockSize, `blockSize ${i}`)
      assert.equal(createHash('sha256').update(b.body).digest('hex'), e.sha256, `body ${i}`)
    })
    // our buffer is the file's bytes, with the magic added and spare zeros dropped
    let expected = bytes
    if (entry.recipe.noMagic === true) expected = new Uint8Array([...PIC0, ...bytes])
    if (entry.recipe.zeroPadding !== undefined) expected = bytes.subarray(0, bytes.length - entry.recipe.zeroPadding)
    assert.equal(toHex(feed.buffer), toHex(expected))
    // and our implementation writes exactly the same bytes
    assert.equal(toHex(rebuild(entry.recipe).buffer), toHex(expected))
  })
}

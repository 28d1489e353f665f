// Writes the golden feed fixtures in test/fixtures/feed/ with the published picofeed 8.0.5.
// Run once: node --conditions=source --import tsx scripts/make-feed-fixtures.ts
// The output is deterministic (Ed25519 signing is), so re-running reproduces the same files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import * as pf from 'picofeed'
import { SHAPES, SPEC_SK, build } from '../test/feed/_fixtures.js'
import type { Step } from '../test/feed/_fixtures.js'

const dir = new URL('../test/fixtures/feed/', import.meta.url)
mkdirSync(dir, { recursive: true })

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const manifest: Record<string, unknown> = {}

function write (file: string, bytes: Uint8Array, feed: pf.Feed, recipe: unknown): void {
  writeFileSync(new URL(file, dir), bytes)
  manifest[file] = {
    recipe,
    size: bytes.length,
    blocks: feed.blocks.map(b => ({
      sig: hex(b.sig),
      key: hex(b.key),
      psig: b.genesis ? null : hex(b.psig),
      size: b.body.length,
      blockSize: b.blockSize,
      sha256: createHash('sha256').update(b.body).digest('hex')
    }))
  }
}

const hello = new pf.Feed()
hello.append('hello', SPEC_SK)
hello.append('world', SPEC_SK)
write('hello-world.pic', hello.buffer, hello, { text: ['hello', 'world'], sk: 'SPEC_SK' })

const sizes: Step[] = [1, 127, 128, 16383, 16384].map((len, i) => ({ len, seed: i, author: 0 }))
const sized = build(new pf.Feed(), sizes)
write('sizes.pic', sized.buffer, sized, { steps: sizes })

const three = SHAPES['three authors round robin'] as Step[]
const multi = build(new pf.Feed(), three)
write('three-authors.pic', multi.buffer, multi, { steps: three })

const ten = SHAPES['ten authors, small bodies'] as Step[]
const tenFeed = build(new pf.Feed(), ten)
const slice = tenFeed.slice(5, 12)
write('slice-5-12.pic', slice.buffer, slice, { steps: ten, slice: [5, 12] })

// picofeed's reverse merge: the tail [12, 20) receives the head [0, 12)
const merged = tenFeed.slice(12)
merged.merge(tenFeed.slice(0, 12))
write('reverse-merged.pic', merged.buffer, merged, { steps: ten, reverseMerge: 12 })

// a raw block segment without the magic, and a buffer with zeroed spare capacity
write('raw-no-magic.bin', multi.buffer.subarray(4), multi, { steps: three, noMagic: true })
const spare = new Uint8Array(multi.buffer.length + 512)
spare.set(multi.buffer)
write('spare-capacity.pic', spare, multi, { steps: three, zeroPadding: 512 })

writeFileSync(new URL('manifest.json', dir), JSON.stringify(manifest, null, 1) + '\n')
console.log('wrote', Object.keys(manifest).length, 'fixtures')

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, signPair, toHex, cmp } from '../../src/feed/index.js'
import type { Block } from '../../src/feed/index.js'
import { Mempool, MEMPOOL_MAX_BLOCKS, MEMPOOL_MAX_BYTES, MEMPOOL_MAX_AGE_MS } from '../../src/store/mempool.js'

const { sk } = signPair()
const { sk: sk2 } = signPair()

function chain (n: number, secret = sk, tag = 'b'): Block[] {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(`${tag}${i}:` + 'x'.repeat((i * 37) % 60), secret)
  return [...f.blocks]
}

/** Appends `n` blocks after `base` (a fork when `base` already has children). */
function extend (base: readonly Block[], n: number, tag: string, secret = sk): Block[] {
  const f = Feed.from(base)
  for (let i = 0; i < n; i++) f.append(`${tag}${i}`, secret)
  return [...f.blocks.slice(base.length)]
}

const hex = (b: Block | Uint8Array): string => toHex(b instanceof Uint8Array ? b : b.sig)
const ids = (f: Feed): string[] => f.blocks.map(b => hex(b))

/** Asserts a feed is linked; returns its blocks' ids. */
function linked (f: Feed): string[] {
  const bs = f.blocks
  for (let i = 1; i < bs.length; i++) assert.ok(cmp(bs[i]?.psig as Uint8Array, bs[i - 1]?.sig as Uint8Array), 'feed is linked')
  return ids(f)
}

test('defaults and option checks', () => {
  const m = new Mempool()
  assert.equal(m.maxBlocks, MEMPOOL_MAX_BLOCKS)
  assert.equal(m.maxBytes, MEMPOOL_MAX_BYTES)
  assert.equal(m.maxAgeMs, MEMPOOL_MAX_AGE_MS)
  assert.equal(MEMPOOL_MAX_BLOCKS, 4096)
  assert.equal(MEMPOOL_MAX_BYTES, 16 * 1024 * 1024)
  assert.equal(MEMPOOL_MAX_AGE_MS, 600_000)
  for (const bad of [{ maxBlocks: 0 }, { maxBlocks: 1.5 }, { maxBytes: 0 }, { maxBytes: NaN }, { maxAgeMs: -1 }]) {
    assert.throws(() => new Mempool(bad), RangeError)
  }
  assert.throws(() => new Mempool({ now: 5 as unknown as () => number }), TypeError)
  assert.throws(() => m.add(42 as unknown as Block), TypeError)
  assert.throws(() => m.add([{}] as unknown as Block[]), TypeError)
  assert.throws(() => m.has('ab' as unknown as Uint8Array), TypeError)
  assert.throws(() => m.take(undefined as unknown as Uint8Array), TypeError)
  assert.throws(() => m.missingParentOf(null as unknown as Uint8Array), TypeError)
  assert.throws(() => m.delete(1 as unknown as Uint8Array), TypeError)
})

test('S10: stash [B2], then the full [B0, B1, B2] arrives', () => {
  const [b0, b1, b2] = chain(3) as [Block, Block, Block]
  const m = new Mempool()
  assert.equal(m.add(b2), 1)
  assert.equal(m.add([b0, b1, b2]), 1) // genesis never waits, B2 is a duplicate
  assert.equal(m.size, 2)
  const feeds = m.take(b0.sig)
  assert.equal(feeds.length, 1)
  assert.deepEqual(linked(feeds[0] as Feed), [hex(b1), hex(b2)]) // oldest first
  assert.equal(m.size, 0)
  assert.equal(m.bytes, 0)
  // the store then asks for B2's children: nothing left, nothing thrown
  assert.deepEqual(m.take(b2.sig), [])
  // stash [B2] again and receive [B0, B1, B2] once more: the segment re-assembles the same way
  m.add(b2)
  assert.deepEqual(m.take(b1.sig).map(linked), [[hex(b2)]])
})

test('A6: blocks out of order are stitched into one segment (spec scenario)', () => {
  const bs = chain(10)
  const m = new Mempool()
  assert.equal(m.add(bs[2] as Block), 1)
  assert.deepEqual(m.take((bs[1] as Block).sig).map(linked), [[hex(bs[2] as Block)]])
  m.add(bs.slice(4, 7))
  m.add(bs.slice(8, 10))
  assert.deepEqual(m.missingParentOf((bs[9] as Block).sig), (bs[7] as Block).sig)
  m.add(bs[7] as Block)
  assert.deepEqual(m.missingParentOf((bs[9] as Block).sig), (bs[3] as Block).sig)
  assert.equal(m.missingParentOf((bs[3] as Block).sig), undefined)
  let feeds = m.take((bs[3] as Block).sig)
  assert.deepEqual(feeds.map(linked), [bs.slice(4).map(hex)])
  // re-dispatching that segment stashes it again (idempotent), and it comes back the same
  assert.equal(m.add(feeds[0] as Feed), 6)
  assert.equal(m.add(feeds[0] as Feed), 0)
  feeds = m.take((bs[3] as Block).sig)
  assert.deepEqual(feeds.map(linked), [bs.slice(4).map(hex)])
})

test('forks: every child is kept, each branch is returned, no block twice', () => {
  const main = chain(8) // 0..7
  const atRoot = extend(main.slice(0, 2), 2, 'r') // sibling of main[2]
  const deep = extend(main.slice(0, 5), 2, 'd') // sibling of main[5]
  const m = new Mempool()
  m.add(main.slice(2))
  m.add(atRoot)
  m.add(deep)
  assert.equal(m.size, 6 + 2 + 2)
  const feeds = m.take((main[1] as Block).sig)
  const got = feeds.map(linked)
  // a feed per child of the parent, oldest stashed first, following the oldest child at forks
  assert.deepEqual(got[0], main.slice(2).map(hex))
  assert.deepEqual(got[1], atRoot.map(hex))
  // the deeper fork starts at its fork point, after the feed that holds its parent
  assert.deepEqual(got[2], deep.map(hex))
  assert.equal(feeds.length, 3)
  assert.ok(cmp(feeds[2]?.first?.psig as Uint8Array, (main[4] as Block).sig))
  assert.equal(m.size, 0)
})

test('blocks are verified once, and only if they were not', () => {
  const bs = chain(6)
  const m = new Mempool()
  Feed.__vctr = 0
  m.add(bs.slice(1))
  const [f] = m.take((bs[0] as Block).sig)
  assert.equal(Feed.__vctr, 0)
  assert.equal(f?.length, 5)
  assert.ok(f?.blocks.every(b => b._verified))
  // blocks parsed without verification are checked here; a forged one is refused
  const src = Feed.from(bs)
  const bytes = src.buffer.slice()
  const last = src.blocks[5] as Block
  bytes[last.buffer.byteOffset - src.buffer.byteOffset + last.blockSize - 1] ^= 1
  const unverified = new Feed(bytes, true)
  assert.equal(unverified.blocks[5]?._verified, false)
  assert.equal(m.add(unverified.blocks.slice(1)), 4)
  assert.equal(Feed.__vctr, 5)
  assert.equal(m.has(last.sig), false)
})

test('blocks are copied: the pool never pins or shares the sender\'s buffer', () => {
  const src = Feed.from(chain(3))
  const m = new Mempool()
  m.add(src.blocks.slice(1))
  const b1 = src.blocks[1] as Block
  const bytes = m.take((src.blocks[0] as Block).sig)[0]?.blocks[0]?.buffer
  assert.ok(bytes !== undefined && bytes.buffer !== src.buffer.buffer)
  assert.equal(m.bytes, 0)
  m.add(b1)
  assert.equal(m.bytes, b1.blockSize)
  const missing = m.missingParentOf(b1.sig) as Uint8Array
  missing.fill(0) // a copy: the pool still knows the right parent
  assert.deepEqual(m.missingParentOf(b1.sig), (src.blocks[0] as Block).sig)
})

test('bounds: oldest evicted first by count and bytes; oversize refused; expiry', () => {
  const bs = chain(20)
  let m = new Mempool({ maxBlocks: 5 })
  assert.equal(m.add(bs.slice(1)), 19)
  assert.equal(m.size, 5)
  assert.deepEqual(bs.slice(1).map(b => m.has(b.sig)), [...new Array<boolean>(14).fill(false), ...new Array<boolean>(5).fill(true)])
  // bytes: room for exactly the 3 newest blocks
  const tail = bs.slice(-3)
  const cap = tail.reduce((s, b) => s + b.blockSize, 0)
  m = new Mempool({ maxBytes: cap })
  m.add(bs.slice(1))
  assert.equal(m.bytes, cap)
  assert.deepEqual(bs.slice(1).filter(b => m.has(b.sig)).map(hex), tail.map(hex))
  // a block bigger than the whole pool is refused and evicts nothing
  m = new Mempool({ maxBytes: (bs[1] as Block).blockSize })
  const big = extend(bs.slice(0, 1), 1, 'y'.repeat(500))[0] as Block
  assert.equal(m.add(bs[1] as Block), 1)
  assert.equal(m.add(big), 0)
  assert.equal(m.has((bs[1] as Block).sig), true)
  // age: injectable clock, lazy expiry, clock stepping back does not break ordering
  let now = 1000
  m = new Mempool({ maxAgeMs: 100, now: () => now })
  m.add(bs[1] as Block)
  now = 1050
  m.add(bs[2] as Block)
  now = 900 // the clock steps back
  m.add(bs[3] as Block)
  now = 1099
  assert.equal(m.size, 3)
  now = 1100
  assert.equal(m.has((bs[1] as Block).sig), false)
  assert.equal(m.size, 2)
  now = 1150
  assert.equal(m.size, 0)
  assert.equal(m.bytes, 0)
  assert.deepEqual(m.take((bs[1] as Block).sig), [])
})

test('delete and clear', () => {
  const bs = chain(5)
  const m = new Mempool()
  m.add(bs.slice(1))
  assert.equal(m.delete((bs[2] as Block).sig), true)
  assert.equal(m.delete((bs[2] as Block).sig), false)
  assert.equal(m.size, 3)
  // the hole splits the chain: take stops there, the rest waits for B2
  assert.deepEqual(m.take((bs[0] as Block).sig).map(linked), [[hex(bs[1] as Block)]])
  assert.deepEqual(m.missingParentOf((bs[4] as Block).sig), (bs[2] as Block).sig)
  m.clear()
  assert.equal(m.size, 0)
  assert.equal(m.bytes, 0)
  assert.equal(m.has((bs[4] as Block).sig), false)
})

// A tree of blocks from two authors, with forks at several depths, for the model test.
const main = chain(24, sk, 'm')
const other = chain(10, sk2, 'o')
const forks = [
  ...extend(main.slice(0, 3), 3, 'f'),
  ...extend(main.slice(0, 3), 2, 'g'),
  ...extend(main.slice(0, 10), 4, 'h'),
  ...extend(main.slice(0, 12), 1, 'k')
]
const all = [...main, ...other, ...forks]

test('property: random add/take/delete/expire sequences match a simple model and stay bounded', () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant('add' as const), from: fc.nat(all.length - 1), n: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ t: fc.constant('take' as const), at: fc.nat(all.length - 1) }),
    fc.record({ t: fc.constant('delete' as const), at: fc.nat(all.length - 1) }),
    fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: -20, max: 60 }) })
  )
  const limits = fc.record({ maxBlocks: fc.integer({ min: 1, max: 30 }), maxBytes: fc.integer({ min: 150, max: 4000 }), maxAgeMs: fc.integer({ min: 1, max: 200 }) })
  fc.assert(fc.property(limits, fc.array(op, { maxLength: 40 }), (lim, ops) => {
    let now = 0
    const m = new Mempool({ ...lim, now: () => now })
    // model: held blocks in insertion order with the time they were added
    let model: Array<{ b: Block, at: number }> = []
    let last = -Infinity
    const expire = (): void => { while (model.length > 0 && now - (model[0] as { at: number }).at >= lim.maxAgeMs) model.shift() }
    const held = (b: Block): boolean => model.some(e => e.b === b)
    for (const o of ops) {
      if (o.t === 'tick') { now += o.ms; continue }
      expire()
      if (o.t === 'add') {
        const batch = all.slice(o.from, o.from + o.n)
        let want = 0
        for (const b of batch) {
          if (b.genesis || b.blockSize > lim.maxBytes || held(b)) continue
          last = Math.max(now, last)
          model.push({ b, at: last })
          want++
          const bytes = (): number => model.reduce((s, e) => s + e.b.blockSize, 0)
          while (model.length > lim.maxBlocks || bytes() > lim.maxBytes) model.shift()
        }
        assert.equal(m.add(batch), want)
        // re-sending is idempotent
        const size = m.size
        const bytes = m.bytes
        assert.equal(m.add(batch.filter(b => held(b))), 0)
        assert.equal(m.size, size)
        assert.equal(m.bytes, bytes)
      } else if (o.t === 'take') {
        const parent = all[o.at] as Block
        const before = new Set(model.map(e => hex(e.b)))
        const feeds = m.take(parent.sig)
        const seen = new Set<string>([hex(parent)])
        for (const f of feeds) {
          const fids = linked(f)
          assert.ok(seen.has(hex(f.first?.psig as Uint8Array)), 'each feed starts below the parent or a block returned earlier')
          for (const id of fids) {
            assert.ok(before.has(id), 'only held blocks are returned')
            assert.ok(!seen.has(id), 'no block twice')
            seen.add(id)
          }
        }
        // every held descendant of parent was taken
        const desc = new Set<string>([hex(parent)])
        let grew = true
        while (grew) {
          grew = false
          for (const e of model) if (!desc.has(hex(e.b)) && desc.has(hex(e.b.psig as Uint8Array))) { desc.add(hex(e.b)); grew = true }
        }
        desc.delete(hex(parent))
        assert.deepEqual([...seen].filter(id => id !== hex(parent)).sort(), [...desc].sort())
        model = model.filter(e => !desc.has(hex(e.b)))
      } else {
        const b = all[o.at] as Block
        assert.equal(m.delete(b.sig), held(b))
        model = model.filter(e => e.b !== b)
      }
      assert.ok(m.size <= lim.maxBlocks && m.bytes <= lim.maxBytes, 'bounded')
      assert.equal(m.size, model.length)
      assert.equal(m.bytes, model.reduce((s, e) => s + e.b.blockSize, 0))
      for (const b of all) assert.equal(m.has(b.sig), held(b))
    }
  }), { numRuns: 500 })
})

test('property: a flood from a peer never exceeds the bounds', () => {
  fc.assert(fc.property(fc.array(fc.subarray(all), { maxLength: 20 }), batches => {
    const m = new Mempool({ maxBlocks: 16, maxBytes: 2048 })
    for (const batch of batches) {
      m.add(batch)
      assert.ok(m.size <= 16 && m.bytes <= 2048)
    }
  }), { numRuns: 200 })
})

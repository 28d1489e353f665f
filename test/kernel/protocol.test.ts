import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, signPair, cmp, toHex } from '../../src/feed/index.js'
import {
  Summary, decodeMessage, encodeAck, encodeAuth, encodeBlocks, encodeBye, encodeHeads, encodeHello, encodeSummary, encodeWant,
  splitForWire
} from '../../src/kernel/protocol.js'
import { KernelError } from '../../src/kernel/errors.js'
import { MAX_HEADS_PER_MESSAGE, MAX_SUMMARY_ENTRIES, PROTOCOL_VERSION } from '../../src/kernel/constants.js'

const { sk } = signPair()
const feed = new Feed()
for (let i = 0; i < 5; i++) feed.append(`block ${i}`, sk)

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const entry = fc.record({ chainId: bytes(16), height: fc.integer({ min: 0, max: 2 ** 28 - 1 }), tip: bytes(8) })

test('hello round-trips', () => {
  fc.assert(fc.property(bytes(32), bytes(16), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (nodeKey, nonce, window) => {
    const m = decodeMessage(encodeHello(nodeKey, nonce, window))
    assert.equal(m.type, 'hello')
    if (m.type !== 'hello') return
    assert.equal(m.version, PROTOCOL_VERSION)
    assert.equal(m.window, window)
    assert.ok(cmp(m.nodeKey, nodeKey) && cmp(m.nonce, nonce))
  }))
})

test('a hello of another version decodes to its version alone (the receiver says VersionMismatch)', () => {
  const v1 = new Uint8Array(26)
  v1[0] = 0x01
  v1[1] = 1
  const m = decodeMessage(v1)
  assert.ok(m.type === 'hello' && m.version === 1 && m.nodeKey.length === 0)
})

test('auth and ack round-trip', () => {
  fc.assert(fc.property(bytes(64), fc.integer({ min: 1, max: 2 ** 28 - 1 }), (sig, n) => {
    const a = decodeMessage(encodeAuth(sig))
    assert.ok(a.type === 'auth' && cmp(a.sig, sig))
    const k = decodeMessage(encodeAck(n))
    assert.ok(k.type === 'ack' && k.bytes === n)
  }))
  assert.throws(() => decodeMessage(new Uint8Array([0x07, 0])), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
})

test('summary round-trips and costs O(chains)', () => {
  fc.assert(fc.property(fc.array(entry, { maxLength: 50 }), (entries) => {
    const enc = encodeSummary(entries)
    assert.ok(enc.length <= 1 + 4 + entries.length * 28)
    const m = decodeMessage(enc)
    assert.equal(m.type, 'summary')
    if (m.type !== 'summary') return
    assert.equal(m.summary.length, entries.length)
    ;[...m.summary].forEach((e, i) => {
      const x = entries[i]!
      assert.ok(cmp(e.chainId, x.chainId) && cmp(e.tip, x.tip))
      assert.equal(e.height, x.height)
      assert.ok(cmp(m.summary.chainIdAt(i), x.chainId) && cmp(m.summary.tipAt(i), x.tip) && m.summary.heightAt(i) === x.height)
    })
    assert.ok(cmp(encodeSummary(Summary.from(entries)), enc))
  }))
})

test('a decoded summary holds no object per entry: memory follows its bytes', () => {
  const entries = Array.from({ length: 20_000 }, (_, i) => ({ chainId: new Uint8Array(16).fill(i & 255), height: i, tip: new Uint8Array(8) }))
  const enc = encodeSummary(entries)
  const m = decodeMessage(enc)
  assert.ok(m.type === 'summary')
  // The index is two u32 arrays over the message's own bytes: 8 bytes per entry of >= 25.
  assert.equal(m.summary.length, 20_000)
  assert.equal(m.summary.heightAt(19_999), 19_999)
})

test('blocks round-trip without verifying', () => {
  const m = decodeMessage(encodeBlocks(feed))
  assert.equal(m.type, 'blocks')
  if (m.type !== 'blocks') return
  assert.equal(m.feed.length, 5)
  assert.ok(cmp(m.feed.last!.sig, feed.last!.sig))
  assert.equal(m.feed.last!._verified, false)
})

test('want and bye round-trip', () => {
  const w = decodeMessage(encodeWant(feed.last!.sig))
  assert.ok(w.type === 'want' && cmp(w.id, feed.last!.sig))
  const b = decodeMessage(encodeBye(3, 'x'.repeat(1000)))
  assert.ok(b.type === 'bye' && b.code === 3 && b.reason.length === 256)
})

test('have and fetch round-trip, and their bounds are enforced', () => {
  const head = fc.record({ chainId: bytes(64), height: fc.integer({ min: 0, max: 2 ** 28 - 1 }) })
  fc.assert(fc.property(fc.constantFrom('have' as const, 'fetch' as const), fc.array(head, { minLength: 1, maxLength: 40 }), (type, entries) => {
    const m = decodeMessage(encodeHeads(type, entries))
    assert.ok(m.type === type)
    assert.equal(m.entries.length, entries.length)
    m.entries.forEach((e, i) => { assert.ok(cmp(e.chainId, entries[i]!.chainId)); assert.equal(e.height, entries[i]!.height) })
  }))
  assert.throws(() => encodeHeads('have', []), RangeError)
  assert.throws(() => encodeHeads('have', [{ chainId: new Uint8Array(16), height: 0 }]), RangeError)
  assert.throws(() => encodeHeads('fetch', Array.from({ length: MAX_HEADS_PER_MESSAGE + 1 }, () => ({ chainId: new Uint8Array(64), height: 0 }))), RangeError)
  // a count the message cannot hold, a count of zero or above the limit, trailing bytes
  const one = encodeHeads('have', [{ chainId: new Uint8Array(64), height: 5 }])
  for (const bad of [new Uint8Array([0x09, 0x02, ...one.subarray(2)]), new Uint8Array([0x0a, 0x00]), new Uint8Array([0x09, 0x81, 0x08]), new Uint8Array([...one, 0])]) {
    assert.throws(() => decodeMessage(bad), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
  }
})

test('splitForWire keeps chain order within the limits', () => {
  const parts = splitForWire(feed, 2)
  assert.deepEqual(parts.map(p => p.length), [2, 2, 1])
  const whole = parts[0]!.clone()
  for (const p of parts.slice(1)) whole.merge(p)
  assert.ok(cmp(whole.buffer, feed.buffer))
  assert.equal(splitForWire(feed, 1024, 400).length, 3)
})

test('encoders refuse bad arguments', () => {
  assert.throws(() => encodeHello(new Uint8Array(3), new Uint8Array(16), 1), RangeError)
  assert.throws(() => encodeHello(new Uint8Array(32), new Uint8Array(16), -1), RangeError)
  assert.throws(() => encodeAuth(new Uint8Array(3)), RangeError)
  assert.throws(() => encodeAck(0), RangeError)
  assert.throws(() => encodeWant(new Uint8Array(3)), RangeError)
  assert.throws(() => encodeBlocks(new Feed()), RangeError)
  assert.throws(() => encodeBye(256, ''), RangeError)
})

function decodesOrRejects (input: Uint8Array): void {
  try {
    decodeMessage(input)
  } catch (err) {
    assert.ok(err instanceof KernelError, `unexpected ${String(err)}`)
    assert.ok(['ProtocolError', 'InvalidBlocks'].includes(err.code))
  }
}

test('any bytes decode or give a typed rejection', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodesOrRejects), { numRuns: 2000 })
  fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.uint8Array({ maxLength: 300 }), (t, rest) => {
    decodesOrRejects(new Uint8Array([t, ...rest]))
  }), { numRuns: 2000 })
})

test('mutated valid messages decode or give a typed rejection', () => {
  const valid = [
    encodeHello(new Uint8Array(32), new Uint8Array(16), 1 << 23), encodeAuth(new Uint8Array(64)), encodeAck(300),
    encodeSummary([{ chainId: new Uint8Array(16), height: 300, tip: new Uint8Array(8) }]),
    encodeBlocks(feed), encodeWant(feed.last!.sig), encodeBye(1, 'bye'),
    encodeHeads('have', [{ chainId: new Uint8Array(64), height: 300 }, { chainId: new Uint8Array(64).fill(1), height: 0 }]),
    encodeHeads('fetch', [{ chainId: new Uint8Array(64), height: 2 ** 20 }])
  ]
  fc.assert(fc.property(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.nat(), (msg, pos, bit, cut) => {
    const m = msg.slice()
    const i = pos % m.length
    m[i] = (m[i] as number) ^ (1 << bit)
    decodesOrRejects(m)
    decodesOrRejects(msg.subarray(0, cut % msg.length))
  }), { numRuns: 2000 })
})

test('a summary count larger than the message is refused before allocating', () => {
  const huge = new Uint8Array([0x02, 0xff, 0xff, 0xff, 0x3f])
  assert.throws(() => decodeMessage(huge), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
  const tooMany = encodeSummary([])
  tooMany[1] = 0 // count 0 stays valid
  assert.equal(decodeMessage(tooMany).type, 'summary')
  assert.ok(MAX_SUMMARY_ENTRIES > 0)
})

test('oversized messages are refused', () => {
  const big = new Uint8Array(100)
  big[0] = 0x03
  assert.throws(() => decodeMessage(big, { maxMessageSize: 50 }), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
  assert.throws(() => decodeMessage(encodeBlocks(feed), { maxBlocks: 2 }), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
})

test('planSync sends only what the peer lacks', async () => {
  const { planSync, summarize } = await import('../../src/kernel/sync.js')
  const id = (n: number): Uint8Array => new Uint8Array(64).fill(n)
  const local = [
    { chainId: id(1), height: 9, tip: id(11) },
    { chainId: id(2), height: 4, tip: id(12) },
    { chainId: id(3), height: 0, tip: id(3) }
  ]
  const remote = summarize([
    { chainId: id(1), height: 9, tip: id(11) }, // level
    { chainId: id(2), height: 1, tip: id(22) }, // behind
    { chainId: id(4), height: 7, tip: id(14) } // ours lacks it: the peer will send
  ])
  const needs = planSync(local, remote)
  assert.deepEqual(needs.map(n => [n.chain.chainId[0], n.from]), [[2, 2], [3, 0]])
  assert.ok(cmp(needs[0]!.expectTip!, id(22).subarray(0, 8)))
})

test('collectDelta skips what the peer is known to hold by now, segment by segment, and begins where `start` says', async () => {
  const { collectDelta, summarize } = await import('../../src/kernel/sync.js')
  const chains = [1, 2, 3, 4].map(n => {
    const f = new Feed()
    const key = signPair().sk
    for (let i = 0; i < 10; i++) f.append(`chain ${n} block ${i}`, key)
    return f
  })
  const local = chains.map(f => ({ chainId: f.first!.sig, height: f.length - 1, tip: f.last!.sig }))
  const byId = new Map(chains.map(f => [toHex(f.first!.sig), f]))
  const held = new Map<string, number>()
  const reader = {
    chains: async () => local,
    async * segments (chainId: Uint8Array, from: number, maxBlocks: number) {
      const f = byId.get(toHex(chainId)) as Feed
      for (let i = from; i < f.length; i += maxBlocks) yield f.slice(i, i + maxBlocks)
    },
    held: (chainId: Uint8Array) => held.get(toHex(chainId)) ?? -1
  }
  // the peer holds chain 2 up to height 3: only heights 4.. of it are due
  const remote = summarize([{ ...local[1]!, height: 3, tip: chains[1]!.blocks[3]!.sig }])
  const got: string[] = []
  const label = (seg: Feed): string => `${chains.findIndex(f => cmp(f.first!.sig, seg.first!.sig) || f.blocks.some(b => cmp(b.sig, seg.first!.sig)))}:${seg.length}`
  let first = true
  for await (const seg of collectDelta(reader, remote, 4, 0.5)) {
    got.push(label(seg))
    if (first) {
      first = false
      held.set(toHex(local[2]!.chainId), 7) // chain 3's next segment arrived from another neighbour
      held.set(toHex(local[3]!.chainId), 9) // and chain 4 whole
    }
  }
  // begins half-way (chain 3), skips chain 3's heights 4-7 and all of chain 4, then chains 1 and 2
  assert.deepEqual(got, ['2:4', '2:2', '0:4', '0:4', '0:2', '1:3', '1:3']) // chain 2 is read from height 3 (one block of overlap)

  // without news from the peer, any start sends the same segments, rotated
  held.clear()
  const all = async (start: number): Promise<string[]> => { const out: string[] = []; for await (const seg of collectDelta(reader, [], 4, start)) out.push(label(seg)); return out }
  const base = await all(0)
  assert.equal(base.length, 12)
  for (const start of [0.25, 0.5, 0.99, -1, 2, Number.NaN]) assert.deepEqual([...(await all(start))].sort(), [...base].sort())
  assert.deepEqual((await all(0.25)).slice(0, 3), base.slice(3, 6))
})

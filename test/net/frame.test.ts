import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { FrameDecoder, MIN_BODY, NetError, decodePacket, encodeFrame, encodePacket } from '../../src/net/index.js'
import type { Packet } from '../../src/net/index.js'

const u32 = fc.integer({ min: 1, max: 0xffffffff })
const payload = fc.uint8Array({ maxLength: 300 })
/** Every valid packet shape of the grammar in src/net/frame.ts. */
const packet: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ dst: fc.oneof(fc.constant(0), u32), src: fc.constant(0), flags: fc.constant(0), payload }),
  fc.record({ dst: fc.oneof(fc.constant(0), u32), src: u32, flags: fc.constant(1), payload }),
  fc.record({ dst: u32, src: fc.constant(0), flags: fc.constant(2), payload }),
  fc.record({ dst: fc.constant(0), src: fc.constant(0), flags: fc.constantFrom(4, 8), payload: fc.constant(new Uint8Array(0)) })
).map(p => ({ ...p })) // fc.record makes null-prototype objects

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut (bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map(p => p % (bytes.byteLength + 1)))].sort((x, y) => x - y)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of at) { out.push(bytes.subarray(prev, p)); prev = p }
  out.push(bytes.subarray(prev))
  return out
}

function decodeAll (chunks: Uint8Array[], max = 1 << 20, reuseChunks = false): { packets: Packet[], buffered: number } {
  const d = new FrameDecoder(max, { reuseChunks })
  const packets: Packet[] = []
  for (const c of chunks) d.push(c, p => packets.push({ ...p, payload: p.payload.slice() }))
  return { packets, buffered: d.buffered }
}

const isNetError = (err: unknown, ...codes: string[]): boolean => err instanceof NetError && codes.includes(err.code)

describe('frame codec', () => {
  it('round-trips packets through frames cut at any points', () => {
    fc.assert(fc.property(fc.array(packet, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (packets, points) => {
      const stream = concat(packets.map(p => encodeFrame(p.dst, p.src, p.flags, p.payload)))
      const { packets: out, buffered } = decodeAll(cut(stream, points))
      assert.equal(buffered, 0)
      assert.deepEqual(out, packets)
    }), { numRuns: 500 })
  })

  it('reassembles inside chunks it may reuse, whatever the cut points, without touching delivered payloads', () => {
    const big = fc.record({ dst: fc.constant(0), src: u32, flags: fc.constant(1), payload: fc.uint8Array({ minLength: 0, maxLength: 3000 }) }).map(p => ({ ...p }))
    fc.assert(fc.property(fc.array(fc.oneof(packet, big), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (packets, points) => {
      const stream = concat(packets.map(p => encodeFrame(p.dst, p.src, p.flags, p.payload)))
      const d = new FrameDecoder(1 << 20, { reuseChunks: true })
      const got: Packet[] = []
      for (const c of cut(stream, points)) d.push(c.slice(), p => got.push(p)) // each chunk owns its buffer, as from a socket
      assert.equal(d.buffered, 0)
      assert.deepEqual(got, packets) // payloads held since earlier pushes are still intact
    }), { numRuns: 500 })
  })

  it('reassembles large frames from pieces of any size, holding about what arrived, with or without reuseChunks', () => {
    /** A packet of 60..200 kB whose bytes follow from its seed. */
    const large = fc.record({ src: u32, size: fc.integer({ min: 60_000, max: 200_000 }), seed: fc.nat(255) })
      .map(({ src, size, seed }) => ({ dst: 0, src, flags: 1, payload: new Uint8Array(size).map((_, i) => (i * 31 + seed) & 0xff) }))
    const cuts = fc.oneof(
      fc.array(fc.nat(), { maxLength: 12 }), // a few large pieces
      fc.array(fc.nat(), { minLength: 100, maxLength: 400 }) // many small ones (a drip)
    )
    fc.assert(fc.property(fc.array(fc.oneof(packet, large), { minLength: 1, maxLength: 4 }), cuts, fc.boolean(), (packets, points, reuse) => {
      const stream = concat(packets.map(p => encodeFrame(p.dst, p.src, p.flags, p.payload)))
      const d = new FrameDecoder(1 << 20, { reuseChunks: reuse })
      const got: Packet[] = []
      for (const c of cut(stream, points)) {
        d.push(reuse ? c.slice() : c, p => got.push(p))
        assert.ok(d.reserved <= 2 * d.buffered + MIN_BODY, `${d.reserved} bytes reserved for ${d.buffered} received`)
      }
      assert.equal(d.buffered, 0)
      assert.equal(d.reserved, 0)
      assert.deepEqual(got, packets) // payloads held since earlier pushes are still intact
    }), { numRuns: 150 })
  })

  it('a frame starting a chunk that owns its buffer is completed in that buffer', () => {
    const payload = new Uint8Array(1000).map((_, i) => i)
    const frame = encodeFrame(0, 7, 1, payload)
    const first = frame.slice(0, 1000) // head + 987 payload bytes, in a buffer of its own
    const got: Packet[] = []
    const d = new FrameDecoder(4096, { reuseChunks: true })
    d.push(first, p => got.push(p))
    d.push(frame.slice(1000), p => got.push(p))
    assert.equal(got.length, 1)
    assert.equal(got[0]!.payload.buffer, first.buffer)
    assert.deepEqual(got[0]!.payload, payload)
    const shared = new FrameDecoder(4096) // without the option the input is never written
    const copy = frame.slice(0, 1000)
    shared.push(copy, () => {})
    assert.deepEqual(copy, frame.subarray(0, 1000))
  })

  it('round-trips single packets (message transports)', () => {
    fc.assert(fc.property(packet, p => {
      assert.deepEqual(decodePacket(encodePacket(p.dst, p.src, p.flags, p.payload)), p)
    }), { numRuns: 500 })
  })

  it('any strict prefix of a frame leaves bytes buffered (truncation is detectable)', () => {
    fc.assert(fc.property(packet, fc.nat(), (p, n) => {
      const frame = encodeFrame(p.dst, p.src, p.flags, p.payload)
      const k = 1 + (n % (frame.byteLength - 1))
      const { packets, buffered } = decodeAll([frame.subarray(0, k)])
      assert.equal(packets.length, 0)
      assert.equal(buffered, k)
    }), { numRuns: 300 })
  })

  it('random bytes decode or fail with a typed error, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, points) => {
      for (const reuse of [false, true]) {
        try {
          decodeAll(cut(bytes, points).map(c => reuse ? c.slice() : c), 4096, reuse)
        } catch (err) {
          assert.ok(isNetError(err, 'ProtocolError', 'FrameTooLarge'), String(err))
        }
      }
    }), { numRuns: 1000 })
  })

  it('a flipped byte in a valid stream decodes or fails with a typed error', () => {
    fc.assert(fc.property(fc.array(packet, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (packets, at, x) => {
      const stream = concat(packets.map(p => encodeFrame(p.dst, p.src, p.flags, p.payload)))
      stream[at % stream.byteLength] ^= x
      try {
        decodeAll([stream], 4096)
      } catch (err) {
        assert.ok(isNetError(err, 'ProtocolError', 'FrameTooLarge'), String(err))
      }
    }), { numRuns: 1000 })
  })

  it('refuses an oversized length as soon as the prefix is read, and then all input', () => {
    const d = new FrameDecoder(1000)
    d.push(new Uint8Array([0, 0, 3]), () => {}) // 3 bytes of the prefix: nothing to judge yet
    assert.throws(() => d.push(new Uint8Array([0xe9]), () => {}), { code: 'FrameTooLarge' }) // 1001
    assert.throws(() => d.push(new Uint8Array([0]), () => {}), { code: 'ProtocolError' })
    const e = new FrameDecoder(1 << 20)
    assert.throws(() => e.push(new Uint8Array([0x7f, 0xff, 0xff, 0xff]), () => {}), { code: 'FrameTooLarge' })
    assert.throws(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 3, 1, 2, 3]), () => {}), { code: 'ProtocolError' })
  })

  it('rejects invalid packet shapes with ProtocolError', () => {
    const bad: Array<[number, number, number, number]> = [
      [0, 0, 1, 0], // reply flag without a source port
      [0, 5, 0, 0], // source port without the reply flag
      [0, 0, 2, 0], // error without a conversation
      [1, 3, 2, 0], // error with a source port
      [1, 0, 4, 0], // ping with a port
      [0, 0, 8, 1], // pong with a payload
      [0, 0, 16, 0], // unknown flag
      [0, 0, 3, 0] // two flags
    ]
    for (const [dst, src, flags, len] of bad) {
      assert.throws(() => decodePacket(encodePacket(dst, src, flags, new Uint8Array(len))), { code: 'ProtocolError' }, `${dst} ${src} ${flags}`)
    }
    assert.throws(() => decodePacket(new Uint8Array(8)), { code: 'ProtocolError' })
  })
})

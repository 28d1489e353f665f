import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeFrame, fromStream } from '../../src/net/index.js'
import { scrambledStreams, tcpWires } from './helpers.js'
import { wireConformance } from './wire-conformance.js'

wireConformance('TCP on 127.0.0.1', () => tcpWires())

wireConformance('Duplex pair cutting writes into 1..31-byte chunks', async () => {
  const [x, y] = scrambledStreams(31)
  return { a: fromStream(x), b: fromStream(y), teardown: async () => { x.destroy(); y.destroy() } }
})

wireConformance('Duplex pair cutting writes into 1..70000-byte chunks', async () => {
  const [x, y] = scrambledStreams(70000)
  return { a: fromStream(x), b: fromStream(y), teardown: async () => { x.destroy(); y.destroy() } }
})

describe('stream chunk ownership', () => {
  /** Writes one 2,000-byte message as two raw chunks; the first holds the frame head and owns a buffer large enough for the payload. */
  async function deliver (reuseChunks: boolean | undefined): Promise<{ first: Uint8Array, copy: Uint8Array, got: Uint8Array }> {
    const [x, y] = scrambledStreams(1 << 30) // whole writes, passed through without a copy
    const payload = new Uint8Array(2000).map((_, i) => i & 0xff)
    const frame = encodeFrame(0, 0, 0, payload)
    const first = frame.slice(0, 2005)
    const copy = first.slice()
    const plug = fromStream(y, reuseChunks === undefined ? {} : { reuseChunks })
    const got = new Promise<Uint8Array>(resolve => { plug.open(msg => { resolve(msg) }) })
    x.write(first)
    x.write(frame.slice(2005))
    const msg = await got
    assert.deepEqual(msg, payload)
    plug.close()
    x.destroy()
    return { first, copy, got: msg }
  }

  it('leaves the chunks of a stream that is not a socket untouched by default', async () => {
    const { first, copy, got } = await deliver(undefined)
    assert.deepEqual(first, copy)
    assert.ok(got.buffer !== first.buffer)
  })

  it('with reuseChunks reassembles in the first chunk\'s memory', async () => {
    const { first, got } = await deliver(true)
    assert.ok(got.buffer === first.buffer)
  })
})

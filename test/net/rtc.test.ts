// rtcWire over an in-process stand-in of a data-channel pair (the real one runs in Chromium:
// test/net/mesh-browser.test.ts): the wire conformance suite with packets cut into fragments,
// backpressure through bufferedamountlow, and bad input from the peer closing with a typed error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { picoWire, rtcWire, loopbackCandidate } from '../../src/net/index.js'
import type { DataChannelEventLike, DataChannelLike, Plug } from '../../src/net/index.js'
import { encodePacket } from '../../src/net/frame.js'
import { wireConformance } from './wire-conformance.js'
import { FakeChannel } from './_fake-rtc.js'

/** Two plugs joined by rtcWire over a fake channel pair. */
function rtcPair (options?: Parameters<typeof rtcWire>[2]): { a: Plug, b: Plug, ca: FakeChannel, cb: FakeChannel } {
  const [ca, cb] = FakeChannel.pair()
  const [a, la] = picoWire()
  const [b, lb] = picoWire()
  rtcWire(la, ca, options)
  rtcWire(lb, cb, options)
  return { a, b, ca, cb }
}

wireConformance('WebRTC data channel (in-process stand-in, 1000-byte fragments)', async () => {
  const { a, b } = rtcPair({ chunkSize: 1000 })
  return { a, b, async teardown () {} }
})

const code = (e: Error | null): string | undefined => (e as { code?: string } | null)?.code

test('rtcWire: a packet arrives whole from its fragments; the binary type is set', async () => {
  const { a, b, ca } = rtcPair({ chunkSize: 100 })
  assert.equal(ca.binaryType, 'arraybuffer')
  const big = new Uint8Array(1234).map((_, i) => i & 255)
  b.open(async (msg, reply) => { await reply?.(msg.slice().reverse()) }).catch(() => {})
  await a.open(() => {})
  const [back] = await a.postMessage(big, true)
  assert.deepEqual(back, big.slice().reverse())
  a.close()
  assert.equal(await b.closed, null)
})

test('rtcWire: sends wait for bufferedamountlow above the high-water mark', async () => {
  const { a, b, ca } = rtcPair({ highWaterMark: 100 })
  const arrived = new Map<number, () => void>()
  const arrival = (n: number): Promise<void> => new Promise(resolve => arrived.set(n, resolve))
  const small = arrival(10)
  const bigArrived = arrival(500)
  b.open(msg => { arrived.get(msg.length)?.() }).catch(() => {})
  await a.open(() => {})
  await a.postMessage(new Uint8Array(10))
  await small // both ends open, nothing queued
  ca.auto = false
  let delivered = false
  const sending = a.postMessage(new Uint8Array(500)).then(() => { delivered = true })
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  assert.ok(ca.bufferedAmount > 100)
  assert.equal(delivered, false) // held by the full buffer
  ca.auto = true
  ca.flush() // drains below the mark: bufferedamountlow
  await sending
  await bigArrived
  a.close()
})

test('rtcWire: bad input from the peer closes with a typed error', async () => {
  const bad: Array<[string, (c: FakeChannel) => void, string]> = [
    ['text', c => c.emit('message', { data: 'hello' }), 'ProtocolError'],
    ['empty', c => c.emit('message', { data: new ArrayBuffer(0) }), 'ProtocolError'],
    ['bad flag', c => c.emit('message', { data: new Uint8Array([7, 0, 0]).buffer }), 'ProtocolError'],
    ['bad packet', c => c.emit('message', { data: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40]).buffer }), 'ProtocolError'],
    ['too large', c => { for (let i = 0; i < 3; i++) c.emit('message', { data: new Uint8Array(600).fill(1, 0, 1).buffer }) }, 'FrameTooLarge'],
    ['unknown port', c => c.emit('message', { data: Uint8Array.of(0, ...encodePacket(77, 0, 0, new Uint8Array(1))).buffer }), 'UnknownPort']
  ]
  for (const [name, inject, want] of bad) {
    const { a, b, ca } = rtcPair({ maxFrameSize: 1024 })
    b.open(() => {}).catch(() => {})
    await a.open(() => {})
    inject(ca)
    assert.equal(code(await a.closed), want, name)
    assert.equal(ca.readyState, 'closed', name)
    assert.ok((await b.closed) === null || code(await b.closed) !== undefined, name)
  }
})

test('rtcWire: the channel closing or failing closes the plug; a closed channel fails at once', async () => {
  const { a, b, cb } = rtcPair()
  b.open(() => {}).catch(() => {})
  await a.open(() => {})
  cb.close()
  assert.equal(await a.closed, null)
  const [c, d] = FakeChannel.pair()
  const [p, lp] = picoWire()
  rtcWire(lp, c)
  rtcWire(picoWire()[1], d)
  await p.open(() => {})
  c.emit('error', { error: { message: 'sctp failure' } } as DataChannelEventLike)
  assert.equal(code(await p.closed), 'ConnectionError')
  const gone = new FakeChannel()
  gone.readyState = 'closed'
  const [q, lq] = picoWire()
  rtcWire(lq, gone)
  assert.equal(code(await q.closed), 'ConnectionError')
  assert.throws(() => rtcWire(picoWire()[1], {} as DataChannelLike), TypeError)
  assert.throws(() => rtcWire({} as Plug, new FakeChannel()), TypeError)
  assert.throws(() => rtcWire(picoWire()[1], new FakeChannel(), { chunkSize: 1 }), RangeError)
})

test('loopbackCandidate keeps 127.0.0.1 and ::1 only', () => {
  assert.equal(loopbackCandidate('candidate:1 1 udp 2122260223 127.0.0.1 58849 typ host generation 0'), true)
  assert.equal(loopbackCandidate('a=candidate:1 1 udp 2122260223 ::1 58849 typ host'), true)
  assert.equal(loopbackCandidate('candidate:1 1 udp 2122260223 192.168.1.2 58849 typ host'), false)
  assert.equal(loopbackCandidate('candidate:1 1 udp 2122260223 abcd.local 58849 typ host'), false)
  assert.equal(loopbackCandidate(''), false)
})

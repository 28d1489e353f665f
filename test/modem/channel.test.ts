import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { CHANNEL_PROTOCOL_VERSION, MAX_TOPICS, ModemError, decodeChannelMessage, encodeChannelMessage, topicKey } from '../../src/modem/index.js'
import type { ChannelMessage } from '../../src/modem/index.js'
import { encodeDataForTransport } from '../../src/modem/channel.js'

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const index = fc.integer({ min: 0, max: 0xffffffff })
const message: fc.Arbitrary<ChannelMessage> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: fc.constant(CHANNEL_PROTOCOL_VERSION),
    nonce: bytes(16),
    topics: fc.array(fc.record({ index, token: bytes(32) }), { maxLength: 8 })
  }),
  fc.record({ type: fc.constant('add' as const), index, token: bytes(32) }),
  fc.record({ type: fc.constantFrom('remove' as const, 'close' as const), index }),
  fc.record({ type: fc.constant('data' as const), index, payload: fc.uint8Array({ maxLength: 64 }) })
)

const isProtocolError = (err: unknown): boolean => err instanceof ModemError && err.code === 'ProtocolError'

test('channel codec: round trip', () => {
  fc.assert(fc.property(message, msg => {
    const plain = JSON.parse(JSON.stringify(msg, (_k, v: unknown) => v instanceof Uint8Array ? Array.from(v) : v)) as unknown
    const back = decodeChannelMessage(encodeChannelMessage(msg))
    assert.deepEqual(JSON.parse(JSON.stringify(back, (_k, v: unknown) => v instanceof Uint8Array ? Array.from(v) : v)), plain)
    if (back.type === 'data' && msg.type === 'data') assert.deepEqual(back.payload, msg.payload)
  }), { numRuns: 500 })
})

test('channel codec: a DATA message built for the transport has the bytes of the public encoder', () => {
  fc.assert(fc.property(index, fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 4000 }), (i, payload, before) => {
    encodeDataForTransport(0, new Uint8Array(before)) // another region of the shared slab first
    const out = encodeDataForTransport(i, payload)
    assert.deepEqual(out, encodeChannelMessage({ type: 'data', index: i, payload }))
  }), { numRuns: 300 })
})

test('channel codec: truncation and flipped bytes yield a message or ProtocolError, never anything else', () => {
  fc.assert(fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (msg, at, flip) => {
    const enc = encodeChannelMessage(msg)
    const cut = at % enc.byteLength
    const variants = [enc.subarray(0, cut), enc.map((b, i) => i === at % enc.byteLength ? b ^ flip : b)]
    for (const v of variants) {
      try {
        const out = decodeChannelMessage(v)
        assert.ok(['hello', 'add', 'remove', 'close', 'data'].includes(out.type))
      } catch (err) {
        assert.ok(isProtocolError(err), String(err))
      }
    }
  }), { numRuns: 500 })
})

test('channel codec: garbage is rejected with ProtocolError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), b => {
    try { decodeChannelMessage(b) } catch (err) { assert.ok(isProtocolError(err)) }
  }), { numRuns: 500 })
  for (const b of [new Uint8Array(0), new Uint8Array([9, 0, 0, 0, 0]), new Uint8Array([2, 0, 0, 0, 0]), new Uint8Array([3, 0, 0, 0, 0, 0])]) {
    assert.throws(() => decodeChannelMessage(b), isProtocolError)
  }
  const hello = encodeChannelMessage({ type: 'hello', version: CHANNEL_PROTOCOL_VERSION, nonce: new Uint8Array(16), topics: [] })
  hello[1] = 2
  assert.throws(() => decodeChannelMessage(hello), /unsupported channel protocol version 2/)
  const many = new Uint8Array(20)
  many[0] = 1; many[1] = CHANNEL_PROTOCOL_VERSION; many[18] = 0xff; many[19] = 0xff
  assert.throws(() => decodeChannelMessage(many), isProtocolError)
})

test('channel codec: wrong-typed inputs to the encoder are caller errors', () => {
  const bad: unknown[] = [
    { type: 'add', index: -1, token: new Uint8Array(32) },
    { type: 'add', index: 2 ** 32, token: new Uint8Array(32) },
    { type: 'add', index: 1.5, token: new Uint8Array(32) },
    { type: 'add', index: 1, token: new Uint8Array(31) },
    { type: 'hello', version: 1, nonce: new Uint8Array(15), topics: [] },
    { type: 'hello', version: 1, nonce: new Uint8Array(16), topics: Array.from({ length: MAX_TOPICS + 1 }, () => ({ index: 0, token: new Uint8Array(32) })) },
    { type: 'nope', index: 1 }
  ]
  for (const msg of bad) assert.throws(() => encodeChannelMessage(msg as ChannelMessage), (e: unknown) => e instanceof TypeError || e instanceof RangeError)
})

test('topicKey: strings are SHA-256 of their UTF-8 bytes, 32-byte keys are used as is', () => {
  for (const s of ['picostack', '', 'ünïcødé 🐢']) {
    assert.deepEqual(topicKey(s), new Uint8Array(createHash('sha256').update(s, 'utf8').digest()))
  }
  const key = new Uint8Array(32).fill(7)
  const out = topicKey(key)
  assert.deepEqual(out, key)
  assert.notEqual(out, key) // copied
  for (const bad of [new Uint8Array(31), new Uint8Array(33), 42, null, undefined, {}]) {
    assert.throws(() => topicKey(bad as string), TypeError)
  }
})

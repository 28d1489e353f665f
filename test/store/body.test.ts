// Block bodies are decoded by a quick decoder for a plain subset of CBOR before cborg: whatever
// it decodes must be exactly what cborg's decode gives, and everything else goes to cborg.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decode, encode } from 'cborg'
import { decodeBlock, decodeBody, encodeBody, quickDecode } from '../../src/store/body.js'
import { StoreError } from '../../src/store/errors.js'
import '../helpers/seed.js'

/** cborg's result, or the error it throws. */
function cborg (b: Uint8Array): { ok: true, v: unknown } | { ok: false } {
  try { return { ok: true, v: decode(b) } } catch { return { ok: false } }
}

/** The quick decoder leaves `b` to cborg, or gives exactly cborg's value. */
function agrees (b: Uint8Array): boolean {
  const q = quickDecode(b)
  if (typeof q === 'symbol') return false // left to cborg
  const c = cborg(b)
  assert.ok(c.ok, 'the quick decoder decoded bytes cborg refuses')
  assert.deepStrictEqual(q, c.v)
  return true
}

const number = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53) + 1, -(2 ** 53), -(2 ** 64), 2 ** 64, NaN, Infinity, -Infinity, 0.1, 1e300),
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.double()
)
const leaf = fc.oneof(number, fc.string(), fc.string({ unit: 'grapheme' }), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.uint8Array({ maxLength: 40 }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }))
const { value } = fc.letrec<{ value: unknown }>(tie => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')), tie('value'), { maxKeys: 5 }))
}))

describe('block body decoding', () => {
  it('decodes any cborg encoding as cborg does, or leaves it to cborg', () => {
    let quick = 0
    fc.assert(fc.property(value, v => {
      let b: Uint8Array
      try { b = encode(v) } catch { return } // not encodable (e.g. a bigint beyond 64 bits)
      if (agrees(b)) quick++
      if (agrees(encodeBody('root', v, 1_700_000_000_000))) quick++
    }), { numRuns: 2000 })
    assert.ok(quick > 1000, `the quick path decoded ${quick} bodies`)
  })

  it('never decodes bytes cborg refuses, nor differently from cborg (random and damaged bytes)', () => {
    const bodies = fc.tuple(value, fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 3 })).map(([v, at, byte, how]) => {
      let b: Uint8Array
      try { b = encode(['root', v, 1_700_000_000_000]) } catch { b = new Uint8Array([0x83]) }
      b = b.slice()
      const i = at % b.length
      if (how === 0) b[i] = byte // a byte changed
      else if (how === 1) b = b.subarray(0, i) // cut short
      else if (how === 2) b = Uint8Array.from([...b, byte]) // a byte too many
      return b
    })
    fc.assert(fc.property(fc.oneof(bodies, fc.uint8Array({ maxLength: 64 })), b => { agrees(b) }), { numRuns: 5000 })
  })

  it('takes the quick path for a typical body, and leaves text that is not ASCII, big integers and deep nesting to cborg', () => {
    const tick = encodeBody('tick', { time: 1_796_020_774_666, note: 'hello', at: [1.5, -2, null, true] }, 1_796_020_774_666)
    assert.deepStrictEqual(quickDecode(tick), ['tick', { time: 1_796_020_774_666, note: 'hello', at: [1.5, -2, null, true] }, 1_796_020_774_666])
    assert.deepStrictEqual(decodeBlock(tick), { time: 1_796_020_774_666, note: 'hello', at: [1.5, -2, null, true], type: 'tick', date: 1_796_020_774_666 })
    for (const v of ['héllo', 2n ** 60n, -(2n ** 60n), JSON.parse('{"__proto__": 1}')]) {
      const b = encodeBody('x', v, 1)
      assert.equal(typeof quickDecode(b), 'symbol')
      assert.deepStrictEqual(decodeBody(b).payload, decode(b)[1]) // still decoded, by cborg
    }
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = [deep]
    assert.equal(typeof quickDecode(encode(deep)), 'symbol')
    assert.deepStrictEqual(decodeBody(encodeBody('x', deep, 1)).payload, deep)
    // A Buffer (a Uint8Array subclass) goes to cborg, which may hand out views of it.
    assert.equal(typeof quickDecode(Buffer.from(tick)), 'symbol')
  })

  it('decodeBlock gives what { ...payload, type, date } gives: the same keys in the same order, own __proto__ included', () => {
    const payloads = fc.oneof(value, fc.dictionary(fc.constantFrom('type', 'date', '__proto__', '1', 'a', 'b'), value, { maxKeys: 6 }))
    fc.assert(fc.property(payloads, v => {
      let b: Uint8Array
      try { b = encodeBody('root', v, 7) } catch { return }
      const payload = decode(b)[1] as unknown
      const want = typeof payload === 'object' && payload !== null && !Array.isArray(payload) && !ArrayBuffer.isView(payload)
        ? { ...payload, type: 'root', date: 7 }
        : { type: 'root', payload, date: 7 }
      const got = decodeBlock(b)
      assert.deepStrictEqual(got, want)
      assert.deepStrictEqual(Reflect.ownKeys(got), Reflect.ownKeys(want))
      assert.equal(Object.getPrototypeOf(got), Object.prototype)
    }), { numRuns: 1000 })
  })

  it('malformed bodies are still refused with StoreError InvalidBlock', () => {
    for (const b of [new Uint8Array(0), Uint8Array.of(0x83), Uint8Array.of(0x83, 0x01, 0x02, 0x03), Uint8Array.of(0x82, 0x61, 0x61, 0x00), Uint8Array.of(0xff)]) {
      assert.throws(() => decodeBody(b), (e: unknown) => e instanceof StoreError && e.code === 'InvalidBlock')
    }
  })
})

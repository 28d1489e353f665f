// The internal byte helpers shared by repo and store: their edge cases.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { bytesEqual, concat, latin1, prefixEnd, prefixRange, withPrefix } from '../../src/internal/bytes.js'

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b)

function startsWith (k: Uint8Array, p: Uint8Array): boolean {
  return k.length >= p.length && bytesEqual(k.subarray(0, p.length), p)
}
function less (a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number)
  return a.length < b.length
}

describe('internal bytes', () => {
  it('prefixEnd: increments the last byte that is not 0xFF and drops the rest', () => {
    assert.deepEqual(prefixEnd(u8(1, 2, 3)), u8(1, 2, 4))
    assert.deepEqual(prefixEnd(u8(1, 0xff, 0xff)), u8(2))
    assert.deepEqual(prefixEnd(u8(0)), u8(1))
  })

  it('prefixEnd: an empty or all-0xFF prefix has no upper bound', () => {
    assert.equal(prefixEnd(new Uint8Array(0)), undefined)
    assert.equal(prefixEnd(u8(0xff)), undefined)
    assert.equal(prefixEnd(u8(0xff, 0xff, 0xff)), undefined)
    assert.deepEqual(prefixRange(u8(0xff)), { gte: u8(0xff) })
    assert.deepEqual(prefixRange(u8(7)), { gte: u8(7), lt: u8(8) })
  })

  it('prefixEnd does not modify its argument', () => {
    const p = u8(1, 0xff)
    prefixEnd(p)
    assert.deepEqual(p, u8(1, 0xff))
  })

  it('prefixEnd: every key with the prefix sorts below the bound, every key above the prefix range not', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 8 }), (p, tail, other) => {
      const end = prefixEnd(p)
      const k = concat(p, tail)
      if (end === undefined) return p.every(b => b === 0xff)
      assert.ok(less(k, end))
      if (!startsWith(other, p) && !less(other, p)) assert.ok(!less(other, end))
      return true
    }))
  })

  it('prefixRange selects exactly the keys with the prefix in a real database, all-0xFF included', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const keys = [u8(0xfe), u8(0xfe, 0xff), u8(0xff), u8(0xff, 0xff), u8(0xff, 0xff, 0xff, 0xff), u8(0xff, 0)]
    await db.batch(keys.map(key => ({ type: 'put' as const, key, value: u8() })))
    for (const p of [u8(0xff), u8(0xff, 0xff), u8(0xfe), new Uint8Array(0)]) {
      const got = await db.keys(prefixRange(p)).all()
      assert.deepEqual(got.map(k => [...k]), keys.filter(k => startsWith(k, p)).sort((a, b) => less(a, b) ? -1 : 1).map(k => [...k]))
    }
    await db.close()
  })

  it('bytesEqual: lengths, contents, empty arrays, undefined', () => {
    assert.ok(bytesEqual(u8(), u8()))
    assert.ok(bytesEqual(u8(1, 2), u8(1, 2)))
    assert.ok(!bytesEqual(u8(1, 2), u8(1, 3)))
    assert.ok(!bytesEqual(u8(1), u8(1, 0)))
    assert.ok(bytesEqual(undefined, undefined))
    assert.ok(!bytesEqual(undefined, u8()))
    assert.ok(!bytesEqual(u8(), undefined))
  })

  it('latin1 is injective, also above the argument-count limit of fromCharCode', () => {
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => (latin1(a) === latin1(b)) === bytesEqual(a, b)))
    const big = new Uint8Array(300_000).map((_, i) => i % 251)
    const s = latin1(big)
    assert.equal(s.length, big.length)
    assert.equal(s.charCodeAt(299_999), 299_999 % 251)
    assert.equal(latin1(u8()), '')
  })

  it('concat and withPrefix', () => {
    assert.deepEqual(concat(), u8())
    assert.deepEqual(concat(u8(1), u8(), u8(2, 3)), u8(1, 2, 3))
    assert.deepEqual(withPrefix(u8(), u8(5)), u8(5))
    assert.deepEqual(withPrefix(u8(9), u8()), u8(9))
    assert.deepEqual(withPrefix(u8(1, 2), u8(3)), u8(1, 2, 3))
  })
})

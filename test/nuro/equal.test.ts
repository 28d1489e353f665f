import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { notEqual, notEqualDeep } from '../../src/nuro/index.js'
import { clone, snapshot } from '../../src/nuro/equal.js'

test('notEqual: spec cases', () => {
  const p = { x: 1 }
  for (const [a, b] of [[null, 1], ['a', 'b'], [true, 1], [[], [p]], [{}, null], [{ a: 1 }, { a: 1, b: 2 }], [[{ x: 1 }], [{ x: 1 }]]] as const) {
    assert.equal(notEqual(a, b), true, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  }
  for (const [a, b] of [[[], []], [['a', 1], ['a', 1]], [[p], [p]], [{}, {}], [{ a: 1 }, { a: 1 }]] as const) {
    assert.equal(notEqual(a, b), false, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  }
  assert.equal(notEqualDeep([{ x: 1 }], [{ x: 1 }]), false)
  assert.equal(notEqualDeep([{ x: 1 }], [{ x: 2 }]), true)
})

test('notEqual: Dates by time, NaN equals NaN, arrays vs objects differ (U7)', () => {
  assert.equal(notEqual(new Date(5), new Date(5)), false)
  assert.equal(notEqual(new Date(5), new Date(6)), true)
  assert.equal(notEqual(new Date(5), 5), true)
  assert.equal(notEqualDeep({ d: new Date(5) }, { d: new Date(5) }), false)
  assert.equal(notEqualDeep({ d: new Date(5) }, { d: new Date(7) }), true)
  assert.equal(notEqual(NaN, NaN), false)
  assert.equal(notEqual([], {}), true)
  assert.equal(notEqual({ a: undefined }, { b: undefined }), true)
})

test('notEqual: typed arrays, Maps and Sets compare by content', () => {
  assert.equal(notEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), false)
  assert.equal(notEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), true)
  assert.equal(notEqual(new Uint8Array([1]), new Int8Array([1])), true)
  assert.equal(notEqual(new Map([[1, 'a']]), new Map([[1, 'a']])), false)
  assert.equal(notEqual(new Map([[1, 'a']]), new Map([[1, 'b']])), true)
  assert.equal(notEqualDeep(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])), false)
  assert.equal(notEqual(new Set([1]), new Set([1])), false)
  assert.equal(notEqual(new Set([1]), new Set([2])), true)
})

test('notEqualDeep and snapshot survive cycles', () => {
  const a: Record<string, unknown> = { x: 1 }
  a.self = a
  const b: Record<string, unknown> = { x: 1 }
  b.self = b
  assert.equal(notEqualDeep(a, b), false)
  const s = snapshot(a)
  assert.equal(s.self, s)
  assert.notEqual(s, a)
  assert.equal(notEqualDeep(a, s), false)
})

test('clone is shallow, snapshot is deep', () => {
  const o = { n: { x: 1 }, d: new Date(3), u: new Uint8Array([1]) }
  const c = clone(o)
  assert.notEqual(c, o)
  assert.equal(c.n, o.n)
  const s = snapshot(o)
  assert.notEqual(s.n, o.n)
  assert.notEqual(s.u, o.u)
  assert.notEqual(s.d, o.d)
  assert.deepEqual(s, o)
  assert.equal(clone(5), 5)
})

const anyValue = fc.anything({ withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true })

test('property: a value equals itself and its snapshot; comparison is symmetric', () => {
  fc.assert(fc.property(anyValue, x => {
    assert.equal(notEqual(x, x), false)
    assert.equal(notEqualDeep(x, x), false)
    assert.equal(notEqualDeep(x, snapshot(x)), false)
    assert.equal(notEqual(x, clone(x)), false)
  }), { numRuns: 500 })
  fc.assert(fc.property(anyValue, anyValue, (a, b) => {
    assert.equal(notEqual(a, b), notEqual(b, a))
    assert.equal(notEqualDeep(a, b), notEqualDeep(b, a))
    if (!notEqual(a, b)) assert.equal(notEqualDeep(a, b), false)
  }), { numRuns: 500 })
})

test('snapshot keeps an own __proto__ key as a key (JSON.parse makes them), not as the prototype', () => {
  const x = JSON.parse('{"__proto__":{"a":1}}') as Record<string, unknown>
  const s = snapshot(x)
  assert.equal(Object.getPrototypeOf(s), Object.prototype)
  assert.deepEqual(Object.keys(s), ['__proto__'])
  assert.equal(notEqualDeep(x, s), false)
})

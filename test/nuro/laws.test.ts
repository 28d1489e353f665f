// fast-check laws of combine, gate, memo and mute.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { write, combine, gate, memo, mute, notEqualDeep } from '../../src/nuro/index.js'
import { deferred, probe, record, turn, type Deferred } from './_helpers.js'

const json = fc.jsonValue({ maxDepth: 2 })

test('law: combine fires exactly the latest values of its inputs, list and map alike', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer()), { maxLength: 20 }), (n, sets) => {
    const ws = Array.from({ length: n }, (_, i) => write(i))
    const list = record(combine(ws.map(w => w[0])))
    const map = record(combine(Object.fromEntries(ws.map((w, i) => ['k' + i, w[0]]))))
    const current = ws.map((_, i) => i)
    for (const [k, v] of sets) {
      const i = k % n
      const changed = current[i] !== v
      const before = list.values.length
      ws[i]![1](v)
      current[i] = v
      assert.equal(list.values.length, before + (changed ? 1 : 0))
    }
    assert.deepEqual(list.values.at(-1), current)
    assert.deepEqual(map.values.at(-1), Object.fromEntries(current.map((v, i) => ['k' + i, v])))
  }))
})

test('law: gate = input without consecutive deep duplicates; gate is idempotent', () => {
  fc.assert(fc.property(fc.array(fc.oneof(json, fc.constantFrom(1, 1, [1], { a: 1 })), { maxLength: 30 }), xs => {
    const p = probe<unknown>()
    const once = record(gate(p.$n))
    const twice = record(gate(gate(p.$n)))
    for (const x of xs) p.fire(x)
    const passed: unknown[] = []
    for (const x of xs) if (passed.length === 0 || notEqualDeep(x, passed.at(-1))) passed.push(x)
    assert.deepEqual(once.values, passed)
    assert.deepEqual(twice.values, once.values)
  }))
})

test('law: memo is transparent — every subscriber sees what a direct subscriber sees', () => {
  fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (xs, n) => {
    const p = probe<number>(0)
    const direct = record(p.$n)
    const $m = memo(p.$n)
    const subs = Array.from({ length: n }, () => record($m))
    for (const x of xs) p.fire(x)
    for (const s of subs) assert.deepEqual(s.values, direct.values)
    assert.equal(p.live(), 2)
  }))
})

test('law: mute composes — mute(mute(n, f), g) = mute(n, g . f)', () => {
  const f = (x: number): number => x * 3 + 1
  const g = (x: number): string => String(x % 7)
  fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 20 }), xs => {
    const p = probe<number>(0)
    const a = record(mute(mute(p.$n, f), g))
    const b = record(mute(p.$n, x => g(f(x))))
    for (const x of xs) p.fire(x)
    assert.deepEqual(a.values, b.values)
  }))
})

test('law: async mute delivers in input order whatever order the promises settle in', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }).chain(asyncs =>
      fc.tuple(fc.constant(asyncs), fc.shuffledSubarray(asyncs.map((_, i) => i), { minLength: asyncs.length, maxLength: asyncs.length }))),
    async ([asyncs, order]) => {
      const p = probe<number>()
      const ds = new Map<number, Deferred<void>>()
      const r = record(mute(p.$n, (i: number) => {
        if (!asyncs[i]) return i
        const d = deferred<void>()
        ds.set(i, d)
        return d.promise.then(() => i)
      }))
      asyncs.forEach((_, i) => p.fire(i))
      for (const i of order) ds.get(i)?.resolve()
      await turn()
      assert.deepEqual(r.values, asyncs.map((_, i) => i))
    }
  ))
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encode, decode } from 'cborg'
import { MemoryLevel } from 'memory-level'
import { Store as PicoStore, DiffMemory as PicoDiffMemory, formatPatch as picoFormat, applyPatch as picoApply } from '@telamon/picostore'
import { Feed as PicoFeed } from 'picofeed'
import { formatPatch, applyPatch, applyLegacyPatch, isPatch, PATCH_MAX_DEPTH } from '../../src/store/patch.js'
import type { Patch, PlainData } from '../../src/store/patch.js'
import { StoreError } from '../../src/store/errors.js'

const isInvalidPatch = (err: unknown): boolean => err instanceof StoreError && err.code === 'InvalidPatch' && err.name === 'StoreError'

// Plain data with a small key space, so that two random values share structure and the
// diff has to work below the root; '__proto__' and 'constructor' check own-key handling.
const key = fc.constantFrom('a', 'b', 'c', 'n', '0', '__proto__', 'constructor')
const leaf: fc.Arbitrary<PlainData> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double(), fc.string({ maxLength: 3 }),
  fc.uint8Array({ maxLength: 4 })
)
const { data } = fc.letrec<{ data: PlainData }>(tie => ({
  data: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('data'), { maxLength: 4 }),
    fc.dictionary(key, tie('data'), { maxKeys: 4, noNullPrototype: true }))
}))
const jsonish: fc.Arbitrary<unknown> = fc.jsonValue()

function deepFreeze<T> (x: T): T {
  if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array)) {
    for (const v of Object.values(x)) deepFreeze(v)
    Object.freeze(x)
  }
  return x
}

test('examples: set, delete, increment, shrink, type change, booleans, null', () => {
  const prev = { hp: 3, name: 'a', tags: ['x', 'y', 'z'], ok: true, gone: null, pos: { x: 1, y: 2 } }
  const next = { hp: 2, tags: ['x'], ok: false, gone: null, pos: { x: 1, y: 'far' }, n: 7, z: null }
  const p = formatPatch(prev, next)
  assert.deepEqual(p, [
    ['d', ['name']],
    ['i', ['hp'], -1],
    ['l', ['tags'], 1],
    ['s', ['ok'], false],
    ['s', ['pos', 'y'], 'far'],
    ['s', ['n'], 7],
    ['s', ['z'], null]
  ])
  assert.deepEqual(applyPatch(prev, p), next)
  assert.deepEqual(formatPatch({ hp: 3 }, { hp: 2 }), [['i', ['hp'], -1]])
  assert.deepEqual(formatPatch(undefined, { a: 1 }), [['s', [], { a: 1 }]])
  assert.deepEqual(formatPatch({ a: 1 }, undefined), [['d', []]])
  assert.deepEqual(formatPatch(undefined, undefined), [])
  assert.equal(applyPatch({ a: 1 }, [['d', []]]), undefined)
  assert.deepEqual(formatPatch([1, 2], [1, 2, 3, { a: [] }]), [['s', [2], 3], ['s', [3], { a: [] }]])
  assert.deepEqual(formatPatch(new Uint8Array([1]), new Uint8Array([1])), [])
  assert.deepEqual(formatPatch({ b: new Uint8Array([1]) }, { b: new Uint8Array([2]) }), [['s', ['b'], new Uint8Array([2])]])
  // float steps that are not exact become sets, so the result is bit-exact
  assert.deepEqual(formatPatch(1e16, 1), [['s', [], 1]])
  assert.deepEqual(formatPatch(0.5, 0.25), [['i', [], -0.25]])
  assert.deepEqual(formatPatch(1, 1e308 * 10), [['s', [], Infinity]])
  assert.deepEqual(formatPatch(NaN, NaN), [])
  assert.deepEqual(formatPatch(0, -0), [['s', [], -0]])
  // a container where every entry changed is set whole
  assert.deepEqual(formatPatch({ a: 1, b: 2 }, { c: 3 }), [['s', [], { c: 3 }]])
})

test('the S14 defects are gone: new numeric keys, deletion, shrink, type switch', () => {
  const cases: Array<[unknown, unknown]> = [
    [{}, { n: 5 }], // original: NaN
    [{ n: 5, m: 2 }, { m: 2 }], // original: cannot delete, n doubled
    [[1, 2, 3], [1]], // original: throws
    [{ a: 1 }, { a: 'one' }], // original: throws
    [{ a: true }, { a: null }], // original: warnings
    [[1], [1, 2]] // original: NaN
  ]
  for (const [a, b] of cases) assert.deepEqual(applyPatch(a, formatPatch(a, b)), b)
})

test('__proto__ is an ordinary key', () => {
  const next = JSON.parse('{"__proto__": {"polluted": 1}, "x": {"__proto__": 2}}') as PlainData
  const out = applyPatch({ x: {} }, formatPatch({ x: {} }, next)) as Record<string, unknown>
  assert.deepEqual(Object.keys(out), ['x', '__proto__'])
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.deepEqual(out, next)
  const del = applyPatch(out, [['d', ['__proto__']]]) as object
  assert.deepEqual(Object.keys(del), ['x'])
})

test('law: applyPatch(a, formatPatch(a, b)) deep-equals b, through CBOR too', () => {
  fc.assert(fc.property(fc.oneof(data, jsonish), fc.oneof(data, jsonish), (a, b) => {
    const p = formatPatch(a, b)
    assert.ok(isPatch(p))
    assert.deepStrictEqual(applyPatch(a, p), b)
    // CBOR (cborg) writes -0 as 0: through the wire, b comes out as b through the wire
    const wire = decode(encode(p)) as Patch
    assert.deepStrictEqual(applyPatch(a, wire), p.length === 0 ? a : decode(encode(b)))
  }), { numRuns: 1500 })
})

test('law: equal values give an empty patch', () => {
  fc.assert(fc.property(data, a => {
    assert.deepEqual(formatPatch(a, a), [])
    assert.deepEqual(formatPatch(a, structuredClone(a)), [])
  }), { numRuns: 500 })
})

test('law: applyPatch mutates neither the value nor the patch', () => {
  fc.assert(fc.property(data, data, (a, b) => {
    const p = formatPatch(a, b)
    const before = structuredClone(a)
    const pBefore = structuredClone(p)
    applyPatch(deepFreeze(a), deepFreeze(p)) // frozen input would throw on a write
    assert.deepStrictEqual(a, before)
    assert.deepStrictEqual(p, pBefore)
  }), { numRuns: 500 })
  // several ops into the same container, including into a value the patch itself set
  const v = deepFreeze({ a: { b: [1] } })
  const p = deepFreeze([['s', ['c'], { d: 1 }], ['i', ['c', 'd'], 1], ['s', ['a', 'b', 1], 2], ['i', ['a', 'b', 0], 1]] as Patch)
  assert.deepEqual(applyPatch(v, p), { a: { b: [2, 2] }, c: { d: 2 } })
})

test('malformed patches throw InvalidPatch and nothing else', () => {
  const op = fc.tuple(
    fc.constantFrom('s', 'd', 'i', 'l', 'x', 0),
    fc.oneof(fc.array(fc.oneof(key, fc.integer({ min: -1, max: 4 }), fc.double()), { maxLength: 3 }), fc.anything()),
    fc.oneof(fc.integer({ min: -2, max: 5 }), data, fc.anything())
  ).map(([o, p, a]) => [o, p, a].slice(0, o === 'd' ? 2 : 3))
  const patch = fc.oneof(fc.anything(), fc.array(fc.oneof(op, fc.anything()), { maxLength: 4 }))
  let applied = 0
  fc.assert(fc.property(fc.oneof(data, jsonish), patch, (value, p) => {
    try {
      applyPatch(value, p as Patch)
      applied++
    } catch (err) {
      assert.ok(isInvalidPatch(err), String(err))
    }
  }), { numRuns: 3000 })
  assert.ok(applied > 0)
  const bad: unknown[] = [
    undefined, null, 1, 'p', {}, [[]], [['s']], [['s', [], undefined]], [['s', [], new Date()]],
    [['s', ['a'], 1, 2]], [['d', [], 1]], [['i', [], NaN]], [['i', [], Infinity]], [['l', [], -1]],
    [['l', [], 1.5]], [['s', [-1], 1]], [['s', [1.5], 1]], [['q', [], 1]], [['s', [{}], 1]],
    [['s', [], [1, , 2]]] // eslint-disable-line no-sparse-arrays
  ]
  for (const p of bad) {
    assert.equal(isPatch(p), false, JSON.stringify(p))
    assert.throws(() => applyPatch({}, p as Patch), isInvalidPatch)
  }
  const misfit: Array<[unknown, Patch]> = [
    [{}, [['d', ['a']]]],
    [{}, [['i', ['a'], 1]]],
    [{ a: 's' }, [['i', ['a'], 1]]],
    [[1], [['s', [2], 1]]],
    [[1], [['d', [0]]]],
    [[1], [['s', ['0'], 1]]],
    [{ 0: 1 }, [['s', [0], 1]]],
    [{ a: [1] }, [['l', ['a'], 2]]],
    [{ a: 1 }, [['l', ['a'], 0]]],
    [1, [['s', ['a'], 1]]],
    [{ a: 1 }, [['s', ['a', 'b'], 1]]],
    [{}, [['s', ['a', 'b'], 1]]],
    ['x', [['i', [], 1]]],
    [[], [['l', [], 1]]]
  ]
  for (const [v, p] of misfit) assert.throws(() => applyPatch(v, p), isInvalidPatch, JSON.stringify(p))
})

test('depth is bounded', () => {
  let deep: PlainData = 1
  for (let i = 0; i < PATCH_MAX_DEPTH + 1; i++) deep = [deep]
  assert.throws(() => formatPatch(undefined, deep), RangeError)
  assert.equal(isPatch([['s', [], deep]]), false)
  assert.equal(isPatch([['d', new Array<string>(PATCH_MAX_DEPTH + 1).fill('a')]]), false)
  assert.throws(() => applyLegacyPatch(undefined, deep), isInvalidPatch)
  assert.throws(() => formatPatch(undefined, { f: () => 1 }), TypeError)
  assert.throws(() => formatPatch(undefined, { u: undefined }), TypeError)
  assert.throws(() => formatPatch(undefined, new Map()), TypeError)
})

// Legacy: plain data on which the original's formatPatch does not throw (no type switch),
// without keys the original reads through the prototype.
const legacyKey = fc.constantFrom('a', 'b', 'c', 'n')
const { legacyData } = fc.letrec<{ legacyData: unknown }>(tie => ({
  legacyData: fc.oneof({ depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 3 }),
    fc.uint8Array({ maxLength: 3 }),
    fc.array(tie('legacyData'), { maxLength: 3 }),
    fc.dictionary(legacyKey, tie('legacyData'), { maxKeys: 3, noNullPrototype: true }))
}))

async function quietly<T> (fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn
  console.warn = () => {}
  try { return await fn() } finally { console.warn = warn }
}

test('legacy: applyLegacyPatch equals picostore 3.0.4 applyPatch on its own patches', async () => {
  let compared = 0
  await quietly(() => fc.assert(fc.property(fc.oneof(legacyData, fc.constant(undefined)), legacyData, (a, b) => {
    let p: unknown
    try { p = picoFormat(a, b) } catch { return } // the original refuses type switches
    const want = picoApply(structuredClone(a), structuredClone(p))
    const before = structuredClone(a)
    assert.deepStrictEqual(applyLegacyPatch(a, p), want)
    assert.deepStrictEqual(a, before)
    // and through the block encoding the original used
    assert.deepStrictEqual(applyLegacyPatch(a, decode(encode(p))), want)
    compared++
  }), { numRuns: 1500 }))
  assert.ok(compared > 300)
})

test('legacy: its quirks are reproduced, its undefined cases refused', () => {
  assert.ok(Number.isNaN((applyLegacyPatch({}, { n: 5 }) as { n: number }).n))
  assert.deepEqual(applyLegacyPatch({ n: 5, m: 2 }, picoFormat({ n: 5, m: 2 }, { m: 3 })), { n: 10, m: 3 })
  assert.deepEqual(applyLegacyPatch({ s: 'a', b: true, z: null, u: new Uint8Array([1]) }, { s: 'b', b: false, z: null, u: new Uint8Array([2]) }),
    { s: 'b', b: false, z: null, u: new Uint8Array([2]) })
  assert.deepEqual(applyLegacyPatch([1, 2], [1]), [2, undefined])
  for (const [a, p] of [['x', 1], [null, 1], [true, 1], [{}, [1]], [[], {}], [null, {}], [1, {}], [{}, { a: new Date() }], [{}, 1n]]) {
    assert.throws(() => applyLegacyPatch(a, p), isInvalidPatch, String(p))
  }
  const out = applyLegacyPatch({}, JSON.parse('{"__proto__": {"x": 1}}')) as object
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.deepEqual(Object.keys(out), ['__proto__'])
})

test('legacy: feeds written by picostore 3.0.4 DiffMemory replay to its state', async () => {
  const store = new PicoStore(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))
  const initial = { hp: 10, lvl: 1 }
  const profiles = store.register('profile', class extends PicoDiffMemory { override initialValue = structuredClone(initial) }) as PicoDiffMemory
  await store.load()
  type State = Record<string, unknown>
  // The original can mutate an object holding nested values only once (its read-only view
  // of a frozen state breaks the next patch), so author 1 changes flat values many times
  // and author 2 writes nested values once.
  const scripts: Array<Array<(v: State) => State>> = [[
    v => ({ ...v, name: 'alice', hp: 3, ok: true }),
    v => ({ ...v, name: 'bob', mana: 1, z: null }), // new numeric key: NaN in the original
    v => { const { lvl: _, ...rest } = v; return { ...rest, ok: false } }, // dropped key: kept and doubled
    v => ({ ...v, name: 'carol', z: null })
  ], [
    v => ({ ...v, tags: ['a', 'b'], pos: { x: 1, y: [2, 'c'] }, key: new Uint8Array([1, 2, 3]), t: true })
  ]]
  const states: State[] = []
  for (const script of scripts) {
    const { sk, pk } = PicoFeed.signPair()
    const bodies: Uint8Array[] = []
    let branch: unknown = null
    for (const step of script) {
      const feed = await quietly(() => profiles.mutate(branch as never, async v => step(v as State), sk))
      branch = feed
      for (const b of feed.blocks) bodies.push(b.body)
    }
    assert.equal(bodies.length, script.length)
    const want = await profiles.readState(pk)
    let state: State = structuredClone(initial)
    for (const body of bodies) {
      const [root, payload, date] = decode(body) as [string, unknown, number]
      assert.equal(root, 'profile')
      assert.equal(isPatch(payload), false) // old payloads are told apart from new patches
      const draft = applyLegacyPatch(state, payload) as State
      draft._updated = date // DiffMemory.compute (spec/store.md §A4 step 2)
      draft._created ||= date
      state = draft
    }
    assert.deepStrictEqual(state, { ...want })
    states.push(state)
  }
  assert.equal(states[0]?.hp, 3)
  assert.ok(Number.isNaN(states[0]?.mana))
  assert.equal(states[0]?.lvl, 2)
  assert.deepEqual((states[1]?.pos as State).y, [NaN, 'c']) // nested new numbers too
})

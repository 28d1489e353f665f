// Unsubscribe leaks: after every subscriber unsubscribed, no upstream subscription remains,
// and nothing is delivered any more — for every operator and random compositions of them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { init, mute, combine, memo, gate, settle, nfo, when, type Neuron } from '../../src/nuro/index.js'
import { toExternalStore } from '../../src/nuro/react.js'
import { toReadable } from '../../src/nuro/svelte.js'
import { probe, turn, type Probe } from './_helpers.js'

type Node =
  | { op: 'leaf', sync: boolean }
  | { op: 'mute', async: boolean, in: Node }
  | { op: 'init' | 'gate' | 'shallow' | 'memo' | 'settle' | 'nfo' | 'react' | 'svelte', in: Node }
  | { op: 'combine' | 'combineMap', ins: Node[] }

const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>(tie => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constant('leaf' as const), sync: fc.boolean() }),
    fc.record({ op: fc.constant('mute' as const), async: fc.boolean(), in: tie('node') }),
    fc.record({ op: fc.constantFrom('init', 'gate', 'shallow', 'memo', 'settle', 'nfo', 'react', 'svelte'), in: tie('node') }),
    fc.record({ op: fc.constantFrom('combine', 'combineMap'), ins: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) })
  )
})).node

/** Builds the pipeline; every leaf is a fresh counting probe. */
function build (node: Node, leaves: Array<Probe<number>>): Neuron<unknown> {
  switch (node.op) {
    case 'leaf': {
      const p = node.sync ? probe<number>(0) : probe<number>()
      leaves.push(p)
      return p.$n
    }
    case 'mute': {
      const $in = build(node.in, leaves)
      return node.async ? mute($in, async v => v) : mute($in, v => [v])
    }
    case 'init': return init('placeholder', build(node.in, leaves))
    case 'gate': return gate(build(node.in, leaves))
    case 'shallow': return gate(build(node.in, leaves), true)
    case 'memo': return memo(build(node.in, leaves))
    case 'settle': return settle(build(node.in, leaves), 0, true)
    case 'nfo': return nfo(build(node.in, leaves), 'n', () => {})
    case 'react': {
      const store = toExternalStore(build(node.in, leaves))
      return cb => store.subscribe(() => cb(store.getSnapshot()))
    }
    case 'svelte': return cb => toReadable(build(node.in, leaves)).subscribe(cb)
    case 'combine': return combine(node.ins.map(n => build(n, leaves)))
    case 'combineMap': return combine(Object.fromEntries(node.ins.map((n, i) => ['k' + i, build(n, leaves)])))
  }
}

test('property: random pipelines release every upstream subscription and go silent', async () => {
  await fc.assert(fc.asyncProperty(
    nodeArb,
    fc.integer({ min: 1, max: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.integer()), { maxLength: 12 }),
    async (node, nSubs, fires) => {
      const leaves: Array<Probe<number>> = []
      const $n = build(node, leaves)
      const counts = new Array<number>(nSubs).fill(0)
      const stops = counts.map((_, i) => $n(() => { counts[i]!++ }, () => {}))
      for (const [leaf, v] of fires) leaves[leaf % leaves.length]!.fire(v)
      await turn()
      for (const stop of stops) stop()
      for (const p of leaves) assert.equal(p.live(), 0, 'a leaf still has a live subscription')
      const before = counts.slice()
      for (const [leaf, v] of fires) leaves[leaf % leaves.length]!.fire(v + 1)
      await turn()
      await turn()
      assert.deepEqual(counts, before, 'delivered after unsubscribe')
    }
  ), { numRuns: 200 })
})

test('every operator: N subscribers then unsubscribe all leaves no upstream subscription', () => {
  const ops: Array<[string, ($n: Neuron<number>) => Neuron<unknown>]> = [
    ['init', $n => init(0, $n)],
    ['mute', $n => mute($n, v => v)],
    ['mute async', $n => mute($n, async v => v)],
    ['combine', $n => combine($n, $n)],
    ['combine map', $n => combine({ a: $n })],
    ['memo', $n => memo($n)],
    ['gate', $n => gate($n)],
    ['settle', $n => settle($n, 5)],
    ['nfo', $n => nfo($n, 'x', () => {})],
    ['svelte', $n => cb => toReadable($n).subscribe(cb)]
  ]
  for (const [name, op] of ops) {
    const p = probe<number>(1)
    const $x = op(p.$n)
    const stops = [$x(() => {}), $x(() => {}), $x(() => {})]
    p.fire(2)
    assert.ok(p.live() > 0, name)
    for (const s of stops) { s(); s() }
    assert.equal(p.live(), 0, name)
  }
})

test('when: unsubscribed before settling, nothing is held and nothing fires', async () => {
  let resolve!: (v: number) => void
  const $n = when(new Promise<number>(r => { resolve = r }))
  let calls = 0
  const stops = [$n(() => calls++), $n(() => calls++)]
  for (const s of stops) s()
  resolve(1)
  await turn()
  assert.equal(calls, 0)
})

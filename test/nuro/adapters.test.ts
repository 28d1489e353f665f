// React and Svelte adapters, tested against their contracts without installing either.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { NuroError } from '../../src/nuro/index.js';
import { write, combine, mute, init } from '../../src/nuro/index.js'
import { toExternalStore, createUseNuro, type ReactLike } from '../../src/nuro/react.js'
import { toReadable, fromReadable } from '../../src/nuro/svelte.js'
import { probe, turn } from './_helpers.js'

test('svelte: store contract — run called synchronously, then on change; unsubscribe stops', () => {
  const [$n, set] = write(1)
  const store = toReadable($n)
  const seen: Array<number | undefined> = []
  const stop = store.subscribe(v => seen.push(v))
  assert.deepEqual(seen, [1])
  set(2)
  stop(); stop()
  set(3)
  assert.deepEqual(seen, [1, 2])
})

test('svelte: an async neuron delivers the initial value first; no leak', () => {
  const p = probe<number>()
  const seen: number[] = []
  const stop = toReadable(p.$n, 0).subscribe(v => seen.push(v))
  p.fire(5)
  assert.deepEqual(seen, [0, 5])
  stop()
  assert.equal(p.live(), 0)
})

test('svelte: fromReadable turns a store back into a neuron', () => {
  const [$n, set] = write('a')
  const $back = fromReadable(toReadable($n))
  const seen: Array<string | undefined> = []
  const stop = $back(v => seen.push(v))
  set('b')
  stop()
  assert.deepEqual(seen, ['a', 'b'])
  const rx = { subscribe: (run: (v: number) => void) => { run(1); return { unsubscribe: () => { seen.push('rx-off') } } } }
  fromReadable(rx)(() => {})()
  assert.equal(seen.at(-1), 'rx-off')
})

test('react: getSnapshot is stable until the neuron fires (no render loop)', () => {
  const [$a, setA] = write(1)
  const store = toExternalStore(combine($a)) // combine builds a new array on every read
  const s1 = store.getSnapshot()
  assert.deepEqual(s1, [1])
  assert.equal(store.getSnapshot(), s1)
  let changes = 0
  const stop = store.subscribe(() => changes++)
  const s2 = store.getSnapshot()
  assert.deepEqual(s2, [1])
  assert.equal(store.getSnapshot(), s2)
  setA(2)
  assert.equal(changes, 1)
  assert.deepEqual(store.getSnapshot(), [2])
  assert.equal(store.getSnapshot(), store.getSnapshot())
  stop()
})

test('react: listeners share one subscription, released by the last (StrictMode double mount)', () => {
  const p = probe<number>(1)
  const store = toExternalStore(p.$n)
  const a = store.subscribe(() => {})
  a() // StrictMode: subscribe, unsubscribe, subscribe again
  const b = store.subscribe(() => {})
  const c = store.subscribe(() => {})
  assert.equal(p.live(), 1)
  b(); b()
  assert.equal(p.live(), 1)
  c()
  assert.equal(p.live(), 0)
  p.fire(9)
  assert.equal(store.getSnapshot(), 9) // re-read once after everyone left
})

test('react: neuron errors are thrown by getSnapshot (for error boundaries)', async () => {
  const store = toExternalStore(mute(init(1), async () => { throw new Error('x') }))
  let changed = 0
  const stop = store.subscribe(() => changed++)
  await turn()
  assert.equal(changed, 1)
  assert.throws(() => store.getSnapshot(), (e: NuroError) => e.code === 'MutationFailed')
  stop()
})

/** A minimal useSyncExternalStore with React's observable behaviour for one mounted component. */
function fakeReact (): ReactLike & { mount: () => void, unmount: () => void, renders: number } {
  let cleanup: (() => void) | undefined
  let sub: ((cb: () => void) => () => void) | undefined
  let snap: (() => unknown) | undefined
  let last: unknown
  const r = {
    renders: 0,
    useSyncExternalStore<S> (subscribe: (cb: () => void) => () => void, getSnapshot: () => S): S {
      sub = subscribe as typeof sub
      snap = getSnapshot
      r.renders++
      last = getSnapshot()
      return last as S
    },
    mount () { cleanup = sub!(() => { if (!Object.is(snap!(), last)) r.renders++ }) },
    unmount () { cleanup?.() }
  }
  return r
}

test('react: useNuro renders the current value, re-renders on change, cleans up', () => {
  const react = fakeReact()
  const useNuro = createUseNuro(react)
  const p = probe<number>(1)
  assert.equal(useNuro(p.$n), 1)
  react.mount()
  assert.equal(p.live(), 1)
  p.fire(2)
  assert.equal(react.renders, 2)
  assert.equal(useNuro(p.$n), 2) // same store for the same neuron
  react.unmount()
  assert.equal(p.live(), 0)
  assert.throws(() => createUseNuro({} as ReactLike), TypeError)
})

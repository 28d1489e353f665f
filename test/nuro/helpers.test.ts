import { test } from 'node:test'
import assert from 'node:assert/strict'
import { write, init, get, next, until, iter, isSync, mute, NuroError } from '../../src/nuro/index.js'
import { probe } from './_helpers.js'

test('get: current value, undefined for an async neuron', () => {
  assert.equal(get(init(3)), 3)
  assert.equal(get(probe<number>().$n), undefined)
})

test('next: index 0 is the current value, default is the next change; unsubscribes', async () => {
  const p = probe<number>(0)
  assert.equal(await next(p.$n, 0), 0)
  assert.equal(p.live(), 0)
  const n = next(p.$n)
  p.fire(1)
  assert.equal(await n, 1)
  assert.equal(p.live(), 0)
  assert.throws(() => next(p.$n, -1), RangeError)
  assert.throws(() => next(p.$n, 1.5), RangeError)
})

test('next/until: timeout rejects with Timeout and unsubscribes (U8)', async () => {
  const p = probe<number>()
  await assert.rejects(next(p.$n, 1, { timeout: 5 }), (e: NuroError) => e instanceof NuroError && e.code === 'Timeout')
  await assert.rejects(until(p.$n, () => true, 5), { code: 'Timeout' })
  assert.equal(p.live(), 0)
})

test('next/until/iter: AbortSignal rejects with Aborted and unsubscribes (U8)', async () => {
  const p = probe<number>()
  const ac = new AbortController()
  const n = next(p.$n, 1, { signal: ac.signal })
  const u = until(p.$n, v => v > 10, { signal: ac.signal })
  const it = iter(p.$n, -1, { signal: ac.signal })
  const first = it.next()
  assert.ok(p.live() >= 2)
  ac.abort(new Error('bye'))
  await assert.rejects(n, (e: NuroError) => e.code === 'Aborted' && (e.cause as Error).message === 'bye')
  await assert.rejects(u, { code: 'Aborted' })
  await assert.rejects(first, { code: 'Aborted' })
  assert.equal(p.live(), 0)
  await assert.rejects(next(p.$n, 0, { signal: ac.signal }), { code: 'Aborted' })
  assert.equal(p.total(), 3)
})

test('until: first matching value, sync first value included; a throwing condition rejects', async () => {
  const [$n, set] = write(1)
  assert.equal(await until($n, v => v === 1), 1)
  const u = until($n, v => v > 2)
  set(2); set(3); set(4)
  assert.equal(await u, 3)
  await assert.rejects(until($n, () => { throw new Error('c') }), /c/)
  assert.throws(() => until($n, 5 as unknown as () => boolean), TypeError)
})

test('iter: break unsubscribes; errors are thrown from the loop', async () => {
  const p = probe<number>(0)
  for await (const v of iter(p.$n, -1)) { assert.equal(v, 0); break }
  assert.equal(p.live(), 0)
  const $bad = mute(init(1), async () => { throw new Error('x') })
  await assert.rejects((async () => { for await (const _ of iter($bad)) { /* nothing */ } })(), { code: 'MutationFailed' })
})

test('isSync: detects synchronous neurons without relying on late firing (U1)', () => {
  assert.equal(isSync(init(1)), true)
  assert.equal(isSync(probe<number>().$n), false)
})

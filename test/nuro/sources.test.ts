import { test } from 'node:test'
import assert from 'node:assert/strict'
import { write, writable, init, when, get, next, isSync, NuroError, mute } from '../../src/nuro/index.js'
import { deferred, probe, record, turn } from './_helpers.js'

test('write: sync first call, fires changes to all, set returns the value', () => {
  const [$n, set] = write(1)
  const a = record($n)
  const b = record($n)
  assert.deepEqual(a.values, [1])
  assert.equal(set(2), 2)
  assert.equal(set(2), 2) // unchanged: not fired
  assert.deepEqual(a.values, [1, 2])
  assert.deepEqual(b.values, [1, 2])
  a.stop()
  set(3)
  assert.deepEqual(a.values, [1, 2])
  assert.deepEqual(b.values, [1, 2, 3])
  a.stop() // idempotent
  assert.equal(writable, write)
})

test('write: shallow dedupe; different Dates are not ignored (spec 11)', () => {
  const [$n, set] = write<unknown>({ a: 1 })
  const r = record($n)
  set({ a: 1 })
  set(new Date(1))
  set(new Date(2))
  set(new Date(2))
  assert.equal(r.values.length, 3)
})

test('write: a subscriber setting during notification never leaves others with an older value', () => {
  const [$n, set] = write(0)
  const seen: number[] = []
  $n(v => { if (v === 1) set(2) })
  $n(v => { seen.push(v) })
  set(1)
  assert.equal(seen.at(-1), 2)
  assert.deepEqual(seen, [0, 2])
})

test('write: a throwing subscriber does not starve the others', () => {
  const [$n, set] = write(0)
  let throwing = false
  $n(() => { if (throwing) throw new Error('boom') })
  const r = record($n)
  throwing = true
  assert.throws(() => set(1), /boom/)
  assert.deepEqual(r.values, [0, 1])
  assert.throws(() => $n(() => { throw new Error('first') }), /first/)
  throwing = false
  set(2) // the failed subscription was not kept
  assert.deepEqual(r.values, [0, 1, 2])
})

test('init: constant, copied per subscriber (spec 4)', () => {
  const $n = init({ a: 1 })
  const a = get($n)
  const b = get($n)
  assert.deepEqual(a, { a: 1 })
  assert.notEqual(a, b)
  assert.equal(get(init('hello')), 'hello')
  assert.equal(isSync(init('hello')), true)
})

test('init: placeholder only when the input is async, then forwards', async () => {
  const p = probe<number>()
  const r = record(init(-1, p.$n))
  p.fire(5)
  assert.deepEqual(r.values, [-1, 5])
  const s = probe<number>(3)
  assert.deepEqual(record(init(-1, s.$n)).values, [3])
  r.stop()
  p.fire(6)
  assert.deepEqual(r.values, [-1, 5])
  assert.equal(p.live(), 0)
})

test('spec 2: init(placeholder, mute(init(sync), async))', async () => {
  const $n = init('placeholder', mute(init('syncValue'), async () => 'asyncValue'))
  assert.equal(get($n), 'placeholder')
  assert.equal(await next($n, 0), 'placeholder')
  assert.equal(await next($n, 1), 'asyncValue')
})

test('when: resolves once, later subscribers get it synchronously', async () => {
  const d = deferred<number>()
  const $n = when(d.promise)
  const r = record($n)
  assert.equal(isSync($n), false)
  d.resolve(7)
  assert.equal(await next($n, 0), 7)
  assert.deepEqual(r.values, [7])
  assert.equal(get($n), 7)
})

test('when: rejection goes to the error channel as PromiseRejected', async () => {
  const d = deferred<number>()
  const $n = when(d.promise)
  const r = record($n)
  const cause = new Error('nope')
  d.reject(cause)
  await turn()
  assert.equal(r.values.length, 0)
  assert.equal(r.errors.length, 1)
  assert.ok(r.errors[0] instanceof NuroError)
  assert.equal((r.errors[0] as NuroError).code, 'PromiseRejected')
  assert.equal(r.errors[0]!.cause, cause)
  await assert.rejects(next($n, 0), { code: 'PromiseRejected' }) // already rejected: sync error
})

test('when: unsubscribe before it settles means no call (U1)', async () => {
  const d = deferred<number>()
  const r = record(when(d.promise))
  r.stop()
  d.resolve(1)
  await turn()
  assert.deepEqual(r.values, [])
  const e = deferred<number>()
  const q = record(when(e.promise))
  q.stop()
  e.reject(new Error('x'))
  await turn()
  assert.deepEqual(q.errors, [])
})

test('caller mistakes are TypeErrors', () => {
  assert.throws(() => when(5 as unknown as Promise<number>), TypeError)
  assert.throws(() => init(1, 5 as unknown as () => () => void), TypeError)
  const [$n] = write(1)
  assert.throws(() => $n(null as unknown as () => void), TypeError)
})

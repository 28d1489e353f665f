import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { NuroError} from '../../src/nuro/index.js';
import {
  write, init, mute, combine, memo, gate, settle, nfo, setNfoLogger, get, next, isSync, iter,
  type NfoEvent
} from '../../src/nuro/index.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { deferred, probe, record, turn, type Deferred } from './_helpers.js'

const run = promisify(execFile)

test('mute: sync fn is sync (spec 5)', () => {
  const $n = mute(init(5), x => x + 2)
  assert.equal(get($n), 7)
  assert.equal(isSync($n), true)
})

test('mute: async fn fires later, error goes to the channel (spec 5)', async () => {
  const $n = mute(init(5), async (x: number) => x + 2)
  assert.equal(await next($n, 0), 7)
  assert.equal(isSync($n), false)
  const $bad = mute(init(5), async () => { throw new Error('bad') })
  await assert.rejects(next($bad, 0), (err: NuroError) => err.code === 'MutationFailed' && (err.cause as Error).message === 'bad')
})

test('mute: results in input order whatever order promises settle (spec 6)', async () => {
  const p = probe<number>()
  const ds: Array<Deferred<number>> = []
  const r = record(mute(p.$n, (x: number) => {
    if (x % 3 === 2) return x * 10 // a sync result between async ones waits its turn
    const d = deferred<number>()
    ds.push(d)
    return d.promise.then(() => x * 10)
  }))
  for (let i = 0; i < 6; i++) p.fire(i)
  for (const d of [...ds].reverse()) d.resolve(0)
  await turn()
  assert.deepEqual(r.values, [0, 10, 20, 30, 40, 50])
})

test('mute: a rejection in the middle does not stop the stream', async () => {
  const p = probe<number>()
  const r = record(mute(p.$n, async (x: number) => { if (x === 1) throw new Error('one'); return x }))
  p.fire(0); p.fire(1); p.fire(2)
  await turn()
  assert.deepEqual(r.values, [0, 2])
  assert.equal(r.errors.length, 1)
})

test('mute: nothing is delivered after unsubscribe (U1)', async () => {
  const p = probe<number>()
  const d = deferred<number>()
  const r = record(mute(p.$n, () => d.promise))
  p.fire(1)
  r.stop()
  d.resolve(1)
  await turn()
  assert.deepEqual(r.values, [])
  assert.equal(p.live(), 0)
  const e = deferred<number>()
  const q = record(mute(p.$n, () => e.promise))
  p.fire(1)
  q.stop()
  e.reject(new Error('late'))
  await turn()
  assert.deepEqual(q.errors, [])
})

test('mute: an error nobody handles is not swallowed: it is an unhandled rejection', async () => {
  // node:test claims unhandled rejections for itself, so observe one in a child process
  const src = new URL('../../src/nuro/index.ts', import.meta.url).href
  const code = `const { mute, init } = await import(${JSON.stringify(src)})
    process.on('unhandledRejection', e => { console.log(e.code); process.exit(0) })
    mute(init(1), async () => { throw new Error('x') })(() => {})`
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code])
  assert.equal(stdout.trim(), 'MutationFailed')
})

test('mute: caller mistakes', () => {
  assert.throws(() => mute(init(1), 5 as unknown as () => number), /mutation function/)
})

test('combine: arguments and arrays give arrays (U5), objects give objects', () => {
  const [$a, setA] = write(7)
  const [$b] = write('x')
  const r = record(combine($a, $b))
  const s = record(combine([$a, $b]))
  const m = record(combine({ a: $a, b: $b }))
  setA(8)
  assert.deepEqual(r.values, [[7, 'x'], [8, 'x']])
  assert.deepEqual(s.values, [[7, 'x'], [8, 'x']])
  assert.ok(Array.isArray(s.values[0]))
  assert.deepEqual(m.values, [{ a: 7, b: 'x' }, { a: 8, b: 'x' }])
  assert.notEqual(r.values[0], r.values[1]) // a new container each firing
  assert.deepEqual(get(combine([])), [])
  assert.deepEqual(get(combine({})), {})
})

test('combine: holds until every input fired; releases every input', () => {
  const a = probe<number>()
  const b = probe<number>(1)
  const r = record(combine(a.$n, b.$n))
  assert.deepEqual(r.values, [])
  b.fire(2)
  assert.deepEqual(r.values, [])
  a.fire(10)
  assert.deepEqual(r.values, [[10, 2]])
  r.stop()
  a.fire(11)
  assert.equal(r.values.length, 1)
  assert.equal(a.live() + b.live(), 0)
})

test('combine: caller mistakes', () => {
  assert.throws(() => (combine as () => unknown)(), /list of neurons is required/)
  assert.throws(() => combine([init(1), 5 as unknown as () => () => void]), /neurons\[1\]/)
  assert.throws(() => combine({ a: init(1), b: 'x' as unknown as () => () => void }), /"b"/)
  assert.throws(() => combine(init(1))(5 as unknown as () => void), TypeError)
})

test('memo: one upstream for many; late subscribers get the last value (spec 10)', () => {
  const [$a, setA] = write(7)
  const [$b] = write(10)
  let computed = 0
  const $m = memo(mute(combine($a, $b), v => { computed++; return v }))
  const $sum = mute($m, ([a, b]) => a + b)
  const $dif = mute($m, ([a, b]) => a - b)
  const $pro = mute($m, ([a, b]) => a * b)
  const r = record(combine($sum, $dif, $pro))
  assert.deepEqual(r.values, [[17, -3, 70]])
  assert.equal(computed, 1)
  setA(8)
  assert.equal(computed, 2)
  assert.deepEqual(r.values.at(-1), [18, -2, 80])
})

test('memo: no spurious undefined before the first value (U2); disconnects with the last', () => {
  const p = probe<number>()
  const $m = memo(p.$n)
  const a = record($m)
  const b = record($m)
  assert.deepEqual(a.values, [])
  assert.deepEqual(b.values, [])
  assert.equal(p.total(), 1)
  p.fire(1)
  const c = record($m)
  assert.deepEqual([a.values, b.values, c.values], [[1], [1], [1]])
  a.stop(); b.stop()
  assert.equal(p.live(), 1)
  c.stop()
  assert.equal(p.live(), 0)
  const d = record($m) // reconnects; upstream has no sync value now? (probe replays its last)
  assert.deepEqual(d.values, [1])
  assert.equal(p.live(), 1)
  d.stop()
})

test('memo: remembered value is handed over on reconnect when upstream is async', () => {
  let cb: ((v: number) => void) | undefined
  let live = 0
  const $async = (syn: (v: number) => void): (() => void) => { cb = syn; live++; return () => { live-- } }
  const $m = memo($async)
  const a = record($m)
  cb!(4)
  a.stop()
  assert.equal(live, 0)
  const b = record($m)
  assert.deepEqual(b.values, [4])
  b.stop()
})

test('memo: errors reach every subscriber', async () => {
  const d = deferred<number>()
  const $m = memo(mute(init(1), () => d.promise))
  const a = record($m)
  const b = record($m)
  d.reject(new Error('x'))
  await turn()
  assert.equal(a.errors.length + b.errors.length, 2)
})

test('gate: drops repeats (spec 9)', async () => {
  const p = probe<number>()
  const r = record(gate(p.$n))
  for (const v of [0, 1, 1, 1, 3, 5, 5, 7]) p.fire(v)
  assert.deepEqual(r.values, [0, 1, 3, 5, 7])
})

test('gate: deep by default notices in-place nested mutation (U4); shallow does not', () => {
  const p = probe<{ items: number[] }>()
  const deep = record(gate(p.$n))
  const shallow = record(gate(p.$n, true))
  const o = { items: [1] }
  p.fire(o)
  o.items.push(2)
  p.fire(o)
  p.fire(o)
  assert.equal(deep.values.length, 2)
  assert.equal(shallow.values.length, 1)
  p.fire({ items: o.items }) // same child reference: shallow sees no change
  assert.equal(shallow.values.length, 1)
  p.fire({ items: [9] })
  assert.equal(shallow.values.length, 2)
})

test('gate: custom dirty check gets the previous passed value', () => {
  const p = probe<{ id: number, n: number }>()
  const r = record(gate(p.$n, (a, b) => a.id !== b.id))
  p.fire({ id: 1, n: 1 }); p.fire({ id: 1, n: 2 }); p.fire({ id: 2, n: 3 })
  assert.deepEqual(r.values.map(v => v.n), [1, 3])
})

test('spec 3: gate(init(placeholder, mute(init(active), async)))', async () => {
  const mutator = async (o: { state: string }): Promise<{ state: string, items: number[] }> =>
    ({ ...o, state: 'expired', items: [1, 2, 3, 4, 5] })
  const $n = gate(init({ state: 'loading', items: [] as number[] }, mute(init({ state: 'active' }), mutator)))
  assert.equal(get($n)?.state, 'loading')
  const v = await next($n, 1)
  assert.equal(v.state, 'expired')
  assert.equal(v.items.length, 5)
})

test('settle: fires the last value after silence; cancels on unsubscribe', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const p = probe<number>()
  const r = record(settle(p.$n, 10))
  p.fire(1); p.fire(2); p.fire(3)
  assert.deepEqual(r.values, [])
  t.mock.timers.tick(9)
  p.fire(4)
  t.mock.timers.tick(9)
  assert.deepEqual(r.values, [])
  t.mock.timers.tick(1)
  assert.deepEqual(r.values, [4])
  p.fire(5)
  r.stop()
  t.mock.timers.tick(100)
  assert.deepEqual(r.values, [4])
  assert.equal(p.live(), 0)
})

test('settle: risingEdge fires the first value at once and never twice (U3)', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const [$n, set] = write(1)
  const r = record(settle($n, 10, true))
  assert.deepEqual(r.values, [1]) // synchronous first call
  t.mock.timers.tick(50)
  assert.deepEqual(r.values, [1]) // not again
  set(2); set(3)
  assert.deepEqual(r.values, [1, 2]) // rising edge of a new burst
  t.mock.timers.tick(10)
  assert.deepEqual(r.values, [1, 2, 3])
  r.stop()
  assert.throws(() => settle($n, -1), RangeError)
})

test('nfo: silent and free by default; reports connect/value/disconnect with a logger', () => {
  const $n = init(1)
  assert.equal(nfo($n), $n)
  const events: NfoEvent[] = []
  const r = record(nfo($n, 'one', e => events.push(e)))
  r.stop()
  assert.deepEqual(events.map(e => e.event), ['connect', 'value', 'disconnect'])
  setNfoLogger(e => events.push(e))
  try {
    assert.notEqual(nfo($n, 'two'), $n)
  } finally { setNfoLogger(undefined) }
  assert.equal(nfo($n), $n)
})

test('spec 7: two concurrent next() do not leak into each other', async () => {
  const p = probe<number>()
  const $n = init(-1, mute(p.$n, async (x: number) => { await turn(); return x }))
  const a = next($n, 9)
  const b = next($n, 9)
  for (let i = 0; i < 12; i++) p.fire(i)
  assert.deepEqual(await Promise.all([a, b]), [8, 8]) // index 0 is the placeholder
  assert.equal(p.live(), 0)
})

test('spec 8: iter yields values in order, then unsubscribes', async () => {
  const [$n, set] = write(0)
  const out: number[] = []
  const it = iter($n, 6)
  const done = (async () => { for await (const v of it) out.push(v) })()
  for (let i = 1; i < 10; i++) set(i)
  await done
  assert.deepEqual(out, [0, 1, 2, 3, 4, 5])
})

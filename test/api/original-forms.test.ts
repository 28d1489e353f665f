// The original picostack's call forms either work or throw a TypeError that says what to write
// instead (README, "Migrating from the original picostack").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { MemoryLevel } from 'memory-level'
import { Feed, signPair } from '../../src/feed/index.js'
import { Store, Memory } from '../../src/store/index.js'
import { Counter, connections } from '../kernel/helpers.js'

function says (pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`)
    assert.match(err.message, pattern)
    return true
  }
}

class Last extends Memory<number> {
  override initialValue = 0
  override compute (_v: number, ctx: { payload: unknown }): number { return ctx.payload as number }
}

test('kernel: close() says halt(); createBlock(branch, type, payload) says the new order', async () => {
  const k = new Counter()
  await k.boot()
  try {
    assert.throws(() => (k as unknown as { close: () => void }).close(), says(/await kernel\.halt\(\)/))
    assert.equal(k.ready, true, 'close() left the kernel running, as the error says')
    const branch = await k.createBlock('x', 1)
    await assert.rejects(() => k.createBlock(branch as never, 'x', 2 as never), says(/createBlock\(type, payload, branch\)/))
    await assert.rejects(() => k.createBlock(null as never, 'x', 2 as never), says(/createBlock\(type, payload, branch\)/))
    assert.equal((await k.createBlock('x', 2, branch)).length, 1, 'the new order works with the same arguments')
  } finally {
    await k.halt()
  }
})

test('kernel: spawnWire takes the original options and Modem56 details (ignored); a plug or a socket says what to write', async () => {
  const [a, b] = [new Counter(), new Counter()]
  await Promise.all([a.boot(), b.boot()])
  try {
    const up = connections(a, 1)
    a.spawnWire({ client: true }).open(b.spawnWire({ client: false }))
    await up
    assert.throws(() => a.spawnWire(b.spawnWire() as never), says(/a\.spawnWire\(\)\.open\(b\.spawnWire\(\)\)/))
    assert.throws(() => a.spawnWire(new PassThrough()), says(/streamWire\(kernel\.spawnWire\(\), socket\)/))
    assert.throws(() => a.spawnWire('client' as never), says(/takes no string/))
  } finally {
    await Promise.all([a.halt(), b.halt()])
  }
})

test('store: createBlock with the branch first, or the branch in place of the options, says what to write', async () => {
  const store = new Store(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }))
  const last = store.register('last', Last)
  await store.load()
  const { sk } = signPair()
  try {
    const feed = await store.createBlock('last', 1, sk)
    await assert.rejects(() => store.createBlock(feed as never, 2, sk), says(/createBlock\(branch, payload, secret\)/))
    await assert.rejects(() => store.createBlock(null as never, 2, sk), says(/store\.roots\.get\(name\)\.createBlock/))
    await assert.rejects(() => store.createBlock('last', 2, sk, feed as never), says(/\{ branch \}/))
    assert.ok((await last.createBlock(feed, 2, sk)) instanceof Feed, 'the collection keeps the original order')
  } finally {
    await store.close()
  }
})

test('store.roots is a Map; the original object form roots[name] says roots.get(name)', async () => {
  const store = new Store(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }))
  const last = store.register('last', Last)
  try {
    assert.ok(store.roots instanceof Map)
    assert.equal(store.roots.get('last'), last)
    assert.equal(store.roots.size, 1)
    assert.deepEqual([...store.roots.keys()], ['last'])
    assert.equal(store.roots.has('nope'), false)
    assert.throws(() => (store.roots as unknown as Record<string, unknown>).last, says(/store\.roots\.get\("last"\)/))
    assert.equal((store.roots as unknown as Record<string, unknown>).nope, undefined)
  } finally {
    await store.close()
  }
})

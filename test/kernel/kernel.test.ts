// Acceptance scenarios of spec/kernel.md §4 over in-memory wires.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, SimpleKernel, KernelError } from '../../src/index.js'
import { Hub } from '../../src/net/index.js'
import { Store } from '../../src/store/index.js'
import { get } from '../../src/nuro/index.js'
import { Counter, booted, connections, until } from './helpers.js'

test('exports: Feed, Hub, Store, SimpleKernel import together', () => {
  for (const x of [Feed, Hub, Store, SimpleKernel, KernelError]) assert.equal(typeof x, 'function')
  assert.equal(typeof SimpleKernel.decodeBlock, 'function')
})

test('$connections fires on connect and on close', async () => {
  const [a, b] = await booted(2) as [Counter, Counter]
  assert.equal(get(a.$connections())?.length, 0)
  const plug = a.spawnWire()
  const up = connections(a, 1)
  plug.open(b.spawnWire())
  await up
  assert.equal(get(a.$connections())?.length, 1)
  const down = connections(a, 0)
  plug.close()
  await down
  assert.equal(get(a.$connections())?.length, 0)
  await a.halt()
  await b.halt()
})

test('duplicate peers: one connection whatever the number and direction of wires (not booted)', async () => {
  const alice = new Counter()
  const bob = new Counter()
  const first = alice.spawnWire()
  const up = connections(alice, 1)
  first.open(bob.spawnWire())
  await up
  const w2 = alice.spawnWire()
  w2.open(bob.spawnWire())
  const w3 = bob.spawnWire()
  w3.open(alice.spawnWire())
  // Two of the three wires close, whichever order the handshakes finish in.
  const wires = [first, w2, w3]
  await new Promise<void>(resolve => {
    let n = 0
    for (const w of wires) void w.closed.then(() => { if (++n === 2) resolve() })
  })
  // The survivor may still be completing its handshake on one side (hello, then auth).
  await connections(alice, 1)
  await connections(bob, 1)
  const alive = wires.filter(w => !w.isClosed)
  assert.equal(alive.length, 1)
  const down = connections(alice, 0)
  alive[0]?.close()
  await down
  const again = connections(alice, 1)
  alice.spawnWire().open(bob.spawnWire())
  await again
  await alice.halt()
  await bob.halt()
})

test('ordered blockstream: quick writes on both sides converge', async () => {
  const [alice, bob] = await booted(2) as [Counter, Counter]
  await alice.bump(1)
  await bob.bump(1)
  alice.spawnWire().open(bob.spawnWire())
  await Promise.all([alice.bump(2), alice.bump(4), bob.bump(3), bob.bump(5), bob.bump(7)])
  await until([alice, bob], k => k.x[alice.pk] === 4 && k.x[bob.pk] === 7)
  assert.deepEqual(alice.x, bob.x)
  // Nothing was rejected or left waiting: 3 blocks of alice, 4 of bob on both sides.
  assert.equal(await alice.seq(), 3)
  assert.equal(await bob.seq(), 4)
  await alice.halt()
  await bob.halt()
})

for (const N of [4, 25]) {
  test(`swarm convergence: ${N} kernels in a line, each writing 1..10 concurrently`, async () => {
    const ks = await booted(N)
    for (let i = 0; i + 1 < N; i++) (ks[i] as Counter).spawnWire().open((ks[i + 1] as Counter).spawnWire())
    ks[N - 1]?.spawnWire().close() // a dangling plug, closed
    const work: Array<Promise<unknown>> = []
    for (let n = 1; n <= 10; n++) for (const k of ks) work.push(k.bump(n))
    await Promise.all(work)
    await until(ks, k => k.total === N * 10)
    for (const k of ks) assert.equal(Object.keys(k.x).length, N)
    await Promise.all(ks.map(k => k.halt()))
  })
}

test('createBlock returns the new block; errors are typed', async () => {
  const k = new Counter()
  assert.throws(() => k.pk, (e: unknown) => e instanceof KernelError && e.code === 'NotReady')
  await k.boot()
  const f = await k.bump(1) as Feed
  assert.equal(f.length, 1)
  assert.ok(f.last !== undefined)
  await assert.rejects(k.bump(1), (e: unknown) => e instanceof KernelError && e.code === 'InvalidBlock')
  assert.throws(() => k.collection('nope'), (e: unknown) => e instanceof KernelError && e.code === 'UnknownCollection')
  assert.equal(k.collection('x'), k.store.roots.get('x'))
  assert.equal(await k.seq(), 1)
  assert.equal((await k.feed())?.length, 1)
  assert.equal(SimpleKernel.decodeBlock((f.last as { body: Uint8Array }).body).type, 'x')
  await k.halt()
  await k.halt()
  assert.throws(() => k.spawnWire(), (e: unknown) => e instanceof KernelError && e.code === 'Closed')
})

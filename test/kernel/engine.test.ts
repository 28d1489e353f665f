// The sync engine over the in-memory source: delta sync, duplicates, ordering, convergence.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { signPair } from '../../src/feed/index.js'
import type { Plug } from '../../src/net/index.js'
import { MemSource } from './memsource.js'
import { Summary } from '../../src/kernel/protocol.js'

/** Resolves when `pred()` holds, re-checking after every merge on any of `srcs`. */
function settled (srcs: MemSource[], pred: () => boolean): Promise<void> {
  return new Promise(resolve => {
    if (pred()) { resolve(); return }
    const hook = (): void => queueMicrotask(check)
    const check = (): void => {
      if (!pred()) return
      for (const s of srcs) s.listeners = s.listeners.filter(l => l !== hook)
      resolve()
    }
    for (const s of srcs) s.listeners.push(hook)
  })
}

function connect (a: MemSource, b: MemSource): () => void {
  return a.node.spawnWire().open(b.node.spawnWire())
}

function nextConnections (s: MemSource, n: number): Promise<void> {
  return new Promise(resolve => {
    const off = s.node.$connections(list => {
      if (list.length === n) { queueMicrotask(() => off()); resolve() }
    })
  })
}

test('two peers exchange what they lack, then gossip live', async () => {
  const a = new MemSource()
  const b = new MemSource()
  const ka = signPair().sk
  const kb = signPair().sk
  for (let i = 0; i < 5; i++) await a.create(ka, `a${i}`, 'a')
  for (let i = 0; i < 3; i++) await b.create(kb, `b${i}`, 'b')
  const conn = nextConnections(a, 1)
  connect(a, b)
  await conn
  await settled([a, b], () => a.size === 8 && b.size === 8)
  await a.create(ka, 'a5', 'a')
  await b.create(kb, 'b3', 'b')
  await settled([a, b], () => a.size === 10 && b.size === 10)
  assert.deepEqual(a.heights, b.heights)
  await a.node.close()
  await b.node.close()
  assert.deepEqual(a.node.peers, [])
})

test('duplicate wires between two nodes: exactly one survives on both sides, any order', async () => {
  const a = new MemSource()
  const b = new MemSource()
  const plugs: Plug[] = []
  for (let i = 0; i < 6; i++) {
    const x = i % 2 === 0 ? a : b
    const y = i % 2 === 0 ? b : a
    const p = x.node.spawnWire()
    plugs.push(p)
    p.open(y.node.spawnWire())
  }
  // Every wire but one closes; wait for five closings.
  let closed = 0
  await new Promise<void>(resolve => {
    for (const p of plugs) void p.closed.then(() => { if (++closed === 5) resolve() })
  })
  // The survivor may still be completing its handshake on one side (hello, then auth).
  await Promise.all([nextConnections(a, 1), nextConnections(b, 1)])
  const alive = plugs.filter(p => !p.isClosed)
  assert.equal(alive.length, 1)
  const gone = Promise.all([nextConnections(a, 0), nextConnections(b, 0)])
  alive[0]?.close()
  await gone
  const again = nextConnections(a, 1)
  connect(b, a)
  await again
  await a.node.close()
  await b.node.close()
})

test('ordered blockstream: a fast producer never makes the receiver stash its blocks', async () => {
  const a = new MemSource()
  const b = new MemSource()
  const ka = signPair().sk
  const kb = signPair().sk
  await a.create(ka, 'a0', 'a')
  await b.create(kb, 'b0', 'b')
  connect(a, b)
  const work: Array<Promise<void>> = []
  for (let i = 1; i <= 50; i++) {
    work.push(a.create(ka, `a${i}`, 'a'))
    work.push(b.create(kb, `b${i}`, 'b'))
  }
  await Promise.all(work)
  await settled([a, b], () => a.size === 102 && b.size === 102)
  assert.equal(a.orphans.size, 0)
  assert.equal(b.orphans.size, 0)
  await a.node.close()
  await b.node.close()
})

for (const N of [4, 25]) {
  test(`swarm convergence: ${N} peers in a line, each writing 10 blocks concurrently`, async () => {
    const nodes = Array.from({ length: N }, () => new MemSource())
    const keys = nodes.map(() => signPair().sk)
    for (let i = 0; i + 1 < N; i++) connect(nodes[i] as MemSource, nodes[i + 1] as MemSource)
    const work: Array<Promise<void>> = []
    for (let j = 0; j < 10; j++) nodes.forEach((n, i) => work.push(n.create(keys[i] as string, `${i}:${j}`, 'own')))
    await Promise.all(work)
    await settled(nodes, () => nodes.every(n => n.size === N * 10))
    for (const n of nodes) assert.equal(Object.keys(n.heights).length, N)
    await Promise.all(nodes.map(n => n.node.close()))
  })
}

test('delta sync: bytes grow with the difference, not the store', async () => {
  const a = new MemSource()
  const b = new MemSource()
  const chains = 20
  const perChain = 50
  const k = 5
  for (let c = 0; c < chains; c++) {
    const sk = signPair().sk
    for (let i = 0; i < perChain; i++) await a.create(sk, `c${c} b${i} ${'x'.repeat(40)}`, `c${c}`)
  }
  // b holds the same blocks
  for await (const f of a.query(Summary.from([]), { nodeId: '', since: 0 })) await b.ingest(f, undefined)
  const sk = signPair().sk
  for (let i = 0; i < k; i++) await a.create(sk, `extra ${i} ${'x'.repeat(40)}`, 'extra')
  const blockSize = 64 + 1 + 34 + 66 + 50
  connect(a, b)
  await settled([a, b], () => b.size === a.size)
  await a.node.close()
  await b.node.close()
  const summary = 2 + (chains + 1) * 27
  const sent = a.node.bytesSent + b.node.bytesSent
  assert.ok(sent < 2 * (54 + 65) + 2 * summary + 1.2 * k * blockSize + 100, `sent ${sent} bytes`)
})

test('peers holding more chains than a summary lists reconcile them and exchange exactly what each lacks', { timeout: 120_000 }, async () => {
  const a = new MemSource()
  const b = new MemSource()
  const keys = Array.from({ length: 300 }, () => signPair().sk)
  // 300 shared chains; a is ahead on 7 of them; each side has 20 chains of its own
  for (let i = 0; i < keys.length; i++) {
    await a.create(keys[i] as string, `s${i}`, `s${i}`)
    await b.create(keys[i] as string, `s${i}`, `s${i}`)
  }
  for (let i = 0; i < 7; i++) await a.create(keys[i * 40] as string, `more${i}`, `s${i * 40}`)
  for (let i = 0; i < 20; i++) {
    await a.create(signPair().sk, 'a', `a${i}`)
    await b.create(signPair().sk, 'b', `b${i}`)
  }
  const before = { a: a.size, b: b.size, verified: b.verified }
  connect(a, b)
  await settled([a, b], () => a.size === b.size && a.size === 300 + 7 + 40)
  assert.deepEqual(a.heights, b.heights)
  assert.equal(b.size - before.b, 7 + 20, 'b received only what it lacked')
  assert.equal(a.size - before.a, 20, 'a received only what it lacked')
  assert.equal(b.verified - before.verified, 7 + 20, 'a signature check per block received')
})

// Kernel sync beyond the spec scenarios: identity on classic-level, delta bytes, misbehaving
// peers, TCP on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import fc from 'fast-check'
import { Feed, signPair } from '../../src/feed/index.js'
import { streamWire } from '../../src/net/index.js'
import type { Plug } from '../../src/net/index.js'
import { encodeBody } from '../../src/store/index.js'
import { KernelError, encodeBlocks, encodeSummary, encodeWant } from '../../src/kernel/index.js'
import { get } from '../../src/nuro/index.js'
import { Counter, booted, connections, meter, until } from './helpers.js'
import { RawPeer } from './raw.js'

test('identity is generated once, persisted as raw bytes and restored on classic-level', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pico-kernel-'))
  try {
    const k1 = new Counter(dir)
    await k1.boot()
    const pk = k1.pk
    await k1.bump(1)
    const sk = await k1.repo.readReg('reg/sk')
    assert.equal(sk?.length, 32)
    await k1.halt()
    const k2 = new Counter(dir)
    await k2.boot()
    assert.equal(k2.pk, pk)
    assert.equal(await k2.seq(), 1)
    await k2.bump(2)
    assert.equal(k2.x[pk], 2)
    await k2.halt()
    const given = signPair()
    const k3 = new Counter(undefined, { secret: given.sk })
    await k3.boot()
    assert.equal(k3.pk, given.pk)
    await k3.halt()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('delta sync: a reconnect costs the k missing blocks and an O(chains) summary', async () => {
  const [a, b] = await booted(2) as [Counter, Counter]
  const chains = 10
  const perChain = 20
  for (let c = 0; c < chains; c++) {
    const { sk } = signPair()
    for (let i = 1; i <= perChain; i++) await a.store.createBlock('x', i, sk)
  }
  const first = a.spawnWire()
  first.open(b.spawnWire())
  await until([b], k => Object.keys(k.x).length === chains)
  const down = connections(a, 0)
  first.close()
  await down
  const k = 5
  for (let i = 1; i <= k; i++) await a.bump(i)
  const blockSize = ((await a.feed())?.last?.blockSize) as number
  const m = meter(a.spawnWire(), b.spawnWire())
  await until([b], x => x.x[a.pk] === k)
  await a.halt()
  await b.halt()
  const summaries = 2 * (2 + (chains + 1) * 27)
  const budget = 2 * (54 + 65) + summaries + 1.2 * k * (blockSize + 1)
  assert.ok(m.bytes <= budget, `sent ${m.bytes} bytes, budget ${budget}`)
  assert.ok(m.bytes < chains * perChain * blockSize / 4)
})

/** Opens a raw end against `k`. */
function rawPeer (k: Counter): Promise<RawPeer> {
  return RawPeer.open(k.spawnWire())
}

function closedWith (plug: Plug, code: string): Promise<void> {
  return plug.closed.then(err => {
    assert.ok(err instanceof KernelError, `closed with ${String(err)}`)
    assert.equal(err.code, code)
  })
}

test('misbehaving peers are dropped with typed errors; honest peers are unaffected', async () => {
  const [victim, honest] = await booted(2, { limits: { maxMessageSize: 64 * 1024, maxWantsReceived: 16 } }) as [Counter, Counter]
  victim.spawnWire().open(honest.spawnWire())
  await victim.bump(1)
  await until([honest], k => k.x[victim.pk] === 1)

  // garbage
  let bad = await rawPeer(victim)
  await bad.plug.postMessage(new Uint8Array([0x99, 1, 2, 3]))
  await closedWith(bad.plug, 'ProtocolError')

  // blocks before hello
  const { sk } = signPair()
  const feed = new Feed()
  feed.append('hello', sk)
  bad = await rawPeer(victim)
  await bad.plug.postMessage(encodeBlocks(feed))
  await closedWith(bad.plug, 'ProtocolError')

  // version mismatch
  bad = await rawPeer(victim)
  await bad.plug.postMessage(bad.hello(1))
  await closedWith(bad.plug, 'VersionMismatch')

  // a node key it cannot prove
  bad = await rawPeer(victim)
  await bad.plug.postMessage(bad.hello())
  await bad.plug.postMessage(await bad.auth(crypto.getRandomValues(new Uint8Array(32))))
  await closedWith(bad.plug, 'AuthFailed')

  // blocks after hello but before auth
  bad = await rawPeer(victim)
  await bad.plug.postMessage(bad.hello())
  await bad.plug.postMessage(encodeBlocks(feed))
  await closedWith(bad.plug, 'ProtocolError')

  // a forged block (signature flipped)
  bad = await rawPeer(victim)
  await bad.greet()
  await bad.plug.postMessage(encodeSummary([]))
  const forged = feed.buffer.slice()
  forged[4 + 10] = (forged[4 + 10] as number) ^ 0xff
  const msg = new Uint8Array(1 + forged.length)
  msg[0] = 3
  msg.set(forged, 1)
  await bad.plug.postMessage(msg)
  await closedWith(bad.plug, 'InvalidBlocks')

  // an oversized message
  bad = await rawPeer(victim)
  await bad.greet()
  await bad.plug.postMessage(new Uint8Array(64 * 1024 + 1).fill(3))
  await closedWith(bad.plug, 'ProtocolError')

  // more wants than a connection may send
  bad = await rawPeer(victim)
  await bad.greet()
  for (let i = 0; i < 200; i++) void bad.plug.postMessage(encodeWant(crypto.getRandomValues(new Uint8Array(64)))).catch(() => {})
  await closedWith(bad.plug, 'Flood')

  // more bytes than the window, without waiting for an ack
  bad = await rawPeer(victim)
  await bad.greet()
  const filler = encodeSummary(Array.from({ length: 2400 }, () => ({ chainId: new Uint8Array(16), height: 0, tip: new Uint8Array(8) })))
  for (let i = 0; i < 200; i++) void bad.plug.postMessage(filler).catch(() => {})
  await closedWith(bad.plug, 'Flood')

  // The honest connection survived and still syncs.
  assert.equal(get(victim.$connections())?.length, 1)
  await victim.bump(2)
  await honest.bump(5)
  await until([honest, victim], k => k.x[victim.pk] === 2 && k.x[honest.pk] === 5)
  await victim.halt()
  await honest.halt()
})

test('kernels sync over TCP on 127.0.0.1 through the stream transport', async () => {
  const [a, b, c] = await booted(3) as [Counter, Counter, Counter]
  await a.bump(1)
  await b.bump(2)
  const server = net.createServer(socket => streamWire(a.spawnWire(), socket))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  for (const k of [b, c]) {
    const socket = net.connect(port, '127.0.0.1')
    streamWire(k.spawnWire(), socket)
  }
  await c.bump(3)
  await until([a, b, c], k => k.x[a.pk] === 1 && k.x[b.pk] === 2 && k.x[c.pk] === 3)
  await Promise.all([a.halt(), b.halt(), c.halt()])
  await new Promise<void>(resolve => server.close(() => resolve()))
})

test('an orphan makes the kernel ask for its parent with want; the answer fills the gap', async () => {
  const [k] = await booted(1) as [Counter]
  const plug = k.spawnWire()
  let onWant: (id: Uint8Array) => void = () => {}
  const wanted = new Promise<Uint8Array>(resolve => { onWant = resolve })
  const raw = await RawPeer.open(plug)
  void raw.next(0x04).then(m => onWant(m.subarray(1)))
  const { sk } = signPair()
  const feed = new Feed()
  for (let i = 1; i <= 3; i++) feed.append(encodeBody('x', i, Date.now()), sk)
  await raw.greet()
  await plug.postMessage(encodeSummary([]))
  await plug.postMessage(encodeBlocks(feed.slice(1)))
  const id = await wanted
  assert.deepEqual([...id], [...(feed.first as { sig: Uint8Array }).sig])
  await plug.postMessage(encodeBlocks(feed.slice(0, 1)))
  await until([k], x => Object.values(x.x).includes(3))
  await k.halt()
})

test('random message sequences never crash a kernel: it keeps the wire or drops it with a KernelError', async () => {
  const [k, honest] = await booted(2) as [Counter, Counter]
  k.spawnWire().open(honest.spawnWire())
  const msg = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.uint8Array({ minLength: 1, maxLength: 80 }).map(b => { b[0] = 1 + (b[0] as number) % 7; return b }),
    fc.constant(encodeSummary([]))
  )
  await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(msg, { maxLength: 8 }), async (greet, msgs) => {
    const raw = await RawPeer.open(k.spawnWire())
    const plug = raw.plug
    try {
      if (greet) await raw.greet()
      for (const m of msgs) await plug.postMessage(m)
    } catch { // the kernel may drop us mid-sequence
    }
    plug.close()
    const err = await plug.closed
    assert.ok(err === null || err instanceof KernelError, String(err))
  }), { numRuns: 100 })
  await honest.bump(1)
  await until([k], x => x.x[honest.pk] === 1)
  await k.halt()
  await honest.halt()
})

test('a long chain is streamed in pieces: the answer is read as the peer drains, and the chain arrives whole and in order', async () => {
  const [a, b] = await booted(2, { limits: { maxBlocksPerMessage: 50 } }) as [Counter, Counter]
  for (let i = 1; i <= 420; i++) await a.bump(i)
  const m = meter(a.spawnWire(), b.spawnWire())
  await until([b], k => k.x[a.pk] === 420)
  // 420 blocks, at most 50 a message: at least 9 messages of blocks, never one holding the chain
  assert.ok(m.messages >= 9 + 4, `${m.messages} messages`)
  assert.equal(b.store.mempool.size, 0, 'no block arrived before its parent')
  assert.equal(await b.repo.hasBlock((await a.feed())?.last?.sig as Uint8Array), true)
  await a.halt()
  await b.halt()
})

test('a message whose blocks are all stored (gossip arriving again) is not dispatched; new blocks are', async () => {
  class Watching extends Counter {
    dispatched = 0
    override onblocks (feed: Feed, peer: Parameters<Counter['onblocks']>[1]): ReturnType<Counter['onblocks']> {
      this.dispatched++
      return super.onblocks(feed, peer)
    }
  }
  const k = new Watching()
  await k.boot()
  const raw = await RawPeer.open(k.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  const { sk } = signPair()
  const chain = new Feed()
  for (let i = 1; i <= 3; i++) chain.append(encodeBody('x', i, Date.now()), sk)
  const author = chain.first?.key as Uint8Array
  const hex = Buffer.from(author).toString('hex')
  await raw.plug.postMessage(encodeBlocks(chain.slice(0, 2)))
  await until([k], c => c.x[hex] === 2)
  for (let i = 0; i < 5; i++) await raw.plug.postMessage(encodeBlocks(chain.slice(0, 2))) // known
  await raw.plug.postMessage(encodeBlocks(chain.slice(1, 3))) // one known, one new
  await until([k], c => c.x[hex] === 3)
  assert.equal(k.dispatched, 2)
  raw.plug.close()
  await k.halt()
})

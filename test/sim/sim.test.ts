import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { setTimeout as wait } from 'node:timers/promises'
import { Simulator, SimError, parseDuration, Random } from '../../src/sim/index.js'
import type { LogEvent, SimSocket } from '../../src/sim/index.js'
import { Modem56, topicKey } from '../../src/modem/index.js'
import { real } from '../../src/sim/runtime.js'
import { Interner } from '../../src/sim/db.js'
import { clock } from '../../scenarios/clock.js'
import { ClockKernel } from '../../scenarios/clock-kernel.js'
import { honestPeer } from '../../scenarios/honest.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

async function digest (seed: number): Promise<{ hash: string, lines: number }> {
  const h = createHash('sha256')
  let lines = 0
  const sim = new Simulator({ seed, out: l => { h.update(l + '\n'); lines++ } })
  await clock(sim, { peers: 8, ticks: 2 })
  return { hash: h.digest('hex'), lines }
}

test('the same scenario and seed give a byte-identical log; another seed another one', async () => {
  const a = await digest(3)
  const b = await digest(3)
  const c = await digest(4)
  assert.ok(a.lines > 50)
  assert.equal(a.hash, b.hash)
  assert.notEqual(a.hash, c.hash)
})

test('Random: seeded, forkable, Fisher-Yates', () => {
  const a = new Random(1)
  const b = new Random(1)
  assert.deepEqual([a.next(), a.next()], [b.next(), b.next()])
  assert.notEqual(new Random(1).fork('x').next(), new Random(1).fork('y').next())
  const items = [1, 2, 3, 4, 5, 6, 7, 8]
  assert.deepEqual(new Random(9).shuffle([...items]).sort(), items)
  for (let i = 0; i < 100; i++) { const v = a.next(); assert.ok(v >= 0 && v < 1) }
})

test('parseDuration', () => {
  assert.equal(parseDuration('10m'), 600_000)
  assert.equal(parseDuration('1h30m'), 5_400_000)
  assert.equal(parseDuration('250ms'), 250)
  assert.equal(parseDuration(42), 42)
  assert.throws(() => parseDuration('ten minutes'), (e: unknown) => e instanceof SimError && e.code === 'BadOption')
  assert.throws(() => parseDuration(-1), (e: unknown) => e instanceof SimError && e.code === 'BadOption')
})

test('swarm: join, flushed after the lookup delay, connection events, bytes in order after latency and bandwidth', async () => {
  const sim = new Simulator({ lookupDelay: 100 })
  const topic = topicKey('raw')
  const got: Array<{ t: number, n: number }> = []
  const seen: Record<string, unknown> = {}
  sim.launch('a', { latency: 50, linkRate: 10_000 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (socket: SimSocket, info: { client: boolean }) => {
      seen.aClient = info.client
      for (let i = 0; i < 10; i++) socket.write(new Uint8Array(1000).fill(i))
      socket.end()
    })
    await swarm.join(topic).flushed()
    seen.aFlushed = peer.now()
  })
  sim.launch('b', { latency: 50, linkRate: 10_000, at: 1000 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (socket: SimSocket, info: { client: boolean, publicKey: Uint8Array }) => {
      seen.bClient = info.client
      seen.open = peer.now()
      socket.on('data', (chunk: Uint8Array) => { for (let i = 0; i < chunk.length; i += 1000) got.push({ t: peer.now(), n: chunk[i] as number }) })
      socket.on('end', () => { seen.end = peer.now(); socket.end() })
    })
    await swarm.join(topic).flushed()
  })
  const r = await sim.run({ until: '1m' })
  assert.equal(r.reason, 'idle')
  assert.equal(seen.aFlushed, 100)
  assert.equal(typeof seen.aClient, 'boolean')
  assert.notEqual(seen.aClient, seen.bClient) // one side dialled

  assert.deepEqual(got.map(g => g.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  const first = (got[0] as { t: number }).t
  const last = (got[9] as { t: number }).t
  // 10 kB at 10 kB/s: about one virtual second from first to last byte, plus one-way latency.
  assert.ok(first >= (seen.open as number) + 50 + 50, `first at ${first}`)
  assert.ok(last - first >= 850 && last - first <= 1000, `spread ${last - first}`)
  assert.ok((seen.end as number) >= last)
})

test('swarm: peers, connecting, status and topics, refresh, joinPeer reconnects until leavePeer, update events', async () => {
  const sim = new Simulator({ lookupDelay: 100 })
  const topic = topicKey('direct')
  const seen: Record<string, unknown> = {}
  let bKey: Uint8Array | undefined
  let updates = 0
  const opened: number[] = []
  const b = sim.launch('b', { latency: 20 }, async peer => {
    const swarm = new peer.Swarm()
    bKey = swarm.keyPair.publicKey
    swarm.on('connection', (socket: SimSocket) => { socket.on('error', () => {}) })
    // b joins no topic: a can only reach it directly
  })
  sim.launch('a', { latency: 20, at: 500 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('update', () => { updates++ })
    swarm.on('connection', (socket: SimSocket, info: { publicKey: Uint8Array, topics: Uint8Array[], client: boolean }) => {
      socket.on('error', () => {})
      opened.push(peer.now())
      seen.topics = info.topics.length
      seen.client = info.client
      seen.peerKnown = swarm.peers.get(Buffer.from(info.publicKey).toString('hex')) === info
    })
    const d = swarm.join(topic, { server: true, client: false })
    assert.equal(swarm.status(topic), d)
    assert.equal(swarm.status(topicKey('other')), undefined)
    assert.deepEqual([...swarm.topics()], [d])
    assert.equal(d.isServer, true)
    assert.equal(d.isClient, false)
    await d.refresh({ client: true })
    assert.equal(d.isClient, true)
    swarm.joinPeer(bKey as Uint8Array)
    seen.connecting = swarm.connecting
    peer.setTimeout(() => { seen.peersAt1s = swarm.peers.size }, 1000)
    peer.setTimeout(() => { (swarm.connections.values().next().value as SimSocket).destroy() }, 2000)
    peer.setTimeout(() => { seen.peersAt6s = swarm.peers.size; swarm.leavePeer(bKey as Uint8Array) }, 6000)
    peer.setTimeout(() => { (swarm.connections.values().next().value as SimSocket).destroy() }, 7000)
    peer.setTimeout(() => { seen.peersAt12s = swarm.peers.size; await_(swarm.leave(topic)); seen.topicsAfterLeave = [...swarm.topics()].length }, 12_000)
  })
  const await_ = (p: Promise<unknown>): void => { p.catch(() => {}) }
  await sim.run({ until: '20s' })
  assert.equal(b.state, 'up')
  assert.equal(seen.connecting, 1)
  assert.equal(seen.peersAt1s, 1)
  assert.equal(seen.topics, 0) // a direct connection is found through no topic
  assert.equal(seen.client, true)
  assert.equal(seen.peerKnown, true)
  assert.equal(seen.peersAt6s, 1) // reconnected after the cut
  assert.equal(opened.length, 2)
  assert.equal(seen.peersAt12s, 0) // not after leavePeer
  assert.equal(seen.topicsAfterLeave, 0)
  assert.ok(updates >= 4)
})

test('runtime: Date.now, performance.now and setTimeout run on the peer clock (with skew); globals are restored', async () => {
  const realSetTimeout = globalThis.setTimeout
  const realDateNow = Date.now
  const seen: number[] = []
  const other: number[] = []
  const sim = new Simulator({ epoch: 1_000_000 })
  sim.launch('p', { skew: 5000 }, async peer => {
    seen.push(Date.now(), performance.now())
    await new Promise(resolve => setTimeout(resolve, 60_000))
    seen.push(Date.now(), peer.now())
    seen.push(globalThis.crypto.getRandomValues(new Uint8Array(1))[0] as number)
  })
  sim.launch('q', {}, async () => { other.push(Date.now()) })
  await sim.run({ until: '2m' })
  assert.deepEqual(seen.slice(0, 4), [1_005_000, 5000, 1_065_000, 60_000])
  assert.deepEqual(other, [1_000_000])
  assert.equal(globalThis.setTimeout, realSetTimeout)
  assert.equal(Date.now, realDateNow)
  assert.ok(Date.now() > 1_600_000_000_000)
})

test('runtime: the real clock the simulator paces --speed and the live view with stays real while virtual time runs', async () => {
  const seen: number[] = []
  const sim = new Simulator()
  sim.launch('p', {}, async () => {
    await new Promise(resolve => setTimeout(resolve, 3_600_000))
    seen.push(performance.now(), real.now())
  })
  await sim.run({ until: '2h' })
  assert.equal(seen[0], 3_600_000)
  assert.ok((seen[1] as number) < 3_600_000, 'real.now() follows the process clock (this process has not run for an hour)')
})

test('gossip rounds: the first new head is announced after gossipDelay, the next no sooner than gossipInterval after that round', async () => {
  // In virtual time: a writes a tick at 1 s and another at 1.1 s; links take 10 ms each way.
  // Quiet, the first is announced at 1.05 s and fetched by about 1.1 s. With a 1 s interval the
  // second waits for the round at 2.05 s; with none it goes at 1.15 s.
  for (const gossipInterval of [1000, 0]) {
    const sim = new Simulator({ seed: 9 })
    const held: Array<[number, number]> = []
    let reader: ClockKernel | undefined
    let writer: ClockKernel | undefined
    const limits = { gossipDelay: 50, gossipInterval }
    sim.launch('a', { latency: 10 }, async peer => {
      writer = new ClockKernel(peer.db(), { secret: peer.secret, limits })
      await writer.boot()
      peer.watch(writer)
      await new Modem56(peer.Swarm, peer.swarmOptions).join('rounds', () => (writer as ClockKernel).spawnWire())
    })
    sim.launch('b', { latency: 10 }, async peer => {
      reader = new ClockKernel(peer.db(), { secret: peer.secret, limits })
      await reader.boot()
      peer.watch(reader)
      await new Modem56(peer.Swarm, peer.swarmOptions).join('rounds', () => (reader as ClockKernel).spawnWire())
    })
    sim.at(1000, async () => { assert.equal(sim.peers[0]?.connections, 1, "connected before the first tick"); await writer?.createTick() })
    sim.at(1100, async () => { await writer?.createTick() })
    for (const t of [1500, 2000, 2500]) {
      sim.at(t, async () => { held.push([t, ((await reader?.chains()) ?? []).reduce((n, c) => n + c.height + 1, 0)]) })
    }
    const r = await sim.run({ until: '10s' })
    assert.equal(r.converged, true)
    assert.deepEqual(held, gossipInterval === 0 ? [[1500, 2], [2000, 2], [2500, 2]] : [[1500, 1], [2000, 1], [2500, 2]], `gossipInterval ${gossipInterval}`)
  }
})

test('interner: one buffer per distinct byte string, shared; let go once no database holds it', async () => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const interner = new Interner()
  let kept: Buffer | undefined = interner.intern(Uint8Array.of(1, 2, 3))
  assert.equal(interner.intern(Buffer.from([1, 2, 3])), kept, 'the same bytes give the same buffer')
  ;(() => { for (let i = 0; i < 1000; i++) interner.intern(Uint8Array.of(9, i >> 8, i & 255)) })()
  assert.equal(interner.size, 1001)
  // Finalizers run in tasks of their own after a GC: poll for them, with an upper bound (a
  // busy process may take several turns of the event loop, each with a short real wait).
  for (let i = 0; i < 200 && interner.size > 1; i++) { gc(); await wait(i < 20 ? 0 : 5) }
  assert.equal(interner.size, 1, 'only the buffer still referenced is held')
  assert.equal(interner.intern(Uint8Array.of(1, 2, 3)), kept)
  kept = undefined
})

test('a peer init that rejects: PeerInitFailed naming the peer, logged', async () => {
  const events: LogEvent[] = []
  const sim = new Simulator({ onevent: e => events.push(e) })
  sim.launch('good', async () => {})
  sim.launch('bad', async () => { throw new Error('boom') })
  await assert.rejects(sim.run(), (e: unknown) => e instanceof SimError && e.code === 'PeerInitFailed' && /peer 2 \(bad\)/.test(e.message) && /boom/.test(e.message))
  const err = events.find(e => e.type === 'sim' && e.event === 'error')
  assert.ok(err !== undefined && 'peer' in err && err.peer === 2)
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'end'))
})

test('bad launch options are refused with BadOption naming the peer', () => {
  const sim = new Simulator()
  assert.throws(() => sim.launch('x', { linkRate: -1 }, () => {}), (e: unknown) => e instanceof SimError && e.code === 'BadOption' && /peer 1/.test(e.message))
  assert.throws(() => sim.launch('x', { latency: [5, 1] }, () => {}), (e: unknown) => e instanceof SimError && e.code === 'BadOption')
  assert.throws(() => new Simulator({ seed: 1.5 }), (e: unknown) => e instanceof SimError && e.code === 'BadOption')
})

test('a run that never converges ends at until with converged false', async () => {
  const sim = new Simulator()
  for (let i = 0; i < 2; i++) {
    sim.launch('lonely', async peer => {
      const kernel = new ClockKernel(peer.db(), { secret: peer.secret })
      await kernel.boot()
      peer.watch(kernel)
      await kernel.createTick()
    })
  }
  const r = await sim.run({ until: '30s' })
  assert.equal(r.converged, false)
  assert.equal(r.time, 30_000)
})

test('crash loses the connections but not the disk; restart comes back with the same identity and blocks', async () => {
  const heights: number[] = []
  const keys: string[] = []
  const sim = new Simulator({ seed: 5 })
  const a = sim.launch('a', async peer => {
    const kernel = await honestPeer(peer, peer.incarnation === 0 ? 2 : 0, 2000)
    keys.push(kernel.pk)
    peer.setTimeout(() => { void kernel.seq().then(n => heights.push(n)) }, 4000)
  })
  sim.launch('b', async peer => { await honestPeer(peer, 1, 2000) })
  sim.at('5s', () => { a.crash() })
  sim.at('8s', () => { assert.equal(a.state, 'crashed'); a.restart() })
  const r = await sim.run({ until: '2m' })
  assert.ok(r.converged)
  assert.deepEqual(heights, [2, 2])
  assert.equal(keys[0], keys[1])
})

test('partition holds bytes back and blocks new links; heal delivers', async () => {
  const events: LogEvent[] = []
  const sim = new Simulator({ onevent: e => events.push(e) })
  const topic = topicKey('p')
  let received = 0
  const a = sim.launch('a', async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (s: SimSocket) => { peer.setTimeout(() => s.write(utf8('after-split')), 2000) })
    await swarm.join(topic).flushed()
  })
  const b = sim.launch('b', { at: 10 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (s: SimSocket) => { s.on('data', () => { received = peer.now() }) })
    await swarm.join(topic).flushed()
  })
  sim.at(1500, () => { sim.partition([[a], [b]]) })
  sim.at(10_000, () => { sim.heal() })
  await sim.run({ until: '20s' })
  assert.ok(received >= 10_000, `received at ${received}`)
  assert.ok(events.some(e => e.type === 'fault' && e.event === 'partition'))
})

test('clock skew: a peer an hour ahead stamps ticks from the future; the clock kernel refuses them, no convergence', async () => {
  const sim = new Simulator({ seed: 8 })
  sim.launch('ahead', { skew: 3_600_000 }, async peer => { await honestPeer(peer, 1, 1000) })
  for (let i = 0; i < 2; i++) sim.launch('on-time', async peer => { await honestPeer(peer, 1, 1000) })
  const r = await sim.run({ until: '1m' })
  assert.equal(r.converged, false)
  assert.ok(sim.metrics !== null && sim.metrics.created === 3 && sim.metrics.heads < 1)
})

test('a flaky link (loss) delays chunks by retransmission timeouts but keeps them in order', async () => {
  const times: number[] = []
  const order: number[] = []
  const sim = new Simulator({ seed: 2, lookupDelay: 10 })
  const topic = topicKey('flaky')
  sim.launch('sender', { latency: 10 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (s: SimSocket) => { for (let i = 0; i < 50; i++) s.write(new Uint8Array([i])) })
    await swarm.join(topic).flushed()
  })
  const receiver = sim.launch('receiver', { latency: 10, at: 100 }, async peer => {
    const swarm = new peer.Swarm()
    swarm.on('connection', (s: SimSocket) => { s.on('data', (c: Uint8Array) => { for (const b of c) { order.push(b); times.push(peer.now()) } }) })
    await swarm.join(topic).flushed()
  })
  sim.at(50, () => { receiver.setLink({ loss: 0.5 }) })
  await sim.run({ until: '1m' })
  assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i))
  assert.ok((times.at(-1) as number) - (times[0] as number) >= 200, 'at least one retransmission timeout')
})

test('a scripted action that throws fails the run with ScenarioFailed', async () => {
  const sim = new Simulator()
  sim.launch('p', () => {})
  sim.at('2s', () => { throw new Error('bad script') })
  await assert.rejects(sim.run({ until: '10s' }), (e: unknown) => e instanceof SimError && e.code === 'ScenarioFailed' && /bad script/.test(e.message))
})

test('LiveView: progress, metrics and custom counts; in place on a TTY, plain lines otherwise', async () => {
  const { LiveView } = await import('../../src/sim/index.js')
  const events: LogEvent[] = [
    { t: 0, type: 'sim', event: 'start', seed: 1, until: 60_000, interval: 1000 },
    { t: 500, type: 'custom', name: 'hello', peer: 1 },
    { t: 1000, type: 'metrics', peers: 3, honest: 3, connections: 2, bytes: 2048, bytesTotal: 2048, created: 1, held: 2, heads: 0.5, convergence: 0.5 }
  ]
  let tty = ''
  const a = new LiveView({ write: t => { tty += t }, tty: true, until: 60_000 })
  for (const e of events) a.onevent(e)
  a.finish()
  const ESC = String.fromCharCode(27)
  assert.ok(tty.includes(`${ESC}[2K[`), 'lines cleared in place')
  assert.match(tty, /\[#*\.+\] 0m01s \/ 1m00s/)
  assert.match(tty, /peers 3 {2}connections 2 {2}2\.0 KiB\/s {2}blocks 1 {2}convergence 50\.0%/)
  assert.match(tty, /hello +1/)
  let plain = ''
  const b = new LiveView({ write: t => { plain += t }, tty: false, until: 60_000 })
  for (const e of events) b.onevent(e)
  b.finish()
  assert.ok(!plain.includes(ESC))
  assert.equal(plain.trim().split('\n').length, 1)
})

test('delta sync: a peer that joins four neighbours at once is not sent the whole history by each', async () => {
  // 12 MB of history in 6 chains (more than a connection's window): each neighbour begins at
  // another chain and skips what the joiner announces it got from the others (was 3.2x).
  const { SimpleKernel } = await import('../../src/kernel/index.js')
  const counter = { name: 'n', initialValue: 0, filter: () => {}, reducer: ({ state }: { state: unknown }) => (state as number) + 1 }
  const sim = new Simulator({ seed: 3 })
  let history = 0
  const peers = []
  for (let i = 0; i < 5; i++) {
    const joiner = i === 4
    peers.push(sim.launch(joiner ? 'joiner' : 'holder', { latency: 30, linkRate: 4 << 20, at: joiner ? 60_000 : 0 }, async peer => {
      const kernel = new SimpleKernel(peer.db(), { secret: peer.secret })
      kernel.store.register(counter)
      await kernel.boot()
      peer.watch(kernel)
      for (let c = 0; i === 0 && c < 6; c++) {
        const author = new SimpleKernel(peer.db(`author ${c}`), { secret: new Uint8Array(32).fill(c + 1) })
        author.store.register(counter)
        await author.boot()
        for (let b = 0; b < 500; b++) await author.createBlock('b', { pad: 'x'.repeat(4000) })
        const feed = await author.feed() as NonNullable<Awaited<ReturnType<typeof author.feed>>>
        history += feed.tail
        await kernel.dispatch(feed)
      }
      await new Modem56(peer.Swarm, peer.swarmOptions).join('history', () => kernel.spawnWire())
    }))
  }
  const r = await sim.run({ until: '10m' })
  assert.equal(r.converged, true)
  const joiner = peers[4] as (typeof peers)[number]
  assert.equal(joiner.connections, 4)
  assert.ok(history > 12e6)
  assert.ok(joiner.rx < 2.5 * history, `the joiner received ${(joiner.rx / history).toFixed(2)}x the history`)
})

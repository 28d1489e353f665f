// Hostile peers against a kernel over in-memory wires (PROTOCOL.md "Limits"): each attack is
// answered with a typed drop or costs the attacker as much as the node, and an honest peer
// connected beside the attacker keeps syncing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, fromHex, signPair, toHex } from '../../src/feed/index.js'
import { encodeBlocks, encodeSummary, encodeWant } from '../../src/kernel/protocol.js'
import { KernelError } from '../../src/kernel/errors.js'
import { get } from '../../src/nuro/index.js'
import { encodeBody } from '../../src/store/index.js'
import type { Counter} from './helpers.js';
import { booted, connections, until } from './helpers.js'
import { RawPeer } from './raw.js'

function closedWith (plug: { closed: Promise<Error | null> }, code: string): Promise<void> {
  return plug.closed.then(err => {
    assert.ok(err instanceof KernelError, `closed with ${String(err)}`)
    assert.equal(err.code, code)
  })
}

/** A victim kernel with an honest peer connected and synced. */
async function scene (opts?: ConstructorParameters<typeof Counter>[1]): Promise<{ victim: Counter, honest: Counter, stop: () => Promise<void> }> {
  const [victim, honest] = await booted(2, opts) as [Counter, Counter]
  victim.spawnWire().open(honest.spawnWire())
  await connections(victim, 1)
  await honest.bump(1)
  await until([victim], k => k.x[honest.pk] === 1)
  return { victim, honest, stop: async () => { await victim.halt(); await honest.halt() } }
}

/** The honest peer is still connected to the victim and a new block of each side syncs. */
async function honestIntact (victim: Counter, honest: Counter, n: number): Promise<void> {
  assert.ok(get(victim.$connections())?.some(p => p.nodeId === honest.nodeId), 'honest peer still connected')
  await honest.bump(n)
  await victim.bump(n)
  await until([victim, honest], k => k.x[honest.pk] === n && k.x[victim.pk] === n)
}

test('node ids are proven: a stranger announcing an honest peer\'s key cannot sign for it and is dropped; the honest peer stays', async () => {
  const { victim, honest, stop } = await scene()
  for (let i = 0; i < 3; i++) {
    const raw = await RawPeer.open(victim.spawnWire())
    const squatted = { ...raw, key: fromHex(honest.nodeId) }
    // hello with the honest node's key, auth signed with the squatter's own key
    const hello = raw.hello()
    hello.set(squatted.key, 2)
    await raw.plug.postMessage(hello)
    await raw.plug.postMessage(await raw.auth())
    await closedWith(raw.plug, 'AuthFailed')
  }
  await honestIntact(victim, honest, 2)
  await stop()
})

test('a connection that never completes the handshake is dropped with HandshakeTimeout', async () => {
  const { victim, honest, stop } = await scene({ limits: { handshakeTimeout: 50 } })
  const silent = await RawPeer.open(victim.spawnWire())
  await closedWith(silent.plug, 'HandshakeTimeout')
  const halfway = await RawPeer.open(victim.spawnWire())
  await halfway.plug.postMessage(halfway.hello()) // hello but never auth
  await closedWith(halfway.plug, 'HandshakeTimeout')
  await honestIntact(victim, honest, 2)
  await stop()
})

test('a forged orphan (unknown parent, bad signature) gets its sender dropped', async () => {
  const { victim, honest, stop } = await scene()
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  const { sk } = signPair()
  const feed = new Feed()
  for (let i = 1; i <= 3; i++) feed.append(encodeBody('x', i, Date.now()), sk)
  const orphan = feed.slice(2).buffer.slice()
  orphan[4 + 5] = (orphan[4 + 5] as number) ^ 0x40 // inside the signature
  const msg = new Uint8Array(1 + orphan.length)
  msg[0] = 0x03
  msg.set(orphan, 1)
  await raw.plug.postMessage(msg)
  await closedWith(raw.plug, 'InvalidBlocks')
  assert.equal(victim.store.mempool.size, 0, 'nothing forged was stashed')
  await honestIntact(victim, honest, 2)
  await stop()
})

test('want is answered once per range: repeating it, or asking for blocks already sent, sends nothing more', async () => {
  const { victim, honest, stop } = await scene()
  for (let i = 1; i <= 120; i++) await victim.bump(i)
  const chain = await victim.feed() as Feed
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  // Claim to hold every chain already, so the summary answer sends nothing.
  const chains = await victim.chains()
  await raw.plug.postMessage(encodeSummary(chains.map(c => ({ chainId: c.chainId, height: c.height, tip: c.tip }))))
  let blockBytes = 0
  let blocks = 0
  const counted = new Promise<void>(resolve => {
    raw.on(m => {
      if (m[0] !== 0x03) return
      const f = Feed.from(m.subarray(1), true)
      if (toHex(f.first?.key as Uint8Array) !== victim.pk) return
      blockBytes += m.length
      blocks += f.length
      if (blocks >= 120) resolve()
    })
  })
  const ids = chain.blocks.map(b => b.sig)
  let wantBytes = 0
  for (let r = 0; r < 20; r++) {
    for (const h of [119, 60, 10, 119]) {
      const w = encodeWant(ids[h] as Uint8Array)
      wantBytes += w.length
      await raw.plug.postMessage(w)
    }
  }
  await counted
  // Every block of the chain at most once, whatever the number of wants.
  assert.equal(blocks, 120)
  await honestIntact(victim, honest, 200)
  assert.ok(blockBytes <= chain.buffer.length + 120 * 4, `${blockBytes} bytes answered for ${wantBytes} bytes of wants`)
  raw.plug.close()
  await stop()
})

test('a peer that stops reading is dropped as SlowPeer once its queue passes the limit; the honest peer keeps syncing', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxOutboundBytes: 16 * 1024 } })
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  raw.stalled = true
  const dropped = closedWith(raw.plug, 'SlowPeer')
  for (let i = 2; i <= 200; i++) await honest.bump(i)
  await dropped
  await until([victim], k => k.x[honest.pk] === 200)
  await honestIntact(victim, honest, 201)
  await stop()
})

test('gossip to many peers is encoded once: the node-wide outbound budget counts a shared buffer once', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxNodeOutboundBytes: 100 * 1024 } })
  const stalled: RawPeer[] = []
  for (let i = 0; i < 5; i++) {
    const raw = await RawPeer.open(victim.spawnWire())
    await raw.greet()
    await raw.plug.postMessage(encodeSummary([]))
    await raw.next(0x03) // the delta (honest's block) arrived
    raw.stalled = true
    stalled.push(raw)
  }
  // One segment of 300 blocks (~50 KB), gossiped to the five stalled peers and the honest one.
  const { sk } = signPair()
  const feed = new Feed()
  for (let i = 1; i <= 300; i++) feed.append(encodeBody('x', i, Date.now()), sk)
  const res = await victim.dispatch(feed)
  assert.equal(res.accepted[0]?.length, 300)
  const size = feed.buffer.length
  const held = victim.traffic.outboundBytes
  assert.ok(held >= size && held < 2 * size, `node holds ${held} bytes for one ${size}-byte message to 5 stalled peers`)
  for (const raw of stalled) assert.equal(raw.plug.isClosed, false)
  await honestIntact(victim, honest, 2)
  for (const raw of stalled) raw.plug.close()
  await stop()
})

test('the node-wide inbound budget drops the connection holding the most', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxNodeInboundBytes: 256 * 1024 } })
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  // Within the 8 MiB window of the connection, beyond the node's budget.
  const filler = encodeSummary(Array.from({ length: 4000 }, () => ({ chainId: new Uint8Array(16), height: 0, tip: new Uint8Array(8) })))
  for (let i = 0; i < 40; i++) void raw.plug.postMessage(filler).catch(() => {})
  await closedWith(raw.plug, 'Flood')
  await honestIntact(victim, honest, 2)
  await stop()
})

/** A chain of `n` blocks by `sk` for the `x` collection (payloads 1..n). */
function xChain (n: number, sk: Parameters<Feed["append"]>[1]): Feed {
  const f = new Feed()
  for (let i = 1; i <= n; i++) f.append(encodeBody('x', i, Date.now()), sk)
  return f
}

test('orphans whose parents never come: past maxWants unanswered wants the sender is dropped with Flood', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxWants: 8 } })
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  const chain = xChain(40, signPair().sk)
  let wants = 0
  raw.on(m => { if (m[0] === 0x04) wants++ })
  // blocks 2, 4, 6 ...: each an orphan with its own missing parent; no want is ever answered
  for (let i = 1; i < chain.length; i += 2) void raw.plug.postMessage(encodeBlocks(chain.slice(i, i + 1))).catch(() => {})
  await closedWith(raw.plug, 'Flood')
  assert.equal(wants, 8)
  await honestIntact(victim, honest, 2)
  await stop()
})

test('orphans whose wants are answered never reach the want limit', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxWants: 2 } })
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  const chain = xChain(12, signPair().sk)
  const author = toHex(chain.first?.key as Uint8Array)
  for (let i = 1; i < chain.length; i += 2) {
    const want = raw.next(0x04)
    raw.inbox.length = 0
    await raw.plug.postMessage(encodeBlocks(chain.slice(i, i + 1))) // orphan: its parent is missing
    await want
    await raw.plug.postMessage(encodeBlocks(chain.slice(i - 1, i + 1))) // the answer
    await until([victim], k => k.x[author] === i + 1)
  }
  assert.ok(get(victim.$connections())?.some(p => p.nodeId === toHex(raw.key)), 'still connected')
  await honestIntact(victim, honest, 2)
  raw.plug.close()
  await stop()
})

test('equivocation: a peer that sends two blocks at one position of a chain is dropped with InvalidBlocks; relaying one side of a fork is fine', async () => {
  const { victim, honest, stop } = await scene()
  const { sk } = signPair()
  const genesis = xChain(1, sk)
  const a = genesis.clone(); a.append(encodeBody('x', 2, Date.now()), sk)
  const b = genesis.clone(); b.append(encodeBody('x', 3, Date.now()), sk)
  const author = toHex(genesis.first?.key as Uint8Array)
  // the equivocator shows one branch, then the other
  const equivocator = await RawPeer.open(victim.spawnWire())
  await equivocator.greet()
  await equivocator.plug.postMessage(encodeSummary([]))
  await equivocator.plug.postMessage(encodeBlocks(a))
  await until([victim], k => k.x[author] === 2)
  void equivocator.plug.postMessage(encodeBlocks(b)).catch(() => {})
  await closedWith(equivocator.plug, 'InvalidBlocks')
  // a second peer that only ever relays the refused branch stays
  const other2 = await RawPeer.open(victim.spawnWire())
  await other2.greet()
  await other2.plug.postMessage(encodeSummary([]))
  await other2.plug.postMessage(encodeBlocks(b))
  const marker = xChain(1, signPair().sk)
  await other2.plug.postMessage(encodeBlocks(marker))
  await until([victim], k => k.x[toHex(marker.first?.key as Uint8Array)] === 1)
  assert.ok(get(victim.$connections())?.some(p => p.nodeId === toHex(other2.key)), 'the relay of one branch stays connected')
  assert.equal(victim.x[author], 2)
  await honestIntact(victim, honest, 2)
  other2.plug.close()
  await stop()
})

test('a peer whose blocks the rules keep refusing is dropped with Flood past maxRefused; the honest peer stays', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxRefused: 4 } })
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  // genesis blocks of fresh authors with payload 0: `x` must increment, so each is refused
  for (let i = 0; i < 8; i++) {
    const f = new Feed()
    f.append(encodeBody('x', 0, Date.now()), signPair().sk)
    void raw.plug.postMessage(encodeBlocks(f)).catch(() => {})
  }
  await closedWith(raw.plug, 'Flood')
  await honestIntact(victim, honest, 2)
  await stop()
})

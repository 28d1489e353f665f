// Hostile peers against a kernel over in-memory wires (PROTOCOL.md "Limits"): each attack is
// answered with a typed drop or costs the attacker as much as the node, and an honest peer
// connected beside the attacker keeps syncing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, fromHex, signPair, toHex } from '../../src/feed/index.js'
import { decodeMessage, encodeBlocks, encodeHeads, encodeSummary, encodeWant } from '../../src/kernel/protocol.js'
import { KernelError } from '../../src/kernel/errors.js'
import { encodeRecon } from '../../src/kernel/recon.js'
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

test('a peer that stops reading costs one message: announcements wait coalesced, answers wait unread; its queries past maxOutboundBytes drop it as SlowPeer', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxOutboundBytes: 16 * 1024, maxBlocksPerMessage: 32 } })
  const raw = await claimer(victim)
  raw.stalled = true
  // 400 new chains announced, and a 300-block chain asked for: one message of either is in flight, the rest waits
  for (let i = 0; i < 400; i++) await victim.dispatch(xChain(1, signPair().sk))
  const chain = xChain(300, signPair().sk)
  await victim.dispatch(chain)
  await raw.plug.postMessage(encodeHeads('fetch', [{ chainId: chain.first?.sig as Uint8Array, height: 0 }]))
  await honestIntact(victim, honest, 2)
  assert.equal(raw.plug.isClosed, false)
  assert.ok(victim.traffic.outboundBytes < 16 * 1024, `${victim.traffic.outboundBytes} bytes held for a peer that reads nothing`)
  // replies to its queries are owed, not coalesced: past the limit it is dropped
  const dropped = closedWith(raw.plug, 'SlowPeer')
  const q = encodeRecon({ kind: 'query', nodes: Array.from({ length: 16 }, (_, i) => ({ depth: 1, prefix: Uint8Array.of(i << 4), mode: 'fp' as const, sum: new Uint8Array(16), count: 1 })) })
  for (let i = 0; i < 200 && !raw.plug.isClosed; i++) await raw.plug.postMessage(q).catch(() => {})
  await dropped
  await honestIntact(victim, honest, 3)
  await stop()
})

/** Claims to hold every chain of `k`, so that the answer to the summary sends nothing. */
async function claimAll (raw: RawPeer, k: Counter): Promise<void> {
  const chains = await k.chains()
  await raw.plug.postMessage(encodeSummary(chains.map(c => ({ chainId: c.chainId, height: c.height, tip: c.tip }))))
}

/** A raw peer connected to `k`, past the handshake, claiming to hold every chain of `k`. */
async function claimer (k: Counter): Promise<RawPeer> {
  const raw = await RawPeer.open(k.spawnWire())
  await raw.greet()
  await claimAll(raw, k)
  return raw
}

/** Fetches the honest peer's chain from the victim: when it arrives, every earlier message of `raw` was handled. */
async function marker (raw: RawPeer, honest: Counter): Promise<void> {
  raw.inbox.length = 0
  const blocks = raw.next(0x03)
  await raw.plug.postMessage(encodeHeads('fetch', [{ chainId: (await honest.chains())[0]?.chainId as Uint8Array, height: 0 }]))
  await blocks
}

test('answers are read as the peer drains them: stalled fetchers hold one message each, and past the node budget the one holding the most is dropped', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxNodeOutboundBytes: 64 * 1024 } })
  const chain = xChain(300, signPair().sk) // one message of ~36 KB
  assert.equal((await honest.dispatch(chain)).accepted[0]?.length, 300)
  await until([victim], k => k.x[toHex(chain.first?.key as Uint8Array)] === 300) // fetched from the honest peer
  const chainId = chain.first?.sig as Uint8Array
  const stalled: RawPeer[] = []
  for (let i = 0; i < 3; i++) {
    const raw = await claimer(victim)
    await raw.next(0x08) // the reply to its summary
    raw.stalled = true
    await raw.plug.postMessage(encodeHeads('fetch', [{ chainId, height: 0 }]))
    stalled.push(raw)
  }
  const first = await Promise.race(stalled.map(async r => await r.plug.closed))
  assert.ok(first instanceof KernelError && first.code === 'SlowPeer', String(first))
  assert.ok(victim.traffic.outboundBytes <= 64 * 1024, `node holds ${victim.traffic.outboundBytes} bytes`)
  await honestIntact(victim, honest, 2)
  for (const raw of stalled) raw.plug.close()
  await stop()
})

test('a fetch is answered once per block: asking again, or from lower heights, sends nothing more', async () => {
  const { victim, honest, stop } = await scene()
  for (let i = 1; i <= 120; i++) await victim.bump(i)
  const raw = await claimer(victim)
  let blocks = 0
  raw.on(m => {
    if (m[0] !== 0x03) return
    const f = Feed.from(m.subarray(1), true)
    if (toHex(f.first?.key as Uint8Array) === victim.pk) blocks += f.length
  })
  const chainId = (await victim.chains()).find(c => c.height === 119)?.chainId as Uint8Array
  let fetchBytes = 0
  for (let r = 0; r < 20; r++) {
    for (const height of [0, 60, 119, 0]) {
      const msg = encodeHeads('fetch', [{ chainId, height }])
      fetchBytes += msg.length
      await raw.plug.postMessage(msg)
    }
  }
  await marker(raw, honest)
  await until([victim], () => blocks >= 120)
  assert.equal(blocks, 120, `${blocks} blocks answered for ${fetchBytes} bytes of fetches`)
  await honestIntact(victim, honest, 200)
  raw.plug.close()
  await stop()
})

test('announcements of chains nobody sends cost one fetch entry each, and at most maxFetches are asked of one peer at a time', async () => {
  const { victim, honest, stop } = await scene({ limits: { maxFetches: 16 } })
  const raw = await claimer(victim)
  let asked = 0
  raw.on(m => { if (m[0] === 0x0a) { const d = decodeMessage(m); if (d.type === 'fetch') asked += d.entries.length } })
  const fake = Array.from({ length: 100 }, () => ({ chainId: crypto.getRandomValues(new Uint8Array(64)), height: 3 }))
  await raw.plug.postMessage(encodeHeads('have', fake.slice(0, 50)))
  await raw.plug.postMessage(encodeHeads('have', fake.slice(50)))
  await marker(raw, honest)
  assert.equal(asked, 16)
  await honestIntact(victim, honest, 2)
  raw.plug.close()
  await stop()
})

test('a peer that announces a chain and withholds it only delays it: after fetchTimeout another peer that announced it is asked', async () => {
  const { victim, honest, stop } = await scene({ limits: { fetchTimeout: 200 } })
  const raw = await claimer(victim)
  const chain = xChain(3, signPair().sk)
  const author = toHex(chain.first?.key as Uint8Array)
  const asked = raw.next(0x0a)
  await raw.plug.postMessage(encodeHeads('have', [{ chainId: chain.first?.sig as Uint8Array, height: 2 }]))
  await asked // the withholder was asked first, and never answers
  await honest.dispatch(chain) // the honest peer gets the chain and announces it too
  await until([victim], k => k.x[author] === 3)
  assert.ok(get(victim.$connections())?.some(p => p.nodeId === toHex(raw.key)), 'withholding is not a violation')
  await honestIntact(victim, honest, 2)
  raw.plug.close()
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

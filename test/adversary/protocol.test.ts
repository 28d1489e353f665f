// Adversary suite, sync protocol: attackers over real TCP and WebSocket against a
// `picostack node`, an honest peer syncing beside them. Each attack asserts the attacker is
// dropped (with the bye code of PROTOCOL.md) or limited, then that honest state and sync are intact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, fromHex, signPair } from '../../src/feed/index.js'
import { encodeSummary, encodeWant } from '../../src/kernel/protocol.js'
import { encodeBody } from '../../src/store/index.js'
import { byeCode, closed, scene } from './_scene.js'

const BYE = { version: 1, protocol: 2, invalidBlocks: 3, flood: 4, auth: 6 }

function blocksMessage (feed: Feed, corrupt?: number): Uint8Array {
  const body = feed.buffer.slice()
  if (corrupt !== undefined) body[corrupt] = (body[corrupt] as number) ^ 0x40
  const msg = new Uint8Array(1 + body.length)
  msg[0] = 0x03
  msg.set(body, 1)
  return msg
}

function noteChain (n: number, sk: string, start = 0): Feed {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(encodeBody('note', { text: `n${start + i}` }, Date.now()), sk)
  return f
}

test('adversary: protocol attacks over TCP and WebSocket against a node, an honest peer beside them', async t => {
  const s = await scene(t)

  await t.test('garbage bytes close the connection', async () => {
    const sock = await s.socket()
    sock.write(new Uint8Array(200).fill(0xab))
    await closed(sock)
    await s.intact()
  })

  await t.test('an old protocol version is refused with VersionMismatch', async () => {
    for (const peer of [await s.tcpPeer(), await s.wsPeer()]) {
      await peer.plug.postMessage(peer.hello(1))
      assert.equal(await byeCode(peer), BYE.version)
    }
    await s.intact()
  })

  await t.test('squatting: announcing the honest peer\'s node id without its key fails AuthFailed; the honest peer stays', async () => {
    for (const peer of [await s.tcpPeer(), await s.wsPeer()]) {
      const hello = peer.hello()
      hello.set(fromHex(s.honest.nodeId), 2)
      await peer.plug.postMessage(hello)
      await peer.plug.postMessage(await peer.auth())
      assert.equal(await byeCode(peer), BYE.auth)
    }
    await s.intact()
  })

  await t.test('messages before the handshake are a ProtocolError', async () => {
    const peer = await s.tcpPeer()
    await peer.plug.postMessage(encodeSummary([]))
    assert.equal(await byeCode(peer), BYE.protocol)
    await s.intact()
  })

  await t.test('a forged block, and a forged orphan, get the sender dropped with InvalidBlocks', async () => {
    const { sk } = signPair()
    const chain = noteChain(3, sk)
    for (const [peer, msg] of [
      [await s.tcpPeer(), blocksMessage(chain.slice(0, 1), 4 + 3)],
      [await s.wsPeer(), blocksMessage(chain.slice(2), 4 + 3)]
    ] as const) {
      await peer.greet()
      await peer.plug.postMessage(encodeSummary([]))
      await peer.plug.postMessage(msg)
      assert.equal(await byeCode(peer), BYE.invalidBlocks)
    }
    await s.intact()
  })

  await t.test('replayed blocks cost the node index reads only and change nothing', async () => {
    const peer = await s.tcpPeer()
    await peer.greet()
    await peer.plug.postMessage(encodeSummary([]))
    // The node's own chain comes back to it, many times over.
    const own = await peer.next(0x03)
    const before = s.notes()
    for (let i = 0; i < 50; i++) await peer.plug.postMessage(own)
    await s.intact()
    assert.equal(s.notes(), before + 2)
    peer.plug.close()
  })

  await t.test('a flood of valid orphans is capped by the mempool; the flooder pays a signature per block', async () => {
    const peer = await s.tcpPeer()
    await peer.greet()
    await peer.plug.postMessage(encodeSummary([]))
    const { sk } = signPair()
    const chain = noteChain(1 + 600, sk)
    // every block but the genesis, one message each: all orphans
    for (let i = 1; i < chain.length; i++) await peer.plug.postMessage(blocksMessage(chain.slice(i, i + 1)))
    await s.intact()
    peer.plug.close()
  })

  await t.test('want amplification: repeated wants are answered once', async () => {
    for (let i = 0; i < 30; i++) s.node.child.stdin.write(`filler ${i}\n`)
    await s.node.line(/^note count=\d+ author=[0-9a-f]+ text="filler 29"$/)
    const peer = await s.tcpPeer()
    await peer.greet()
    await peer.plug.postMessage(encodeSummary([]))
    const first = Feed.from((await peer.next(0x03)).subarray(1), true)
    let received = 0
    const author = first.first?.key as Uint8Array
    peer.on(m => {
      if (m[0] === 0x03 && Feed.from(m.subarray(1), true).first?.key.every((b, i) => b === author[i]) === true) received += m.length
    })
    let sent = 0
    const tip = first.last?.sig as Uint8Array
    for (let i = 0; i < 300; i++) {
      const w = encodeWant(tip)
      sent += w.length
      await peer.plug.postMessage(w)
    }
    await s.intact() // the wants were processed before the honest round trip
    // That chain once (wants on a chain start from genesis the first time), plus a note of the
    // honest round trip gossiped to every peer: not 300 times the chain.
    assert.ok(received <= first.buffer.length + 1024, `answered ${received} bytes to ${sent} bytes of wants`)
    peer.plug.close()
  })

  await t.test('a stranger cannot append to an honest author\'s chain: NotOwner, and the author\'s next block is no fork', async () => {
    const chain = await s.honest.feed() as Feed
    const tipSig = chain.last?.sig as Uint8Array
    const peer = await s.tcpPeer()
    let withTip = 0
    let onTip: () => void = () => {}
    peer.on(m => {
      if (m[0] !== 0x03) return
      const last = Feed.from(m.subarray(1), true).last
      if (last !== undefined && last.sig.every((b, i) => b === tipSig[i])) { withTip++; onTip() }
    })
    const tipSeen = (n: number): Promise<void> => new Promise(resolve => {
      onTip = () => { if (withTip >= n) resolve() }
      onTip()
    })
    await peer.greet()
    await peer.plug.postMessage(encodeSummary([]))
    await tipSeen(1) // the honest chain, in the answer to our summary
    const forged = chain.clone()
    forged.append(encodeBody('note', { text: 'written by a stranger' }, Date.now()), signPair().sk)
    const tip = forged.slice(forged.length - 1)
    await peer.plug.postMessage(blocksMessage(tip))
    // A want answered on the same connection: the block before it was processed.
    await peer.plug.postMessage(encodeWant(tipSig))
    await tipSeen(2)
    await s.intact()
    assert.ok(!s.node.lines.some(l => l.includes('written by a stranger')), 'the stranger\'s note was not counted')
    assert.equal(peer.plug.isClosed, false, 'a block the rules refuse is not a protocol violation')
    peer.plug.close()
  })

  await t.test('legal 100k-chain summaries cost memory in proportion to their bytes', async () => {
    const summary = encodeSummary(Array.from({ length: 100_000 }, (_, i) => {
      const chainId = new Uint8Array(16)
      chainId[0] = i & 255; chainId[1] = (i >> 8) & 255; chainId[2] = i >> 16
      return { chainId, height: i, tip: new Uint8Array(8) }
    }))
    const before = s.rss()
    const peers = await Promise.all(Array.from({ length: 8 }, () => s.tcpPeer()))
    for (const p of peers) {
      await p.greet()
      await p.plug.postMessage(summary)
    }
    await s.intact() // the summaries were decoded and answered meanwhile
    // 8 x 2.7 MB on the wire; an object per entry cost ~650 MB here before
    assert.ok(s.rss() - before < 96 * 1024 * 1024, `rss grew ${(s.rss() - before) >> 20} MiB for ${8 * summary.length >> 20} MiB of summaries`)
    for (const p of peers) p.plug.close()
  })

  await t.test('a window overrun is a Flood', async () => {
    const peer = await s.wsPeer()
    await peer.greet()
    const filler = encodeSummary(Array.from({ length: 100_000 }, () => ({ chainId: new Uint8Array(16), height: 0, tip: new Uint8Array(8) })))
    for (let i = 0; i < 5; i++) void peer.plug.postMessage(filler).catch(() => {})
    const code = await byeCode(peer)
    assert.ok(code === BYE.flood || code === BYE.protocol, `bye ${code}`) // a second summary is also a violation
    await s.intact()
  })
})

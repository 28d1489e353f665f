// joinRtc in Node against the real SignalRelay, with in-process stand-ins for the WebSocket and
// RTCPeerConnection (test/net/_fake-rtc.ts): who offers, candidate filtering both ways, links
// carrying conversations, leave, refusal by the relay, garbage from the relay, connect timeout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NetError, SignalRelay, joinRtc, loopbackCandidate, picoWire } from '../../src/net/index.js'
import type { MeshPeer, Plug, RtcMesh, RtcMeshOptions } from '../../src/net/index.js'
import { FakePeerConnection, fakeWebSocket } from './_fake-rtc.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

interface Page { mesh: RtcMesh, apps: Plug[], pcs: FakePeerConnection[] }

function page (ws: ReturnType<typeof fakeWebSocket>, options: RtcMeshOptions = {}): Page {
  const apps: Plug[] = []
  const pcs: FakePeerConnection[] = []
  class Pc extends FakePeerConnection {
    constructor (config: { iceServers: unknown[] }) { super(config); pcs.push(this) }
  }
  const mesh = joinRtc('ws://relay.test/signal', () => { const [app, loose] = picoWire(); apps.push(app); return loose }, {
    room: 'room', RTCPeerConnection: Pc, WebSocket: ws.WebSocket, candidateFilter: loopbackCandidate, ...options
  })
  return { mesh, apps, pcs }
}

/** Resolves with the mesh's links once there are `n`. */
function links (mesh: RtcMesh, n: number): Promise<MeshPeer[]> {
  return new Promise(resolve => {
    const check = (): boolean => { if (mesh.peers.length < n) return false; resolve(mesh.peers); return true }
    if (check()) return
    const off = mesh.on('peer', () => { if (check()) off() })
  })
}

test('joinRtc: three pages connect pairwise, the smaller id offers, ICE is filtered both ways', async () => {
  const relay = new SignalRelay({ pingInterval: 0 })
  const ws = fakeWebSocket(relay)
  const pages: Page[] = []
  for (let i = 0; i < 3; i++) {
    const p = page(ws)
    await p.mesh.ready
    pages.push(p)
  }
  const all = await Promise.all(pages.map(p => links(p.mesh, 2)))
  for (const [i, p] of pages.entries()) {
    assert.match(p.mesh.id as string, /^[0-9a-f]{16}$/)
    assert.deepEqual(new Set(all[i]?.map(l => l.id)), new Set(pages.filter(q => q !== p).map(q => q.mesh.id)))
    for (const l of all[i] as MeshPeer[]) assert.equal(l.transport, 'webrtc')
    for (const pc of p.pcs) {
      assert.deepEqual(pc.config.iceServers, [])
      // one role per connection, and the offerer is the page with the smaller id
      assert.equal(pc.offers + pc.answers, 1)
      const remoteOwner = pages.find(q => q.pcs.some(x => (pc.remoteDescription?.sdp ?? '').includes(`x-token:${x.token}\r\n`))) as Page
      assert.equal(pc.offers === 1, (p.mesh.id as string) < (remoteOwner.mesh.id as string))
      // only loopback candidates crossed, in descriptions and trickled
      assert.ok(!(pc.remoteDescription?.sdp ?? '').includes('10.0.0.1'))
      assert.ok(pc.added.every(c => c === '' || loopbackCandidate(c)))
      assert.ok(pc.added.some(c => loopbackCandidate(c)))
    }
  }
  // a link carries a conversation
  const [first, second] = pages as [Page, Page]
  for (const p of pages.slice(1)) for (const app of p.apps) app.open(async (m, reply) => { await reply?.(enc(`${dec(m)} back`)) }).catch(() => {})
  const [asker, other] = first.apps as [Plug, Plug]
  other.open(() => {}).catch(() => {})
  await asker.open(() => {})
  const [answer] = await asker.postMessage(enc('there and'), true)
  assert.equal(dec(answer), 'there and back')
  assert.ok(first.mesh.peers.some(l => l.bytesOut > 0))
  // a page leaving: the others see its links go
  const left = new Promise<[MeshPeer, Error | null]>(resolve => { const off = first.mesh.on('leave', (l, e) => { off(); resolve([l, e]) }) })
  const third = pages[2] as Page
  third.mesh.close()
  const [gone] = await left
  assert.ok(gone.id === third.mesh.id || gone.id === second.mesh.id)
  assert.equal(await third.mesh.signalClosed, null)
  for (const p of pages) p.mesh.close()
  relay.close()
})

test('joinRtc: the relay refusing the page rejects ready with SignalRefused', async () => {
  const relay = new SignalRelay({ pingInterval: 0, maxPeersPerRoom: 1 })
  const ws = fakeWebSocket(relay)
  const one = page(ws)
  await one.mesh.ready
  const two = page(ws)
  await assert.rejects(two.mesh.ready, (err: NetError) => err instanceof NetError && err.code === 'SignalRefused' && /RoomFull/.test(err.message))
  const closed = await two.mesh.signalClosed
  assert.equal((closed as NetError).code, 'SignalRefused')
  one.mesh.close()
  two.mesh.close()
  relay.close()
  assert.throws(() => joinRtc('ws://x', () => picoWire()[0], { room: 'bad room', WebSocket: ws.WebSocket, RTCPeerConnection: FakePeerConnection }), TypeError)
  assert.throws(() => joinRtc('ws://x', () => picoWire()[0], { WebSocket: ws.WebSocket }), TypeError)
  assert.throws(() => joinRtc('ws://x', () => picoWire()[0], { WebSocket: ws.WebSocket, RTCPeerConnection: FakePeerConnection, maxPeers: 0 }), RangeError)
})

test('joinRtc: garbage from the relay is ignored; the page still meets the next one', async () => {
  const relay = new SignalRelay({ pingInterval: 0 })
  const ws = fakeWebSocket(relay)
  const one = page(ws)
  await one.mesh.ready
  const socket = ws.sockets[0] as (typeof ws.sockets)[0]
  for (const junk of ['', 'x', '{}', '[]', 'null', '{"type":"welcome","id":"00","peers":[]}', '{"type":"signal","peer":"0000000000000000","data":{"kind":"offer","sdp":1}}',
    '{"type":"signal","peer":"0000000000000000","data":{"kind":"answer","sdp":"v=0"}}', '{"type":"leave","peer":"zz"}']) socket.inject(junk)
  const two = page(ws)
  await Promise.all([links(one.mesh, 1), links(two.mesh, 1)])
  one.mesh.close()
  two.mesh.close()
  relay.close()
})

test('joinRtc: a connection that never opens is dropped after connectTimeout', async () => {
  const relay = new SignalRelay({ pingInterval: 0 })
  const ws = fakeWebSocket(relay)
  FakePeerConnection.stall = true
  try {
    const one = page(ws, { connectTimeout: 30 })
    await one.mesh.ready
    const two = page(ws, { connectTimeout: 30 })
    await two.mesh.ready
    const pcs = (): FakePeerConnection[] => [...one.pcs, ...two.pcs]
    while (pcs().length < 2 || pcs().some(pc => pc.connectionState !== 'closed')) await new Promise(resolve => setTimeout(resolve, 5))
    assert.deepEqual(one.mesh.peers, [])
    one.mesh.close()
    two.mesh.close()
  } finally {
    FakePeerConnection.stall = false
    relay.close()
  }
})

test('joinRtc: with reconnect, pages join again after the relay restarts and meet newcomers', async () => {
  let relay = new SignalRelay({ pingInterval: 0 })
  const ws = fakeWebSocket(() => relay)
  const one = page(ws, { reconnect: 5 })
  await one.mesh.ready
  const two = page(ws, { reconnect: 5 })
  await two.mesh.ready
  await Promise.all([links(one.mesh, 1), links(two.mesh, 1)])
  const firstId = one.mesh.id
  const old = relay
  relay = new SignalRelay({ pingInterval: 0 })
  old.close() // the node goes away and comes back: pages rejoin with new ids
  const three = page(ws)
  await three.mesh.ready
  await links(three.mesh, 2)
  assert.notEqual(one.mesh.id, firstId)
  assert.ok(one.mesh.peers.length >= 2) // the old link stays; the kernel would drop a duplicate
  for (const p of [one, two, three]) p.mesh.close()
  assert.equal(await one.mesh.signalClosed, null)
  relay.close()
})

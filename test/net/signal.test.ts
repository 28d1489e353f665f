// The WebRTC signalling relay: routing on the node's http server, relaying within a room, and
// every bound (size, rate, room size, rooms, join timeout, garbage) with its close code; the
// relay never sends more bytes than it was sent. Property tests of the protocol's parsers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { WebSocket, WebSocketServer } from 'ws'
import { SIGNAL_CLOSE_CODES, SignalRelay } from '../../src/net/index.js'
import type { SignalRelayOptions, SignalSocket } from '../../src/net/index.js'
import { encodeSignalMessage, parseClientMessage, parseServerMessage, signalData } from '../../src/net/signal-protocol.js'
import type { ServerMessage, SignalData } from '../../src/net/signal-protocol.js'
import { mountSignal } from '../../src/cli/signal.js'

/** A node-like http server with the relay mounted at /signal and a sync ws server behind it. */
async function node (options?: SignalRelayOptions): Promise<{ url: string, sync: WebSocketServer, relay: SignalRelay, close: () => Promise<void> }> {
  const http = createServer((_req, res) => { res.writeHead(426).end() })
  const sync = new WebSocketServer({ noServer: true })
  const mounted = mountSignal(http, sync, options)
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const { port } = http.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    sync,
    relay: mounted.relay,
    async close () {
      mounted.close()
      for (const ws of sync.clients) ws.terminate()
      sync.close()
      http.closeAllConnections()
      await new Promise<void>(resolve => http.close(() => resolve()))
    }
  }
}

/** A page's signalling client: queued messages, the close code. */
class Client {
  readonly ws: WebSocket
  readonly inbox: ServerMessage[] = []
  readonly raw: string[] = []
  #waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number, reason: string }>

  constructor (url: string) {
    this.ws = new WebSocket(url + '/signal')
    this.ws.on('message', (data: Buffer) => {
      const text = data.toString()
      this.raw.push(text)
      const m = parseServerMessage(text)
      assert.ok(m !== null, `the relay sent a message outside the grammar: ${text}`)
      this.inbox.push(m)
      for (const w of this.#waiters.splice(0)) w()
    })
    this.closed = new Promise(resolve => this.ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
  }

  opened (): Promise<unknown> { return this.ws.readyState === WebSocket.OPEN ? Promise.resolve() : once(this.ws, 'open') }
  send (m: unknown): void { this.ws.send(typeof m === 'string' ? m : JSON.stringify(m)) }

  /** The next message matching `pred` (already received or to come). */
  async take<T extends ServerMessage> (pred: (m: ServerMessage) => boolean): Promise<T> {
    for (;;) {
      const i = this.inbox.findIndex(pred)
      if (i >= 0) return this.inbox.splice(i, 1)[0] as T
      await new Promise<void>(resolve => this.#waiters.push(resolve))
    }
  }

  async join (room = 'r'): Promise<{ id: string, peers: string[] }> {
    await this.opened()
    this.send({ type: 'join', room })
    return await this.take<Extract<ServerMessage, { type: 'welcome' }>>(m => m.type === 'welcome')
  }
}

const offer = (sdp = 'v=0\r\n'): SignalData => ({ kind: 'offer', sdp })

test('signal: /signal goes to the relay, other paths to the sync server; a room relays offers', async () => {
  const n = await node()
  try {
    const syncConn = once(n.sync, 'connection')
    const plain = new WebSocket(n.url + '/')
    await Promise.all([syncConn, once(plain, 'open')])
    plain.close()
    const a = new Client(n.url)
    const b = new Client(n.url)
    const wa = await a.join()
    const wb = await b.join()
    assert.deepEqual(wa.peers, [])
    assert.deepEqual(wb.peers, [wa.id])
    assert.notEqual(wa.id, wb.id)
    const sent = JSON.stringify({ type: 'signal', peer: wa.id, data: offer('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n') })
    b.send(sent)
    const got = await a.take<Extract<ServerMessage, { type: 'signal' }>>(m => m.type === 'signal')
    assert.equal(got.peer, wb.id)
    assert.deepEqual(got.data, offer('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'))
    assert.ok((a.raw.at(-1) as string).length <= sent.length)
    assert.equal(n.relay.stats.relayed, 1)
    assert.equal(n.relay.stats.peers, 2)
    assert.equal(n.relay.stats.rooms, 1)
    // a page told of a page it signalled with, when that page leaves
    const c = new Client(n.url)
    const wc = await c.join()
    b.ws.close()
    const left = await a.take<Extract<ServerMessage, { type: 'leave' }>>(m => m.type === 'leave')
    assert.equal(left.peer, wb.id)
    // c never signalled with b: a round trip c -> a -> c proves c got no leave before it
    c.send({ type: 'signal', peer: wa.id, data: { kind: 'hello' } })
    await a.take(m => m.type === 'signal' && m.peer === wc.id)
    a.send({ type: 'signal', peer: wc.id, data: { kind: 'hello' } })
    await c.take(m => m.type === 'signal')
    assert.equal(c.inbox.some(m => m.type === 'leave'), false)
    a.ws.close()
    c.ws.close()
  } finally {
    await n.close()
  }
})

test('signal: two http servers can share one relay (one set of rooms)', async () => {
  const one = await node()
  const http = createServer()
  const sync = new WebSocketServer({ noServer: true })
  const shared = mountSignal(http, sync, one.relay)
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  try {
    const a = new Client(one.url)
    const b = new Client(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`)
    const wa = await a.join()
    const wb = await b.join()
    assert.deepEqual(wb.peers, [wa.id])
    a.ws.close()
    b.ws.close()
  } finally {
    shared.close()
    sync.close()
    http.closeAllConnections()
    await new Promise<void>(resolve => http.close(() => resolve()))
    await one.close()
  }
})

test('signal: an unknown target is dropped and the sender stays', async () => {
  const n = await node()
  try {
    const a = new Client(n.url)
    const b = new Client(n.url)
    const wa = await a.join('one')
    await b.join('two') // another room: unknown to a
    const d = new Client(n.url)
    const wd = await d.join('one')
    a.send({ type: 'signal', peer: 'ffffffffffffffff', data: { kind: 'hello' } })
    a.send({ type: 'signal', peer: wa.id, data: { kind: 'hello' } }) // to itself
    a.send({ type: 'signal', peer: wd.id, data: { kind: 'hello' } })
    await d.take(m => m.type === 'signal')
    assert.equal(n.relay.stats.relayed, 1)
    assert.equal(n.relay.stats.dropped, 2)
    assert.equal(a.ws.readyState, WebSocket.OPEN)
    for (const c of [a, b, d]) c.ws.close()
  } finally {
    await n.close()
  }
})

test('signal: garbage closes the connection with BadSignal (4400)', async () => {
  const n = await node()
  try {
    const cases: Array<(c: Client, peer: string) => void> = [
      c => c.send('not json'),
      c => c.ws.send(new Uint8Array([1, 2, 3])),
      c => c.send({ type: 'join', room: 'r', extra: 1 }),
      c => c.send({ type: 'join', room: 'r' }), // a second join
      c => c.send({ type: 'what' }),
      (c, peer) => c.send({ type: 'signal', peer, data: { kind: 'offer', sdp: 1 } }),
      (c, peer) => c.send({ type: 'signal', peer, data: { kind: 'hello', x: 1 } }),
      // a message the relay would have to enlarge (1e4 becomes 10000)
      (c, peer) => c.send(`{"type":"signal","peer":"${peer}","data":{"kind":"candidate","candidate":"","sdpMid":null,"sdpMLineIndex":1e4}}`)
    ]
    const other = new Client(n.url)
    const { id: peer } = await other.join()
    for (const bad of cases) {
      const c = new Client(n.url)
      await c.join()
      bad(c, peer)
      const { code, reason } = await c.closed
      assert.equal(code, SIGNAL_CLOSE_CODES.BadSignal, `case ${bad.toString()}`)
      assert.equal(reason, 'BadSignal')
    }
    // a signal before join
    const early = new Client(n.url)
    await early.opened()
    early.send({ type: 'signal', peer, data: { kind: 'hello' } })
    assert.equal((await early.closed).code, SIGNAL_CLOSE_CODES.BadSignal)
    assert.equal(other.ws.readyState, WebSocket.OPEN)
    assert.equal(n.relay.stats.closed.BadSignal, cases.length + 1)
    other.ws.close()
  } finally {
    await n.close()
  }
})

test('signal: size, rate, room and rooms bounds close with their codes', async () => {
  const n = await node({ maxMessageSize: 1024, rate: 1, burst: 2, maxPeersPerRoom: 2, maxRooms: 2 })
  try {
    const big = new Client(n.url)
    const { id } = await big.join('a')
    big.send({ type: 'signal', peer: id, data: offer('x'.repeat(2000)) })
    assert.equal((await big.closed).code, 1009) // ws refuses it before buffering it (maxPayload)

    const flood = new Client(n.url)
    await flood.join('a')
    for (let i = 0; i < 20; i++) flood.send({ type: 'signal', peer: 'ffffffffffffffff', data: { kind: 'hello' } })
    const { code, reason } = await flood.closed
    assert.equal(code, SIGNAL_CLOSE_CODES.RateLimited)
    assert.equal(reason, 'RateLimited')

    const p1 = new Client(n.url)
    const p2 = new Client(n.url)
    await p1.join('b')
    await p2.join('b')
    const p3 = new Client(n.url)
    await p3.opened()
    p3.send({ type: 'join', room: 'b' })
    assert.equal((await p3.closed).code, SIGNAL_CLOSE_CODES.RoomFull)

    const q1 = new Client(n.url)
    await q1.join('c')
    const q2 = new Client(n.url)
    await q2.opened()
    q2.send({ type: 'join', room: 'd' }) // rooms: b and c exist (a emptied)
    assert.equal((await q2.closed).code, SIGNAL_CLOSE_CODES.TooManyRooms)
    for (const c of [p1, p2, q1]) c.ws.close()
  } finally {
    await n.close()
  }
})

test('signal: a page that never joins is closed with JoinTimeout (4408)', async () => {
  const n = await node({ joinTimeout: 50 })
  try {
    const c = new Client(n.url)
    assert.equal((await c.closed).code, SIGNAL_CLOSE_CODES.JoinTimeout)
  } finally {
    await n.close()
  }
})

/** An in-process socket for the relay, recording what it is sent. */
class FakeSocket implements SignalSocket {
  readyState = 1
  bufferedAmount = 0
  readonly sent: string[] = []
  closedWith: [number | undefined, string | undefined] | null = null
  terminated = false
  pings = 0
  readonly #listeners = new Map<string, Array<(e: { data?: unknown }) => void>>()
  #pong: (() => void) | null = null
  send (data: string): void { this.sent.push(data) }
  close (code?: number, reason?: string): void {
    if (this.readyState === 3) return
    this.closedWith = [code, reason]
    this.readyState = 3
    this.emit('close')
  }

  terminate (): void { this.terminated = true; this.close() }
  ping (): void { this.pings++ }
  on (_event: 'pong', listener: () => void): void { this.#pong = listener }
  pong (): void { this.#pong?.() }
  addEventListener (type: string, listener: (e: { data?: unknown }) => void): void {
    const l = this.#listeners.get(type) ?? []
    l.push(listener)
    this.#listeners.set(type, l)
  }

  emit (type: string, data?: unknown): void { for (const l of this.#listeners.get(type) ?? []) l({ data }) }
  message (m: unknown): void { this.emit('message', typeof m === 'string' ? m : JSON.stringify(m)) }
}

test('signal: a message above maxMessageSize without ws maxPayload closes with TooLarge (4413)', () => {
  const relay = new SignalRelay({ maxMessageSize: 100, pingInterval: 0 })
  const s = new FakeSocket()
  relay.handle(s)
  s.message({ type: 'join', room: 'x'.repeat(40) })
  s.message('x'.repeat(101))
  assert.deepEqual(s.closedWith, [SIGNAL_CLOSE_CODES.TooLarge, 'TooLarge'])
  relay.close()
})

test('signal: a page that misses a ping is dropped; close() closes everyone with Closing', async () => {
  const relay = new SignalRelay({ pingInterval: 20 })
  const quiet = new FakeSocket()
  const alive = new FakeSocket()
  alive.ping = () => { alive.pings++; queueMicrotask(() => alive.pong()) } // answers every ping at once
  relay.handle(quiet)
  relay.handle(alive)
  while (!quiet.terminated) await new Promise(resolve => setTimeout(resolve, 10))
  assert.ok(quiet.pings >= 1)
  assert.equal(alive.readyState, 1)
  relay.close()
  assert.deepEqual(alive.closedWith, [SIGNAL_CLOSE_CODES.Closing, 'Closing'])
  const late = new FakeSocket()
  relay.handle(late)
  assert.deepEqual(late.closedWith, [SIGNAL_CLOSE_CODES.Closing, 'Closing'])
})

const arbId = fc.stringMatching(/^[0-9a-f]{16}$/)
const arbData: fc.Arbitrary<SignalData> = fc.oneof(
  fc.constant({ kind: 'hello' as const }),
  fc.record({ kind: fc.constantFrom('offer' as const, 'answer' as const), sdp: fc.string({ maxLength: 300, unit: 'binary' }) }),
  fc.record({
    kind: fc.constant('candidate' as const),
    candidate: fc.string({ maxLength: 200 }),
    sdpMid: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
    sdpMLineIndex: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null })
  })
)

test('signal: the parsers never throw, round-trip their grammar, and refuse any extra key', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.string(), (value, s) => {
    parseClientMessage(JSON.stringify(value))
    parseServerMessage(JSON.stringify(value))
    parseClientMessage(s)
    parseServerMessage(s)
    signalData(value)
  }), { numRuns: 1000 })
  fc.assert(fc.property(arbId, arbData, (peer, data) => {
    const m = JSON.parse(JSON.stringify({ type: 'signal' as const, peer, data })) as { type: 'signal', peer: string, data: SignalData }
    assert.deepEqual(parseClientMessage(encodeSignalMessage(m)), m)
    assert.deepEqual(parseServerMessage(encodeSignalMessage(m)), m)
    assert.equal(parseClientMessage(JSON.stringify({ ...m, more: 1 })), null)
    assert.equal(parseClientMessage(JSON.stringify({ ...m, data: { ...data, more: 1 } })), null)
  }))
  fc.assert(fc.property(arbId, fc.array(arbId, { maxLength: 20 }), (id, peers) => {
    const m = { type: 'welcome' as const, id, peers }
    assert.deepEqual(parseServerMessage(encodeSignalMessage(m)), m)
  }))
  for (const bad of [null, 1, '', '[]', '{"type":"join","room":""}', '{"type":"join","room":"a b"}', '{"type":"signal","peer":"ABCDEFABCDEFABCD","data":{"kind":"hello"}}']) {
    assert.equal(parseClientMessage(bad), null, String(bad))
  }
})

test('signal: for any message, the relay sends on at most the bytes it received, and never throws', () => {
  const relay = new SignalRelay({ pingInterval: 0, burst: 1_000_000, rate: 1_000_000 })
  const a = new FakeSocket()
  const b = new FakeSocket()
  relay.handle(a)
  relay.handle(b)
  a.message({ type: 'join', room: 'p' })
  b.message({ type: 'join', room: 'p' })
  const idA = (JSON.parse(a.sent[0] as string) as { id: string }).id
  const enc = new TextEncoder()
  let relayedBefore = 0
  fc.assert(fc.property(arbData, fc.constantFrom('', ' ', '\n  '), (data, space) => {
    const text = JSON.stringify({ type: 'signal', peer: idA, data }, null, space)
    const before = a.sent.length
    b.message(text)
    if (b.readyState !== 1) return
    assert.equal(a.sent.length, before + 1)
    assert.ok(enc.encode(a.sent.at(-1) as string).byteLength <= enc.encode(text).byteLength)
    relayedBefore++
  }))
  assert.equal(relay.stats.relayed, relayedBefore)
  // random text from a joined page: a typed close at worst, never a throw
  fc.assert(fc.property(fc.string({ maxLength: 200 }), s => {
    const c = new FakeSocket()
    relay.handle(c)
    c.message({ type: 'join', room: 'q' })
    c.message(s)
    if (c.closedWith !== null) assert.ok(Object.values(SIGNAL_CLOSE_CODES).includes(c.closedWith[0] as never))
    c.close()
  }))
  relay.close()
})

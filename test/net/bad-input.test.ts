// Bad input on one connection closes that connection with a typed error, leaks no timers or
// listeners, and leaves the process and the other connections alone.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { describe, it } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { Hub, encodeFrame, encodePacket, fromStream, streamWire, wsWire } from '../../src/net/index.js'
import type { Plug, TransportOptions } from '../../src/net/index.js'
import { dec, deferred, enc } from './wire-conformance.js'

const timers = (): number => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
const LISTENED = ['data', 'end', 'drain', 'error', 'close'] as const

interface Closed { node: Plug, error: Error | null, socket: net.Socket }
/** Listener counts of a socket before the transport was attached (net.Socket has its own). */
const before = new WeakMap<net.Socket, number[]>()
const socketClosed = new WeakMap<net.Socket, Promise<unknown>>()
const listenerCounts = (s: net.Socket): number[] => LISTENED.map(ev => s.listenerCount(ev))

/** An echo hub behind a TCP server; reports every node that leaves, with its server socket. */
async function tcpHub (options?: TransportOptions) {
  const left: Closed[] = []
  const sockets = new Map<Plug, net.Socket>()
  const waiters: Array<(c: Closed) => void> = []
  const hub = new Hub({
    onmessage: async (msg, reply) => { await reply?.(msg) },
    onclose: (node, error) => {
      const c = { node, error, socket: sockets.get(node) as net.Socket }
      left.push(c)
      waiters.shift()?.(c)
    }
  })
  const server = net.createServer(socket => {
    before.set(socket, listenerCounts(socket))
    socketClosed.set(socket, once(socket, 'close'))
    streamWire(hub.createWire(node => sockets.set(node, socket)), socket, options)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    hub,
    port,
    nextClose: () => new Promise<Closed>(resolve => waiters.push(resolve)),
    async raw (): Promise<net.Socket> {
      const s = net.connect(port, '127.0.0.1')
      await once(s, 'connect')
      s.on('error', () => {}) // the server may reset us
      return s
    },
    async teardown () {
      hub.close()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** A good client that keeps talking to the hub. */
async function goodClient (port: number): Promise<Plug> {
  const plug = fromStream(net.connect(port, '127.0.0.1'))
  await plug.open(() => {})
  return plug
}

async function assertEcho (plug: Plug, text: string): Promise<void> {
  const [answer] = await plug.postMessage(enc(text), true)
  assert.equal(dec(answer), text)
}

const cases: Array<[string, string, (s: net.Socket) => void]> = [
  ['garbage bytes', 'ProtocolError', s => s.write(new Uint8Array([0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0x77, 0x55]))],
  ['a frame length below the header size', 'ProtocolError', s => s.write(new Uint8Array([0, 0, 0, 2, 1, 2]))],
  ['an oversized frame length', 'FrameTooLarge', s => s.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]))],
  ['a truncated frame', 'TruncatedFrame', s => s.end(encodeFrame(0, 0, 0, new Uint8Array(100)).subarray(0, 40))],
  ['a reply to an unknown port', 'UnknownPort', s => s.write(encodeFrame(999, 0, 0, enc('hi')))],
  ['an error packet without a conversation', 'ProtocolError', s => s.write(encodeFrame(0, 0, 2, enc('x')))]
]

describe('bad input over TCP', () => {
  for (const [what, code, send] of cases) {
    it(`${what} closes that connection with ${code}`, async () => {
      const t = await tcpHub()
      const good = await goodClient(t.port)
      await assertEcho(good, 'before')
      const baseline = timers()
      const bad = await t.raw()
      const badClosed = once(bad, 'close')
      const closing = t.nextClose()
      send(bad)
      const { error, socket } = await closing
      assert.equal((error as { code?: string } | null)?.code, code)
      await badClosed
      await socketClosed.get(socket)
      assert.deepEqual(listenerCounts(socket), before.get(socket), 'listeners left on the socket')
      assert.equal(timers(), baseline)
      await assertEcho(good, 'after') // the other connection is unaffected
      assert.equal(t.hub.count, 1)
      good.close()
      await t.teardown()
    })
  }

  it('a peer that never answers is closed with PeerTimeout; pending waits reject with it', async () => {
    const t = await tcpHub({ idleTimeout: 100 })
    const good = await goodClient(t.port)
    const baseline = timers()
    const opened = new Promise<Plug>(resolve => {
      const check = (): void => { const n = t.hub.nodes.find(x => x !== t.hub.nodes[0]); if (n !== undefined) resolve(n); else setImmediate(check) }
      check()
    })
    const silent = await t.raw() // reads everything, writes nothing, not even a pong
    silent.resume()
    const node = await opened
    const closing = t.nextClose()
    await assert.rejects(node.postMessage(enc('are you there?'), true, { timeout: 60_000 }), { code: 'PeerTimeout' })
    const { error, socket } = await closing
    assert.equal((error as { code?: string }).code, 'PeerTimeout')
    await socketClosed.get(socket)
    assert.deepEqual(listenerCounts(socket), before.get(socket), 'listeners left on the socket')
    assert.equal(timers(), baseline)
    await assertEcho(good, 'still here')
    good.close()
    silent.destroy()
    await t.teardown()
  })

  it('a slow answerer is not a dead peer: pings keep the connection while the wait times out alone', async () => {
    const t = await tcpHub({ idleTimeout: 40 })
    const slowDone = deferred()
    const client = fromStream(net.connect(t.port, '127.0.0.1'), { idleTimeout: 40 })
    // the client answers pings (its transport does) but its application never replies
    client.open(() => { slowDone.resolve() })
    const node = await new Promise<Plug>(resolve => { const c = (): void => { const n = t.hub.nodes[0]; if (n) resolve(n); else setImmediate(c) }; c() })
    await assert.rejects(node.postMessage(enc('think hard'), true, { timeout: 200 }), { code: 'Timeout' })
    await slowDone.promise
    assert.equal(node.isClosed, false)
    const [answer] = await client.postMessage(enc('echo'), true)
    assert.equal(dec(answer), 'echo')
    client.close()
    await t.teardown()
  })

  it('backpressure: sends wait while the socket buffer is full', async () => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const accepted = once(server, 'connection')
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    const [peer] = await accepted as [net.Socket]
    peer.pause() // the peer reads nothing for now
    const plug = fromStream(socket)
    await plug.open(() => {})
    const chunk = new Uint8Array(64 * 1024)
    let sent = 0
    const N = 400 // 25 MiB: far more than the socket buffers hold
    const sending = (async () => { for (let i = 0; i < N; i++) { await plug.postMessage(chunk); sent++ } })()
    while (!socket.writableNeedDrain) await new Promise(resolve => setImmediate(resolve))
    const stalledAt = sent
    for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve))
    assert.ok(sent <= stalledAt + 1, `sender kept going: ${stalledAt} -> ${sent}`)
    assert.ok(sent < N)
    let received = 0
    peer.on('data', (c: Uint8Array) => { received += c.byteLength })
    peer.resume()
    await sending
    assert.equal(sent, N)
    plug.close()
    await once(peer, 'end')
    assert.equal(received, N * (chunk.byteLength + 13))
    peer.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
})

describe('bad input over WebSocket', () => {
  const wsCases: Array<[string, string, (ws: WebSocket) => void]> = [
    ['a text message', 'ProtocolError', ws => ws.send('hello')],
    ['a short packet', 'ProtocolError', ws => ws.send(new Uint8Array([1, 2, 3]))],
    ['unknown flags', 'ProtocolError', ws => ws.send(encodePacket(0, 0, 0x40, enc('x')))],
    ['a reply to an unknown port', 'UnknownPort', ws => ws.send(encodePacket(77, 0, 0, enc('x')))],
    ['an oversized message', 'FrameTooLarge', ws => ws.send(new Uint8Array(2000))]
  ]
  for (const [what, code, send] of wsCases) {
    it(`${what} closes that connection with ${code}`, async () => {
      const left: Array<Error | null> = []
      const closing = deferred()
      const hub = new Hub({
        onmessage: async (msg, reply) => { await reply?.(msg) },
        onclose: (_node, error) => { left.push(error); closing.resolve() }
      })
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
      wss.on('connection', ws => wsWire(hub.createWire(), ws, { maxFrameSize: 1000 }))
      await once(wss, 'listening')
      const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`
      const good = new WebSocket(url)
      const goodPlug = (await import('../../src/net/index.js')).fromWebSocket(good)
      await goodPlug.open(() => {})
      await assertEcho(goodPlug, 'before')
      const bad = new WebSocket(url)
      await once(bad, 'open')
      const badClosed = once(bad, 'close')
      send(bad)
      await closing.promise
      assert.equal((left[0] as { code?: string } | null)?.code, code)
      const [closeCode] = await badClosed as [number]
      assert.equal(closeCode, 4000)
      await assertEcho(goodPlug, 'after')
      goodPlug.close()
      await goodPlug.closed
      hub.close()
      await new Promise<void>(resolve => wss.close(() => resolve()))
    })
  }
})

// Every bound a transport puts on a hostile peer, crossed over real TCP and WebSocket
// connections on 127.0.0.1: silence, a missing first frame, dripped frames, stalled giant frames,
// pings (or questions) from a peer that never reads. Small timeouts; the tests await the close
// events and never assert on durations.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { describe, it } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { FrameDecoder, Hub, MIN_BODY, encodeFrame, encodePacket, fromStream, fromWebSocket, streamWire, wsWire } from '../../src/net/index.js'
import type { StreamOptions, WebSocketLike, WebSocketOptions } from '../../src/net/index.js'
import { dec, enc } from './wire-conformance.js'

const PING = encodeFrame(0, 0, 4, new Uint8Array(0))
const codeOf = (err: Error | null): string | undefined => (err as { code?: string } | null)?.code
const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/**
 * Writes `bursts` × 5000 copies of `ping` (as fast as the socket takes them), then one every
 * 10 ms, so the peer is never silent: only the stalled write buffer can end the connection.
 * Resolves with the close error.
 */
async function flood (s: net.Socket, ping: Uint8Array, bursts: number, closing: Promise<Error | null>): Promise<Error | null> {
  let open = true
  void closing.then(() => { open = false })
  const burst = new Uint8Array(ping.byteLength * 5000)
  for (let i = 0; i < 5000; i++) burst.set(ping, i * ping.byteLength)
  for (let i = 0; i < bursts && open; i++) {
    if (!s.write(burst)) await Promise.race([once(s, 'drain'), closing])
  }
  const keep = setInterval(() => { if (!s.destroyed) s.write(ping) }, 10)
  try {
    return await closing
  } finally {
    clearInterval(keep)
  }
}

/**
 * Sends 8 questions of 1 MiB whose echoes fill every buffer between the echo server and `s` (which
 * reads nothing), and waits until they are all answered. Returns a function that reads the bytes
 * then queued in the server's socket (`writableLength` / `bufferedAmount`) as of that moment.
 */
async function fillUp (s: net.Socket, question: Uint8Array, srv: net.Socket | WebSocket, full: () => boolean): Promise<() => number> {
  const queued = (): number => srv instanceof WebSocket ? srv.bufferedAmount : srv.writableLength
  let last = -1
  let same = 0
  for (let i = 0; i < 8; i++) s.write(question)
  // answered when the queue stops growing above the high-water mark
  while (!full() || same < 20) {
    await tick()
    const now = queued()
    same = now === last ? same + 1 : 0
    last = now
  }
  return () => last
}

interface Server {
  port: number
  /** Server-side sockets, in accept order. */
  sockets: net.Socket[]
  /** The close error of the next node (connection) that closes. */
  nextClose (): Promise<Error | null>
  /** A raw client; it reads (and drops) what it gets until paused. */
  raw (localAddress?: string): Promise<net.Socket>
  close (): Promise<void>
}

/** An echo hub behind a TCP server whose connections use `options`. */
async function server (options: StreamOptions): Promise<Server> {
  const waiters: Array<(e: Error | null) => void> = []
  const closed: Array<Error | null> = []
  const hub = new Hub({
    onmessage: async (msg, reply) => { await reply?.(msg) },
    onclose: (_node, error) => { const w = waiters.shift(); if (w !== undefined) w(error); else closed.push(error) }
  })
  const sockets: net.Socket[] = []
  const srv = net.createServer(socket => { sockets.push(socket); streamWire(hub.createWire(), socket, options) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as net.AddressInfo
  const clients: net.Socket[] = []
  return {
    port,
    sockets,
    nextClose: () => closed.length > 0 ? Promise.resolve(closed.shift() as Error | null) : new Promise(resolve => waiters.push(resolve)),
    async raw (localAddress?: string) {
      const s = net.connect({ port, host: '127.0.0.1', ...(localAddress !== undefined ? { localAddress } : {}) })
      s.on('error', () => {})
      s.resume()
      clients.push(s)
      await once(s, 'connect')
      return s
    },
    async close () {
      for (const c of clients) c.destroy()
      hub.close()
      await new Promise<void>(resolve => srv.close(() => resolve()))
    }
  }
}

describe('bounds over TCP', () => {
  it('a connection that stays silent is closed with PeerTimeout', async () => {
    const t = await server({ idleTimeout: 200 })
    const s = await t.raw()
    const closed = once(s, 'close')
    assert.equal(codeOf(await t.nextClose()), 'PeerTimeout')
    await closed
    await t.close()
  })

  it('a connection that sends no complete frame is closed with HandshakeTimeout', async () => {
    const t = await server({ idleTimeout: 0, handshakeTimeout: 200 })
    const s = await t.raw()
    s.write(PING.subarray(0, 5)) // some bytes, but no frame
    assert.equal(codeOf(await t.nextClose()), 'HandshakeTimeout')
    await t.close()
  })

  it('a first ping passes the handshake guard', async () => {
    const t = await server({ idleTimeout: 0, handshakeTimeout: 200, frameTimeout: 0 })
    const s = await t.raw()
    s.write(PING)
    // the server's own ping (due after half the handshake bound) arrives; the connection is still open
    const [chunk] = await once(s, 'data') as [Uint8Array]
    assert.ok(chunk.byteLength >= PING.byteLength)
    const gone = t.nextClose()
    s.end()
    assert.equal(await gone, null)
    await t.close()
  })

  it('honest idle peers keep each other connected with pings', async () => {
    const t = await server({ idleTimeout: 200 })
    const client = fromStream(net.connect(t.port, '127.0.0.1'), { idleTimeout: 200 })
    await client.open(() => {})
    while (t.sockets.length === 0) await tick()
    const srv = t.sockets[0] as net.Socket
    // each side pings when it has sent nothing for 100 ms and answers the other's pings: wait
    // for a dozen packets of such traffic, many idle bounds' worth
    let packets = 0
    await new Promise<void>(resolve => srv.on('data', (c: Uint8Array) => { packets += c.byteLength / PING.byteLength; if (packets >= 12) resolve() }))
    assert.equal(client.isClosed, false)
    const [echo] = await client.postMessage(enc('still here'), true)
    assert.equal(dec(echo), 'still here')
    const gone = t.nextClose()
    client.close()
    assert.equal(await gone, null)
    await t.close()
  })

  const big = encodeFrame(0, 0, 0, new Uint8Array(100_000))
  const drips: Array<[string, number]> = [['from its first byte', 0], ['after its header', 13], ['after half its payload', 50_000]]
  for (const [what, start] of drips) {
    it(`a peer dripping a frame one byte at a time ${what} is closed with FrameTimeout`, async () => {
      const t = await server({ idleTimeout: 60_000, frameTimeout: 200, minFrameRate: 1024 * 1024 })
      const s = await t.raw()
      s.setNoDelay(true)
      s.write(PING) // past the handshake guard: only the frame bound can end this
      s.write(big.subarray(0, start))
      let i = start
      const drip = setInterval(() => { if (!s.destroyed) s.write(big.subarray(i, ++i)) }, 5)
      try {
        assert.equal(codeOf(await t.nextClose()), 'FrameTimeout')
      } finally {
        clearInterval(drip)
      }
      await t.close()
    })
  }

  it('a large frame arriving slowly but steadily completes past frameTimeout (its bytes earn time)', async () => {
    const t = await server({ frameTimeout: 100, minFrameRate: 64 * 1024 })
    const s = await t.raw()
    s.setNoDelay(true)
    const question = encodeFrame(0, 1, 1, new Uint8Array(300_000).fill(5)) // echoed
    let back = 0
    const echoed = new Promise<void>(resolve => s.on('data', (c: Uint8Array) => { back += c.byteLength; if (back >= question.byteLength) resolve() }))
    let i = 0
    const pace = setInterval(() => { if (i < question.byteLength) s.write(question.subarray(i, i += 10_000)) }, 10) // about 1 MB/s
    try {
      await Promise.race([echoed, t.nextClose().then(err => { throw err ?? new Error('closed') })])
    } finally {
      clearInterval(pace)
    }
    assert.ok(back >= question.byteLength)
    await t.close()
  })

  it('stalled giant frames are closed with FrameTimeout without their memory being allocated', async () => {
    const t = await server({ idleTimeout: 60_000, frameTimeout: 300 })
    const N = 20
    const head = encodeFrame(0, 0, 0, new Uint8Array(0)).slice(0, 13)
    new DataView(head.buffer).setUint32(0, 15 * 1024 * 1024 + 9) // announces 15 MiB
    const before = process.memoryUsage().arrayBuffers
    const clients = await Promise.all(Array.from({ length: N }, () => t.raw()))
    for (const c of clients) c.write(new Uint8Array([...head, 1, 2, 3, 4, 5, 6, 7, 8]))
    while (t.sockets.length < N || t.sockets.some(s => s.bytesRead < head.byteLength + 8)) await tick()
    const grown = process.memoryUsage().arrayBuffers - before
    assert.ok(grown < 4 * 1024 * 1024, `${grown} bytes of ArrayBuffers for ${N} stalled 15 MiB frames`)
    for (let i = 0; i < N; i++) assert.equal(codeOf(await t.nextClose()), 'FrameTimeout')
    await t.close()
  })

  it('a burst of pings in one chunk costs one pong', async () => {
    const t = await server({})
    const s = await t.raw()
    while (t.sockets.length === 0) await tick()
    const srv = t.sockets[0] as net.Socket
    const burst = new Uint8Array(PING.byteLength * 1000)
    for (let i = 0; i < 1000; i++) burst.set(PING, i * PING.byteLength)
    const received = new Promise<void>(resolve => srv.once('data', () => resolve()))
    const answered = once(s, 'data') as Promise<[Uint8Array]>
    s.write(burst)
    await received
    const written = srv.bytesWritten
    const [pongs] = await answered
    assert.ok(pongs.byteLength < 1000 * PING.byteLength)
    assert.ok(written <= 10 * PING.byteLength, `${written} bytes of pongs`)
    await t.close()
  })

  it('a ping flood from a peer that never reads adds no pongs to what is queued for it, and ends with SlowPeer', async () => {
    const t = await server({ idleTimeout: 1000 })
    const s = await t.raw()
    s.pause() // reads nothing, ever
    while (t.sockets.length === 0) await tick()
    const srv = t.sockets[0] as net.Socket
    const level = await fillUp(s, encodeFrame(0, 1, 1, new Uint8Array(1024 * 1024)), srv, () => srv.writableLength > srv.writableHighWaterMark)
    let most = 0
    srv.on('data', () => { most = Math.max(most, srv.writableLength) })
    assert.equal(codeOf(await flood(s, PING, 40, t.nextClose())), 'SlowPeer')
    assert.ok(most <= level(), `${most} bytes queued at most after the pings began, ${level()} before`)
    await t.close()
  })

  it('questions from a peer that never reads the answers: reading stops at maxWriteBuffer, then SlowPeer', async () => {
    const maxWriteBuffer = 256 * 1024
    const t = await server({ idleTimeout: 1000, maxWriteBuffer })
    const s = await t.raw()
    s.pause()
    while (t.sockets.length === 0) await tick()
    const srv = t.sockets[0] as net.Socket
    let most = 0
    let paused = false
    const sample = (): void => { most = Math.max(most, srv.writableLength); paused ||= srv.isPaused() }
    srv.on('data', sample)
    const question = encodeFrame(0, 1, 1, new Uint8Array(1000)) // port 1, reply expected: echoed
    const burst = new Uint8Array(question.byteLength * 64)
    for (let i = 0; i < 64; i++) burst.set(question, i * question.byteLength)
    const closing = t.nextClose()
    let open = true
    void closing.then(() => { open = false })
    const feed = async (): Promise<void> => {
      for (let i = 0; i < 2000 && open; i++) { // 128 MB of questions if it kept reading
        if (!s.write(burst)) await Promise.race([once(s, 'drain'), closing])
      }
    }
    const feeding = feed()
    const keep = setInterval(() => { sample() }, 5)
    try {
      assert.equal(codeOf(await closing), 'SlowPeer')
    } finally {
      clearInterval(keep)
    }
    await feeding
    assert.ok(paused, 'the server stopped reading')
    assert.ok(most <= maxWriteBuffer + 256 * 1024, `${most} bytes queued at most`)
    await t.close()
  })
})

describe('frame memory grows with the bytes received', () => {
  it('a header alone reserves nothing; a partial frame holds at most twice what arrived', () => {
    const d = new FrameDecoder(16 * 1024 * 1024)
    const frame = encodeFrame(0, 0, 0, new Uint8Array(10 * 1024 * 1024).fill(7))
    d.push(frame.subarray(0, 13), () => {})
    assert.equal(d.reserved, 0)
    let at = 13
    for (const n of [1, 100, 5000, 70_000, 1_000_000]) {
      d.push(frame.subarray(at, at + n), () => {})
      at += n
      assert.ok(d.reserved <= Math.max(MIN_BODY, 2 * (at - 13)), `${d.reserved} reserved for ${at - 13} bytes`)
    }
    let got: Uint8Array | null = null
    d.push(frame.subarray(at), p => { got = p.payload })
    assert.equal((got as Uint8Array | null)?.byteLength, 10 * 1024 * 1024)
    assert.ok((got as unknown as Uint8Array).every(b => b === 7))
    assert.equal(d.reserved, 0)
    assert.equal(d.buffered, 0)
  })
})

/** A client socket upgraded to WebSocket by hand: it sends raw frames and reads only when told. */
async function rawWebSocket (url: string): Promise<net.Socket> {
  const { port } = new URL(url)
  const s = net.connect(Number(port), '127.0.0.1')
  s.on('error', () => {})
  await once(s, 'connect')
  s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  let head = ''
  while (!head.includes('\r\n\r\n')) head += String((await once(s, 'data'))[0])
  assert.match(head, /^HTTP\/1.1 101/)
  return s
}

/** One masked (with a zero mask) binary WebSocket frame carrying `payload`. */
function wsFrame (payload: Uint8Array): Uint8Array {
  const n = payload.byteLength
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8
  const out = new Uint8Array(2 + ext + 4 + n)
  out[0] = 0x82
  out[1] = 0x80 | (ext === 0 ? n : ext === 2 ? 126 : 127)
  const view = new DataView(out.buffer)
  if (ext === 2) view.setUint16(2, n)
  if (ext === 8) view.setBigUint64(2, BigInt(n))
  out.set(payload, 2 + ext + 4)
  return out
}

interface WsServer {
  url: string
  nextClose (): Promise<Error | null>
  sockets: WebSocket[]
  close (): Promise<void>
}

async function wsServer (options: WebSocketOptions): Promise<WsServer> {
  const waiters: Array<(e: Error | null) => void> = []
  const hub = new Hub({
    onmessage: async (msg, reply) => { await reply?.(msg) },
    onclose: (_node, error) => { waiters.shift()?.(error) }
  })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  const sockets: WebSocket[] = []
  wss.on('connection', ws => { sockets.push(ws); wsWire(hub.createWire(), ws as unknown as WebSocketLike, options) })
  await once(wss, 'listening')
  return {
    url: `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`,
    sockets,
    nextClose: () => new Promise(resolve => waiters.push(resolve)),
    async close () {
      hub.close()
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>(resolve => wss.close(() => resolve()))
    }
  }
}

describe('bounds over WebSocket', () => {
  it('a WebSocket that stays silent is closed with PeerTimeout', async () => {
    const t = await wsServer({ idleTimeout: 200 })
    const ws = new WebSocket(t.url)
    const closing = t.nextClose()
    const [code] = await once(ws, 'close') as [number]
    assert.equal(code, 4000)
    assert.equal(codeOf(await closing), 'PeerTimeout')
    await t.close()
  })

  it('a WebSocket that sends no message is closed with HandshakeTimeout', async () => {
    const t = await wsServer({ idleTimeout: 0, handshakeTimeout: 200 })
    const ws = new WebSocket(t.url)
    const closing = t.nextClose()
    await once(ws, 'close')
    assert.equal(codeOf(await closing), 'HandshakeTimeout')
    await t.close()
  })

  it('a WebSocket peer dripping a message one byte at a time is closed with PeerTimeout (only whole messages count)', async () => {
    const t = await wsServer({ idleTimeout: 300 })
    const s = await rawWebSocket(t.url)
    const message = wsFrame(encodePacket(0, 0, 0, new Uint8Array(100_000)))
    let i = 0
    const drip = setInterval(() => { if (!s.destroyed) s.write(message.subarray(i, ++i)) }, 5)
    try {
      assert.equal(codeOf(await t.nextClose()), 'PeerTimeout')
    } finally {
      clearInterval(drip)
      s.destroy()
      await t.close()
    }
  })

  it('honest idle WebSocket peers keep each other connected with pings', async () => {
    const t = await wsServer({ idleTimeout: 200 })
    const ws = new WebSocket(t.url)
    const client = fromWebSocket(ws as unknown as WebSocketLike, { idleTimeout: 200 })
    await client.open(() => {})
    let packets = 0
    await new Promise<void>(resolve => ws.on('message', () => { if (++packets >= 6) resolve() }))
    assert.equal(client.isClosed, false)
    const [echo] = await client.postMessage(enc('still here'), true)
    assert.equal(dec(echo), 'still here')
    client.close()
    await t.close()
  })

  it('a ping flood from a WebSocket peer that never reads queues no pongs past the high-water mark, then ends with SlowPeer', async () => {
    const highWaterMark = 64 * 1024
    const t = await wsServer({ idleTimeout: 1000, highWaterMark })
    const s = await rawWebSocket(t.url)
    try {
      s.pause() // reads nothing, ever
      while (t.sockets.length === 0) await tick()
      const srv = t.sockets[0] as WebSocket
      const level = await fillUp(s, wsFrame(encodePacket(0, 1, 1, new Uint8Array(1024 * 1024))), srv, () => srv.bufferedAmount > highWaterMark)
      let most = 0
      srv.on('message', () => { most = Math.max(most, srv.bufferedAmount) })
      assert.equal(codeOf(await flood(s, wsFrame(encodePacket(0, 0, 4, new Uint8Array(0))), 20, t.nextClose())), 'SlowPeer')
      assert.ok(most <= level(), `${most} bytes queued at most after the pings began, ${level()} before`)
    } finally {
      s.destroy()
      await t.close()
    }
  })
})


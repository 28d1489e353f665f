// Adversary suite, transports: connection floods, idle and half-open connections, slowloris,
// stalled giant frames, peers that never read, ping floods, over real TCP and WebSocket against a
// `picostack node` run with short timeouts, an honest peer syncing beside them. Each attack
// asserts the attacker is refused, dropped or limited, then that honest state and sync are intact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { toHex } from '../../src/feed/index.js'
import { encodeFrame } from '../../src/net/index.js'
import { MAX_MESSAGE_SIZE } from '../../src/kernel/constants.js'
import { encodeSummary } from '../../src/kernel/protocol.js'
import { closed, scene } from './_scene.js'

const PING = 4
const MiB = 1024 * 1024

/** A frame header (length, dst, src, flags) announcing `size` payload bytes. */
function header (size: number): Uint8Array {
  return encodeFrame(0, 0, 0, new Uint8Array(size)).subarray(0, 13)
}

/** Writes `bytes` one at a time, `gap` ms apart, until the socket closes. */
function drip (socket: net.Socket, bytes: Uint8Array, gap: number): void {
  let i = 0
  const timer = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) { clearInterval(timer); return }
    socket.write(bytes.subarray(i, ++i))
  }, gap)
  socket.once('close', () => clearInterval(timer))
}

test('adversary: transport attacks against a node with short timeouts, an honest peer beside them', async t => {
  const s = await scene(t, ['--handshake-timeout', '500', '--idle-timeout', '2000', '--frame-timeout', '600', '--max-connections', '40', '--max-per-address', '6'])

  await t.test('connections over the per-address cap are refused at once; the admitted idle ones time out', async () => {
    const socks = await Promise.all(Array.from({ length: 12 }, () => s.socket('127.0.0.2')))
    await Promise.all(socks.map(closed)) // 6 refused at once, 6 after the handshake timeout
    await s.intact()
  })

  await t.test('connections over the listener cap are refused; the honest peer is unaffected', async () => {
    const socks: net.Socket[] = []
    for (let a = 10; a < 20; a++) for (let i = 0; i < 5; i++) socks.push(await s.socket(`127.0.0.${a}`))
    // 50 attempts, at most 39 slots left beside the honest peer: the rest close at once
    await Promise.all(socks.map(closed))
    await s.intact()
  })

  await t.test('idle WebSocket connections are closed after the handshake timeout', async () => {
    const peers = await Promise.all(Array.from({ length: 5 }, () => s.wsPeer()))
    await Promise.all(peers.map(p => p.plug.closed))
    await s.intact()
  })

  await t.test('slowloris: a frame dripped a byte at a time is dropped by the frame timeout', async () => {
    const sock = await s.socket('127.0.0.3')
    const frame = encodeFrame(0, 0, 0, new Uint8Array(500).fill(7))
    drip(sock, frame, 40)
    await closed(sock)
    // an HTTP upgrade dripped a byte at a time
    const ws = await s.socket('127.0.0.3')
    ws.destroy()
    const up = net.connect({ port: s.wsPort, host: '127.0.0.1', localAddress: '127.0.0.3' })
    await new Promise(resolve => up.once('connect', resolve))
    drip(up, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + 'X-Pad: a\r\n'.repeat(200)), 40)
    await closed(up)
    await s.intact()
  })

  await t.test('stalled giant frames: over the protocol limit refused at once, under it dropped without their memory', async () => {
    const big = await s.socket('127.0.0.4')
    big.write(header(15 * MiB))
    await closed(big)
    const before = s.rss()
    const socks = await Promise.all(Array.from({ length: 6 }, () => s.socket('127.0.0.5')))
    for (const sock of socks) sock.write(header(MAX_MESSAGE_SIZE)) // legal size, never sent
    await Promise.all(socks.map(closed))
    // six 4 MiB frames announced: memory comes with bytes, not with headers
    assert.ok(s.rss() - before < 16 * MiB, `rss grew ${(s.rss() - before) / MiB} MiB`)
    await s.intact()
  })

  await t.test('a ping flood from a peer that never reads stays bounded and is dropped', async () => {
    const sock = await s.socket('127.0.0.6')
    sock.pause()
    const before = s.rss()
    const ping = encodeFrame(0, 0, PING, new Uint8Array(0))
    const burst = new Uint8Array(ping.length * 10_000)
    for (let i = 0; i < 10_000; i++) burst.set(ping, i * ping.length)
    let sent = 0
    while (!sock.destroyed && sent < 100) {
      sock.write(burst)
      sent++
      await new Promise(resolve => setImmediate(resolve))
    }
    await closed(sock)
    assert.ok(s.rss() - before < 64 * MiB, `rss grew ${(s.rss() - before) / MiB} MiB for ${sent * 10_000} pings`)
    await s.intact()
  })

  await t.test('peers that want the whole store and never read are dropped; memory stays bounded', async () => {
    for (let i = 0; i < 300; i++) s.node.child.stdin.write(`${'x'.repeat(900)} ${i}\n`)
    await s.node.line(/^note count=\d+ author=[0-9a-f]+ text="x+ 299"$/)
    const before = s.rss()
    const peers = await Promise.all(Array.from({ length: 4 }, (_, i) => s.tcpPeer(`127.0.0.${30 + i}`)))
    const ids = peers.map(p => toHex(p.key))
    const from = s.node.lines.length
    for (const p of peers) {
      await p.greet()
      p.socket?.pause() // from now on nothing is read: the socket's buffers fill and stop
      await p.plug.postMessage(encodeSummary([]))
    }
    // The node lists them, then drops them all (a paused socket cannot see its own close).
    await s.node.line(new RegExp(`^peers count=\\d+ ids=.*${ids[3] as string}`), from)
    const after = s.node.lines.length
    await s.node.line(/^peers count=1 ids=[0-9a-f]+$/, after)
    assert.ok(s.rss() - before < 64 * MiB, `rss grew ${(s.rss() - before) / MiB} MiB`)
    await s.intact()
  })
})

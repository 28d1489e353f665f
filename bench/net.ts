// bench/net: round trips per second and MB/s of 64 KB messages over the in-memory wire, TCP and
// WebSocket, next to the same traffic on the raw socket without our framing. Prints ours/raw
// time ratios (goal: <= 1.5). Every case checks its own result. Ours and raw run interleaved in
// alternating order over several rounds (load from other processes hits both alike); the table
// shows the median rate of each and the median of the per-round ratios.
// Run: node --conditions=source --import tsx bench/net.ts [rounds] [case-name-filter]
import { once } from 'node:events'
import net from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { fromStream, fromWebSocket, picoWire } from '../src/net/index.js'
import type { Plug } from '../src/net/index.js'

const SMALL = new Uint8Array(64).fill(7)
const BIG = new Uint8Array(64 * 1024).fill(9)
const RT_SMALL = 5000
const RT_BIG = 1000
const STREAM_BIG = 2000 // 125 MiB one way

interface Endpoints { a: Plug, b: Plug, close (): Promise<void> }
interface RawTcp { client: net.Socket, server: net.Socket, close (): Promise<void> }
interface RawWs { client: WebSocket, server: WebSocket, close (): Promise<void> }

async function tcpSockets (): Promise<RawTcp> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const accepted = once(srv, 'connection')
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')
  client.setNoDelay(true)
  const [server] = await accepted as [net.Socket]
  server.setNoDelay(true)
  await once(client, 'connect')
  return { client, server, close: async () => { client.destroy(); server.destroy(); await new Promise(resolve => srv.close(resolve)) } }
}

async function wsSockets (): Promise<RawWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 24 })
  await once(wss, 'listening')
  const accepted = once(wss, 'connection')
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`)
  const [server] = await accepted as [WebSocket]
  if (client.readyState !== WebSocket.OPEN) await once(client, 'open')
  return { client, server, close: async () => { client.terminate(); server.terminate(); await new Promise(resolve => wss.close(resolve)) } }
}

const memoryPair = async (): Promise<Endpoints> => { const [a, b] = picoWire(); return { a, b, close: async () => { a.close() } } }
const tcpPair = async (): Promise<Endpoints> => {
  const s = await tcpSockets()
  return { a: fromStream(s.client), b: fromStream(s.server), close: async () => { s.client.end(); await s.close() } }
}
const wsPair = async (): Promise<Endpoints> => {
  const s = await wsSockets()
  return { a: fromWebSocket(s.client), b: fromWebSocket(s.server), close: s.close }
}

// ---- our layer -------------------------------------------------------------------------------

async function oursRoundTrips (make: () => Promise<Endpoints>, msg: Uint8Array, n: number): Promise<number> {
  const { a, b, close } = await make()
  b.open(async (m, reply) => { await reply?.(m) })
  await a.open(() => {})
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const [echo] = await a.postMessage(msg, true)
    if (echo.byteLength !== msg.byteLength || echo[0] !== msg[0] || echo[echo.byteLength - 1] !== msg[msg.byteLength - 1]) throw new Error('bad echo')
  }
  const t = performance.now() - t0
  a.close()
  await close()
  return t
}

async function oursStream (make: () => Promise<Endpoints>, msg: Uint8Array, n: number): Promise<number> {
  const { a, b, close } = await make()
  let bytes = 0
  b.open(async (m, reply) => {
    if (reply === null) bytes += m.byteLength
    else await reply(new Uint8Array([bytes === n * msg.byteLength ? 1 : 0]))
  })
  await a.open(() => {})
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await a.postMessage(msg)
  const [ok] = await a.postMessage(new Uint8Array(1), true)
  const t = performance.now() - t0
  if (ok[0] !== 1) throw new Error(`lost bytes: ${bytes}`)
  a.close()
  await close()
  return t
}

// ---- raw TCP: the same traffic without framing or conversations -------------------------------

async function rawTcpRoundTrips (msg: Uint8Array, n: number): Promise<number> {
  const { client, server, close } = await tcpSockets()
  let got = 0
  server.on('data', (c: Uint8Array) => {
    got += c.byteLength
    while (got >= msg.byteLength) { got -= msg.byteLength; server.write(msg) }
  })
  let back = 0
  let wake: () => void = () => {}
  let bad = false
  client.on('data', (c: Uint8Array) => { if (c[0] !== msg[0]) bad = true; back += c.byteLength; if (back >= msg.byteLength) wake() })
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const arrived = new Promise<void>(resolve => { wake = resolve })
    client.write(msg)
    if (back < msg.byteLength) await arrived
    back -= msg.byteLength
  }
  const t = performance.now() - t0
  if (back !== 0 || bad) throw new Error('bad raw echo')
  await close()
  return t
}

async function rawTcpStream (msg: Uint8Array, n: number): Promise<number> {
  const { client, server, close } = await tcpSockets()
  const total = n * msg.byteLength
  let got = 0
  const done = new Promise<void>(resolve => {
    server.on('data', (c: Uint8Array) => { got += c.byteLength; if (got === total) { server.write(new Uint8Array([1])); resolve() } })
  })
  const acked = once(client, 'data')
  const t0 = performance.now()
  for (let i = 0; i < n; i++) if (!client.write(msg)) await once(client, 'drain')
  await done
  await acked
  const t = performance.now() - t0
  if (got !== total) throw new Error('lost bytes')
  await close()
  return t
}

// ---- raw WebSocket ----------------------------------------------------------------------------

async function rawWsRoundTrips (msg: Uint8Array, n: number): Promise<number> {
  const { client, server, close } = await wsSockets()
  server.on('message', (d: Uint8Array) => server.send(d))
  let wake: (d: Uint8Array) => void = () => {}
  client.on('message', (d: Uint8Array) => wake(d))
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const echo = await new Promise<Uint8Array>(resolve => { wake = resolve; client.send(msg) })
    if (echo.byteLength !== msg.byteLength || echo[0] !== msg[0] || echo[echo.byteLength - 1] !== msg[msg.byteLength - 1]) throw new Error('bad raw ws echo')
  }
  const t = performance.now() - t0
  await close()
  return t
}

async function rawWsStream (msg: Uint8Array, n: number): Promise<number> {
  const { client, server, close } = await wsSockets()
  let got = 0
  server.on('message', (d: Uint8Array) => { got += d.byteLength; if (got === n * msg.byteLength) server.send(new Uint8Array([1])) })
  const acked = once(client, 'message')
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    client.send(msg)
    while (client.bufferedAmount > 1024 * 1024) await new Promise(resolve => setTimeout(resolve, 2))
  }
  await acked
  const t = performance.now() - t0
  if (got !== n * msg.byteLength) throw new Error('lost ws bytes')
  await close()
  return t
}

// ---- run --------------------------------------------------------------------------------------

interface Case { name: string, unit: 'rt/s' | 'MB/s', amount: number, ours: () => Promise<number>, raw: (() => Promise<number>) | null }
const MB = STREAM_BIG * BIG.byteLength
const cases: Case[] = [
  { name: 'in-memory, 64 B round trips', unit: 'rt/s', amount: RT_SMALL, ours: () => oursRoundTrips(memoryPair, SMALL, RT_SMALL), raw: null },
  { name: 'in-memory, 64 KB round trips', unit: 'rt/s', amount: RT_BIG, ours: () => oursRoundTrips(memoryPair, BIG, RT_BIG), raw: null },
  { name: 'in-memory, 64 KB one way', unit: 'MB/s', amount: MB, ours: () => oursStream(memoryPair, BIG, STREAM_BIG), raw: null },
  { name: 'TCP, 64 B round trips', unit: 'rt/s', amount: RT_SMALL, ours: () => oursRoundTrips(tcpPair, SMALL, RT_SMALL), raw: () => rawTcpRoundTrips(SMALL, RT_SMALL) },
  { name: 'TCP, 64 KB round trips', unit: 'rt/s', amount: RT_BIG, ours: () => oursRoundTrips(tcpPair, BIG, RT_BIG), raw: () => rawTcpRoundTrips(BIG, RT_BIG) },
  { name: 'TCP, 64 KB one way', unit: 'MB/s', amount: MB, ours: () => oursStream(tcpPair, BIG, STREAM_BIG), raw: () => rawTcpStream(BIG, STREAM_BIG) },
  { name: 'WebSocket, 64 B round trips', unit: 'rt/s', amount: RT_SMALL, ours: () => oursRoundTrips(wsPair, SMALL, RT_SMALL), raw: () => rawWsRoundTrips(SMALL, RT_SMALL) },
  { name: 'WebSocket, 64 KB round trips', unit: 'rt/s', amount: RT_BIG, ours: () => oursRoundTrips(wsPair, BIG, RT_BIG), raw: () => rawWsRoundTrips(BIG, RT_BIG) },
  { name: 'WebSocket, 64 KB one way', unit: 'MB/s', amount: MB, ours: () => oursStream(wsPair, BIG, STREAM_BIG), raw: () => rawWsStream(BIG, STREAM_BIG) }
]

const median = (xs: number[]): number => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2 }
const rate = (c: Case, ms: number): string => c.unit === 'rt/s'
  ? `${Math.round(c.amount / ms * 1000).toLocaleString('en')} rt/s`
  : `${(c.amount / 1e6 / (ms / 1000)).toFixed(0)} MB/s`

const ROUNDS = Number(process.argv[2] ?? 5)
const ONLY = process.argv[3] // run only the cases whose name contains it
const rows: string[][] = [['case', 'ours', 'raw socket', 'ours/raw time', 'per-round ratios']]
for (const c of cases) {
  if (ONLY !== undefined && !c.name.includes(ONLY)) continue
  await c.ours() // warm-up (checked like every run)
  if (c.raw !== null) await c.raw()
  const ours: number[] = []
  const raw: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    if (c.raw === null) { ours.push(await c.ours()); continue }
    let o: number, w: number
    if (r % 2 === 0) { o = await c.ours(); w = await c.raw() } else { w = await c.raw(); o = await c.ours() }
    ours.push(o); raw.push(w); ratios.push(o / w)
  }
  rows.push(c.raw === null
    ? [c.name, rate(c, median(ours)), '—', '—', '']
    : [c.name, rate(c, median(ours)), rate(c, median(raw)), `${median(ratios).toFixed(2)}x`, ratios.map(x => x.toFixed(2)).join(' ')])
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
for (const r of rows) console.log(r.map((c, i) => i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  '))

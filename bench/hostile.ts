// Fair service under attack (PROTOCOL.md "Fair service"): the round trip of an honest note
// (peer A -> node -> peer B) while strangers attack the node, against the same round trip on a
// quiet node. The node is a `picostack node` child process (classic-level, TCP); the honest
// peers and the attackers run here, the attackers' costly bytes (signatures) made before timing.
// Run: node --conditions=source --import tsx bench/hostile.ts [samples]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeKernel } from '../src/cli/demo.js'
import type { NotesState } from '../src/cli/demo.js'
import { Feed, signPair } from '../src/feed/index.js'
import { encodeSummary, encodeWant } from '../src/kernel/protocol.js'
import { encodeFrame, fromStream, streamWire } from '../src/net/index.js'
import { encodeBody } from '../src/store/index.js'
import { RawPeer } from '../test/kernel/raw.js'

const samples = Number(process.argv[2] ?? 15)
const dir = mkdtempSync(join(tmpdir(), 'picostack-hostile-'))
const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts', 'node', '--offline', '--data', dir, '--port', '0', '--ws-port=-1', '--max-per-address', '64'], { stdio: ['pipe', 'pipe', 'inherit'] })
let out = ''
const lines: Array<(l: string) => void> = []
child.stdout.setEncoding('utf8')
child.stdout.on('data', (c: string) => { out += c; for (const l of lines) l(out) })
const port = await new Promise<number>(resolve => {
  lines.push(o => { const m = /listening tcp=127\.0\.0\.1:(\d+)/.exec(o); if (m !== null) resolve(Number(m[1])) })
})

let nextAddr = 20
function connect (): Promise<net.Socket> {
  const localAddress = `127.0.0.${nextAddr++ % 200 + 20}`
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

async function honest (addr: string): Promise<NodeKernel> {
  const k = new NodeKernel()
  await k.boot()
  const s = net.connect({ port, host: '127.0.0.1', localAddress: addr })
  await new Promise(resolve => s.once('connect', resolve))
  streamWire(k.spawnWire(), s)
  await new Promise<void>(resolve => { const off = k.$connections()(l => { if (l.length === 1) { queueMicrotask(() => off()); resolve() } }) })
  return k
}

const a = await honest('127.0.0.2')
const b = await honest('127.0.0.3')
let seq = 0

/** One honest round trip: a note by A, seen by B through the node. */
async function roundTrip (): Promise<number> {
  const text = `rtt ${++seq}`
  const t0 = performance.now()
  const seen = new Promise<void>(resolve => {
    let done = false
    const off = b.store.on('notes', v => {
      if (done || (v as NotesState).last?.text !== text) return
      done = true
      queueMicrotask(() => off())
      resolve()
    })
  })
  await a.createNote(text)
  await seen
  return performance.now() - t0
}

async function measure (n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await roundTrip())
  return out.sort((x, y) => x - y)
}

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number

function blocksMsg (feed: Feed): Uint8Array {
  const m = new Uint8Array(1 + feed.buffer.length)
  m[0] = 0x03
  m.set(feed.buffer, 1)
  return m
}

function noteChain (n: number): Feed {
  const { sk } = signPair()
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(encodeBody('note', { text: `attack ${i} ${'z'.repeat(100)}` }, Date.now()), sk)
  return f
}

async function greeted (): Promise<RawPeer> {
  const s = await connect()
  const p = await RawPeer.open(fromStream(s))
  p.socket = s
  await p.greet()
  await p.plug.postMessage(encodeSummary([]))
  return p
}

/** Attacks: each runs until `stop()` and returns what it sent. */
type Attack = { name: string, prepare?: () => Promise<void>, run: (stopped: () => boolean) => Promise<string> }

const orphanChains = Array.from({ length: 4 }, () => noteChain(800))
const forged = noteChain(64)
const forgedBytes = blocksMsg(forged)
forgedBytes[10] = (forgedBytes[10] as number) ^ 0x40
const upload = Array.from({ length: 8 }, () => noteChain(1000))

const attacks: Attack[] = [
  {
    name: 'orphan flood (4 x 800 valid orphans)',
    run: async (stopped) => {
      let sent = 0
      await Promise.all(orphanChains.map(async chain => {
        const p = await greeted()
        for (let i = 1; i < chain.length && !stopped(); i++) { await p.plug.postMessage(blocksMsg(chain.slice(i, i + 1))); sent++ }
        p.plug.close()
      }))
      return `${sent} orphans`
    }
  },
  {
    name: 'forged blocks (reconnecting)',
    run: async (stopped) => {
      let n = 0
      while (!stopped()) {
        const p = await greeted()
        await p.plug.postMessage(forgedBytes).catch(() => {})
        await p.plug.closed
        n++
      }
      return `${n} forgers dropped`
    }
  },
  {
    name: 'valid uploads (8 x 1000 blocks)',
    run: async (stopped) => {
      const p = await greeted()
      let n = 0
      for (const chain of upload) {
        if (stopped()) break
        await p.plug.postMessage(blocksMsg(chain))
        n += chain.length
      }
      p.plug.close()
      return `${n} blocks`
    }
  },
  {
    name: 'want flood (4 connections)',
    run: async (stopped) => {
      const tip = (await a.feed())?.last?.sig as Uint8Array
      let n = 0
      await Promise.all([0, 1, 2, 3].map(async () => {
        const p = await greeted()
        for (let i = 0; i < 4000 && !stopped(); i++) { await p.plug.postMessage(encodeWant(tip)); n++ }
        p.plug.close()
      }))
      return `${n} wants`
    }
  },
  {
    name: 'ping flood, never reading',
    run: async (stopped) => {
      const ping = encodeFrame(0, 0, 4, new Uint8Array(0))
      const burst = new Uint8Array(ping.length * 5000)
      for (let i = 0; i < 5000; i++) burst.set(ping, i * ping.length)
      const s = await connect()
      s.pause()
      let n = 0
      while (!stopped() && !s.destroyed && n < 400) { s.write(burst); n++; await new Promise(resolve => setImmediate(resolve)) }
      s.destroy()
      return `${n * 5000} pings`
    }
  },
  {
    name: 'connect/close churn',
    run: async (stopped) => {
      let n = 0
      while (!stopped() && n < 2000) { const s = await connect(); s.destroy(); n++ }
      return `${n} connections`
    }
  },
  {
    name: 'peers that want everything and never read (8)',
    run: async (stopped) => {
      const peers = await Promise.all(Array.from({ length: 8 }, async () => {
        const s = await connect()
        const p = await RawPeer.open(fromStream(s))
        await p.greet()
        s.pause()
        await p.plug.postMessage(encodeSummary([]))
        return s
      }))
      while (!stopped()) await new Promise(resolve => setTimeout(resolve, 20))
      for (const s of peers) s.destroy()
      return '8 stalled peers'
    }
  }
]

// The node holds something worth asking for.
for (let i = 0; i < 1500; i++) await a.createNote(`history ${i} ${'h'.repeat(200)}`)
await measure(3) // warm up

const quiet = await measure(samples)
console.log(`honest round trip A -> node -> B, ${samples} samples each (ms: p50 / p95 / max; ratio of p95 to quiet)`)
console.log(`  quiet                                   ${pct(quiet, 0.5).toFixed(1)} / ${pct(quiet, 0.95).toFixed(1)} / ${pct(quiet, 1).toFixed(1)}`)
let worst = 0
for (const attack of attacks) {
  let stop = false
  const running = attack.run(() => stop)
  const rtts = await measure(samples)
  stop = true
  const what = await running
  worst = Math.max(worst, pct(rtts, 1))
  console.log(`  ${attack.name.padEnd(40)}${pct(rtts, 0.5).toFixed(1)} / ${pct(rtts, 0.95).toFixed(1)} / ${pct(rtts, 1).toFixed(1)}  x${(pct(rtts, 0.95) / pct(quiet, 0.95)).toFixed(1)}  (${what})`)
}
console.log(`worst honest round trip under attack: ${worst.toFixed(0)} ms (goal < 500 ms)`)
await a.halt()
await b.halt()
child.kill('SIGTERM')
await new Promise(resolve => child.once('exit', resolve))
rmSync(dir, { recursive: true, force: true })

// Side by side with Holepunch's hypercore 11.37.1 (issue 12), both persistent, in one process:
// our SimpleKernel on classic-level (LevelDB) against hypercore on its RocksDB storage, with
// 100-byte blocks, used as a new user would use each:
//   (a) append 3,000 blocks one by one, each awaited
//   (b) append 3,000 blocks with every call in flight
//   (c) a fresh peer downloads a 10,000-block chain over TCP on 127.0.0.1
//       (ours: kernel sync over a TCP streamWire; hypercore: replicate() piped to a TCP socket)
//   (d) 10 chains x 1,000 blocks to a fresh peer over one TCP connection
//       (hypercore: 10 cores replicated on one stream; the reader keeps them in one storage)
//   (e) cold open of a 10,000-block store (ours: boot and read the height; hypercore: ready)
// Ours and hypercore alternate in every round (the order flips each round, so load from other
// processes hits both alike); the table shows medians of the rates, of the per-round ratios
// and of the CPU time per block (process.cpuUsage: every thread of the process, so RocksDB's
// and libuv's threads count too; readable on a loaded machine). Every case checks its result.
// Run: node --conditions=source --import tsx bench/vs-hypercore.ts [samples=5] [case letters, e.g. abe]
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import Hypercore from 'hypercore'
import { Feed, signPair } from '../src/feed/index.js'
import { SimpleKernel } from '../src/kernel/index.js'
import { streamWire } from '../src/net/index.js'
import { Memory, encodeBody } from '../src/store/index.js'
import { MergeCount } from './_shared.js'

const SAMPLES = Number(process.argv[2] ?? 5)
const ONLY = process.argv[3] ?? 'abcde'
const BLOCK = 100
const APPENDS = 3000
const CHAIN = 10_000
const CHAINS = 10
const PER_CHAIN = 1000

const root = mkdtempSync(join(tmpdir(), 'picostack-bench-vs-hypercore-'))
let dirs = 0
const dir = (): string => join(root, String(dirs++))

function check (ok: boolean, what: string): void { if (!ok) throw new Error(`bench check failed: ${what}`) }

/** The payload that makes our block body exactly BLOCK bytes (CBOR ['x', bytes, date]). */
const PAYLOAD = (() => {
  for (let n = 1; n < BLOCK; n++) {
    const p = new Uint8Array(n).fill(7)
    if (encodeBody('x', p, Date.now()).length === BLOCK) return p
  }
  throw new Error('no payload size gives a 100-byte body')
})()
const HC_BLOCK = new Uint8Array(BLOCK).fill(7)

/** Counts each author's blocks: the collection a new user registers for the block type. */
class Count extends Memory<number> {
  override initialValue = 0
  override compute (n: number): number { return n + 1 }
}

/** Our kernel with one collection and a count of accepted blocks. */
class Kernel extends SimpleKernel {
  readonly counts: Count
  readonly merged = new MergeCount(this.store)
  constructor (location: string, secret?: string) {
    super(location, secret === undefined ? {} : { secret })
    this.counts = this.store.register('x', Count)
  }

  get blocks (): number { return this.merged.blocks }
  reach (n: number): Promise<void> { return this.merged.reach(n) }
}

function chainOf (sk: string, n: number): Feed {
  const f = new Feed(64 + n * (BLOCK + 170))
  for (let i = 0; i < n; i++) f.append(encodeBody('x', PAYLOAD, 1_700_000_000_000 + i), sk)
  return f
}

interface Sample { ms: number, cpuUs: number }

/** Times `fn` (wall clock and CPU of the whole process). */
async function measure (fn: () => Promise<void>): Promise<Sample> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { ms, cpuUs: c.user + c.system }
}

async function listen (onsocket: (s: net.Socket) => void): Promise<{ port: number, close (): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer(s => { sockets.add(s); s.on('close', () => sockets.delete(s)); onsocket(s) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return {
    port: (srv.address() as net.AddressInfo).port,
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => srv.close(() => resolve()))
    }
  }
}

function connect (port: number): net.Socket {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  return s
}

// ── sources shared by the rounds (built once, outside the timings) ─────────────────────────

interface Sources {
  ours: { one: Kernel, many: Kernel, onePort: number, manyPort: number, coldDir: string, coldSk: string, coldPk: string }
  hc: { one: Hypercore, many: Hypercore[], onePort: number, manyPort: number, coldDir: string }
  close (): Promise<void>
}

async function sources (): Promise<Sources> {
  // ours: a 10,000-block chain, 10 chains x 1,000 blocks, and a closed 10,000-block store
  const one = new Kernel(dir())
  await one.boot()
  await one.dispatch(chainOf(signPair().sk, CHAIN), true)
  const many = new Kernel(dir())
  await many.boot()
  for (let i = 0; i < CHAINS; i++) await many.dispatch(chainOf(signPair().sk, PER_CHAIN), true)
  const coldDir = dir()
  const cold = signPair()
  const c = new Kernel(coldDir, cold.sk)
  await c.boot()
  await c.dispatch(chainOf(cold.sk, CHAIN), true)
  check(await c.seq() === CHAIN, 'ours cold store')
  await c.halt()
  const oneSrv = await listen(s => streamWire(one.spawnWire(), s))
  const manySrv = await listen(s => streamWire(many.spawnWire(), s))

  // hypercore: the same shapes
  const blocks = (n: number): Uint8Array[] => Array.from({ length: n }, () => HC_BLOCK)
  const hone = new Hypercore(dir())
  await hone.ready()
  await hone.append(blocks(CHAIN))
  const hmany: Hypercore[] = []
  for (let i = 0; i < CHAINS; i++) {
    const h = new Hypercore(dir())
    await h.ready()
    await h.append(blocks(PER_CHAIN))
    hmany.push(h)
  }
  const hcColdDir = dir()
  const hc = new Hypercore(hcColdDir)
  await hc.ready()
  await hc.append(blocks(CHAIN))
  await hc.close()
  const hOneSrv = await listen(s => { s.pipe(hone.replicate(false)).pipe(s) })
  const hManySrv = await listen(s => {
    const stream = (hmany[0] as Hypercore).replicate(false)
    for (const h of hmany.slice(1)) h.replicate(stream)
    s.pipe(stream).pipe(s)
  })
  return {
    ours: { one, many, onePort: oneSrv.port, manyPort: manySrv.port, coldDir, coldSk: cold.sk, coldPk: cold.pk },
    hc: { one: hone, many: hmany, onePort: hOneSrv.port, manyPort: hManySrv.port, coldDir: hcColdDir },
    async close () {
      for (const s of [oneSrv, manySrv, hOneSrv, hManySrv]) await s.close()
      await one.halt()
      await many.halt()
      await hone.close()
      for (const h of hmany) await h.close()
    }
  }
}

// ── the workloads ─────────────────────────────────────────────────────────────────────────

interface Case {
  id: string
  name: string
  blocks: number
  ours: (src: Sources) => Promise<Sample>
  hc: (src: Sources) => Promise<Sample>
}

async function oursAppend (inFlight: boolean): Promise<Sample> {
  const k = new Kernel(dir())
  await k.boot()
  const s = await measure(async () => {
    if (inFlight) await Promise.all(Array.from({ length: APPENDS }, async () => await k.createBlock('x', PAYLOAD)))
    else for (let i = 0; i < APPENDS; i++) await k.createBlock('x', PAYLOAD)
  })
  check(await k.seq() === APPENDS && k.counts.readState(k.pk) === APPENDS, 'ours append')
  check((await k.feed(1))?.last?.body.length === BLOCK, 'ours block size')
  await k.halt()
  return s
}

async function hcAppend (inFlight: boolean): Promise<Sample> {
  const h = new Hypercore(dir())
  await h.ready()
  const s = await measure(async () => {
    if (inFlight) await Promise.all(Array.from({ length: APPENDS }, async () => await h.append(HC_BLOCK)))
    else for (let i = 0; i < APPENDS; i++) await h.append(HC_BLOCK)
  })
  check(h.length === APPENDS && (await h.get(APPENDS - 1))?.length === BLOCK, 'hypercore append')
  await h.close()
  return s
}

async function oursDownload (port: number, blocks: number, chains: number): Promise<Sample> {
  const k = new Kernel(dir())
  await k.boot()
  const s = await measure(async () => {
    streamWire(k.spawnWire(), connect(port))
    await k.reach(blocks)
  })
  check(k.blocks === blocks && (await k.chains()).length === chains, 'ours download')
  await k.halt()
  return s
}

async function hcDownload (sources: Hypercore[], port: number): Promise<Sample> {
  const storage = Hypercore.defaultStorage(dir())
  const cores = sources.map(src => new Hypercore(storage, src.key))
  await Promise.all(cores.map(async c => { await c.ready() }))
  let socket: net.Socket | undefined
  const s = await measure(async () => {
    socket = connect(port)
    const stream = (cores[0] as Hypercore).replicate(true)
    for (const c of cores.slice(1)) c.replicate(stream)
    socket.pipe(stream).pipe(socket)
    await Promise.all(cores.map(async (c, i) => { await c.download({ start: 0, end: (sources[i] as Hypercore).length }).done() }))
  })
  check(cores.every((c, i) => c.contiguousLength === (sources[i] as Hypercore).length), 'hypercore download')
  socket?.destroy()
  for (const c of cores) await c.close()
  return s
}

const allCases: Case[] = [
  {
    id: 'a',
    name: `(a) append ${APPENDS.toLocaleString('en')} one by one, each awaited`,
    blocks: APPENDS,
    ours: async () => await oursAppend(false),
    hc: async () => await hcAppend(false)
  },
  {
    id: 'b',
    name: `(b) append ${APPENDS.toLocaleString('en')}, all calls in flight`,
    blocks: APPENDS,
    ours: async () => await oursAppend(true),
    hc: async () => await hcAppend(true)
  },
  {
    id: 'c',
    name: `(c) fresh peer downloads a ${CHAIN.toLocaleString('en')}-block chain over TCP`,
    blocks: CHAIN,
    ours: async src => await oursDownload(src.ours.onePort, CHAIN, 1),
    hc: async src => await hcDownload([src.hc.one], src.hc.onePort)
  },
  {
    id: 'd',
    name: `(d) ${CHAINS} chains x ${PER_CHAIN.toLocaleString('en')} blocks to a fresh peer over TCP`,
    blocks: CHAINS * PER_CHAIN,
    ours: async src => await oursDownload(src.ours.manyPort, CHAINS * PER_CHAIN, CHAINS),
    hc: async src => await hcDownload(src.hc.many, src.hc.manyPort)
  },
  {
    id: 'e',
    name: `(e) cold open of a ${CHAIN.toLocaleString('en')}-block store`,
    blocks: CHAIN,
    async ours (src) {
      let k: Kernel | undefined
      let seq = 0
      const s = await measure(async () => {
        k = new Kernel(src.ours.coldDir, src.ours.coldSk)
        await k.boot()
        seq = await k.seq()
      })
      check(seq === CHAIN && k?.pk === src.ours.coldPk, 'ours cold open')
      await k?.halt()
      return s
    },
    async hc (src) {
      let h: Hypercore | undefined
      const s = await measure(async () => {
        h = new Hypercore(src.hc.coldDir)
        await h.ready()
      })
      check(h?.length === CHAIN, 'hypercore cold open')
      await h?.close()
      return s
    }
  }
]
const cases = allCases.filter(c => ONLY.includes(c.id))

// ── rounds and report ─────────────────────────────────────────────────────────────────────

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2
}
const fmt = (x: number): string => Math.round(x).toLocaleString('en')
const load = (): string => loadavg().map(x => x.toFixed(2)).join(' ')

const loadBefore = load()
const src = await sources()
const rows = cases.map(c => ({ c, ours: [] as Sample[], hc: [] as Sample[], ratio: [] as number[] }))
// one warm-up round of each (not reported)
for (const r of rows) { await r.c.ours(src); await r.c.hc(src) }
for (let round = 0; round < SAMPLES; round++) {
  for (const r of rows) {
    let ours: Sample, hc: Sample
    if (round % 2 === 0) { ours = await r.c.ours(src); hc = await r.c.hc(src) } else { hc = await r.c.hc(src); ours = await r.c.ours(src) }
    r.ours.push(ours)
    r.hc.push(hc)
    r.ratio.push(hc.ms / ours.ms)
  }
}
await src.close()
rmSync(root, { recursive: true, force: true })

console.log(`picostack SimpleKernel on classic-level vs hypercore 11.37.1 on RocksDB; ${BLOCK}-byte blocks; ${SAMPLES} alternating rounds, medians; node ${process.version}`)
console.log(`load average before ${loadBefore}, after ${load()}`)
console.log('workload | ours blocks/s | hypercore blocks/s | ours/hypercore (min-max) | ours CPU µs/block | hypercore CPU µs/block | ours ms | hypercore ms')
console.log('--- | ---: | ---: | ---: | ---: | ---: | ---: | ---:')
for (const r of rows) {
  const rate = (xs: Sample[]): number => median(xs.map(s => r.c.blocks / (s.ms / 1000)))
  const cpu = (xs: Sample[]): number => median(xs.map(s => s.cpuUs / r.c.blocks))
  const ms = (xs: Sample[]): number => median(xs.map(s => s.ms))
  console.log(`${r.c.name} | ${fmt(rate(r.ours))} | ${fmt(rate(r.hc))} | ${median(r.ratio).toFixed(2)}x (${Math.min(...r.ratio).toFixed(2)}-${Math.max(...r.ratio).toFixed(2)}) | ` +
    `${cpu(r.ours).toFixed(0)} | ${cpu(r.hc).toFixed(0)} | ${ms(r.ours).toFixed(1)} | ${ms(r.hc).toFixed(1)}`)
}

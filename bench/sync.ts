// Sync protocol benchmark (issue 5): bytes of a delta sync against the original's "send the
// entire repo" (gaps K1), and a line of peers converging. One process; prints ratios.
// Run: node --conditions=source --import tsx bench/sync.ts
import { Feed, signPair } from '../src/feed/index.js'
import type { Plug } from '../src/net/index.js'
import { SimpleKernel } from '../src/kernel/index.js'
import { Memory, encodeBody } from '../src/store/index.js'
import type { ComputeContext } from '../src/store/index.js'
import { MergeCount } from './_shared.js'

class HighWater extends Memory<number> {
  override initialValue = 0
  override compute (current: number, ctx: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    if ((ctx.payload as number) <= current) return ctx.reject('must increment')
    return ctx.payload as number
  }
}

class Counter extends SimpleKernel {
  readonly merged = new MergeCount(this.store)
  constructor () {
    super()
    this.store.register('x', HighWater)
  }

  get blocks (): number { return this.merged.blocks }
  reach (n: number): Promise<void> { return this.merged.reach(n) }
}

function meter (p: Plug, q: Plug): { bytes: number } {
  const m = { bytes: 0 }
  p.open(async (msg) => { m.bytes += msg.length; await q.postMessage(msg) }).catch(() => {})
  q.open(async (msg) => { m.bytes += msg.length; await p.postMessage(msg) }).catch(() => {})
  void p.closed.then(e => q.close(e ?? undefined))
  void q.closed.then(e => p.close(e ?? undefined))
  return m
}

function chain (blocks: number, start = 1): Feed {
  const { sk } = signPair()
  const f = new Feed()
  for (let i = 0; i < blocks; i++) f.append(encodeBody('x', start + i, Date.now()), sk)
  return f
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 })
const ratio = (n: number): string => n.toPrecision(3)

async function deltaCase (): Promise<void> {
  const n = 10_000
  const chains = 100
  const k = 10
  const a = new Counter()
  const b = new Counter()
  await a.boot()
  await b.boot()
  const feeds = Array.from({ length: chains }, () => chain(n / chains))
  for (const f of feeds) {
    await a.dispatch(Feed.from(f.buffer, true))
    await b.dispatch(Feed.from(f.buffer, true))
  }
  const extra = chain(k)
  await a.dispatch(extra)
  if (a.blocks !== n + k || b.blocks !== n) throw new Error('setup failed')
  const blockSize = (extra.last?.blockSize ?? 0)
  const m = meter(a.spawnWire(), b.spawnWire())
  const t0 = performance.now()
  await b.reach(n + k)
  const ms = performance.now() - t0
  const summary = 2 + 3 + (chains + 1) * 27
  const bound = 1.2 * k * blockSize + 2 * summary + 2 * (54 + 65)
  // The original answers a query with every chain: one BLOCKS message (1 + feed bytes) per chain.
  let original = 0
  for (const f of [...feeds, extra]) original += 1 + f.tail
  console.log(`delta sync: n=${n} blocks over ${chains} chains, k=${k} missing (block ${blockSize} B)`)
  console.log(`  bytes on the wire      ${fmt(m.bytes)}  (${fmt(ms)} ms)`)
  console.log(`  bound 1.2*k*block + both summaries + hellos  ${fmt(bound)}  ratio ${ratio(m.bytes / bound)}`)
  console.log(`  original (entire repo)  ${fmt(original)}  ratio ours/original ${ratio(m.bytes / original)} (${fmt(original / m.bytes)}x less)`)
  if (m.bytes > bound) throw new Error('delta sync over budget')
  await a.halt()
  await b.halt()
}

async function lineCase (): Promise<void> {
  const N = 20
  const per = 20
  const ks = Array.from({ length: N }, () => new Counter())
  await Promise.all(ks.map(k => k.boot()))
  const meters = []
  for (let i = 0; i + 1 < N; i++) meters.push(meter((ks[i] as Counter).spawnWire(), (ks[i + 1] as Counter).spawnWire()))
  const t0 = performance.now()
  const work: Array<Promise<unknown>> = []
  for (let j = 1; j <= per; j++) for (const k of ks) work.push(k.createBlock('x', j))
  const created = await Promise.all(work) as Feed[]
  await Promise.all(ks.map(k => k.reach(N * per)))
  const ms = performance.now() - t0
  const bytes = meters.reduce((s, m) => s + m.bytes, 0)
  let blockBytes = 0
  for (const f of created) blockBytes += (f.last?.blockSize ?? 0) + 5 // type byte + PIC0 per message
  const minimum = blockBytes * (N - 1)
  console.log(`line: ${N} peers x ${per} blocks, ${N - 1} links`)
  console.log(`  converged in ${fmt(ms)} ms (${fmt(N * N * per / (ms / 1000))} block acceptances/s)`)
  console.log(`  bytes ${fmt(bytes)}, minimum (each block once per link) ${fmt(minimum)}, ratio ${ratio(bytes / minimum)}`)
  for (const k of ks) if (k.blocks !== N * per) throw new Error('not converged')
  await Promise.all(ks.map(k => k.halt()))
}

await deltaCase()
await lineCase()

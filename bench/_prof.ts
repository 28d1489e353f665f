import { MemoryLevel } from 'memory-level'
import { ClassicLevel } from 'classic-level'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Feed, signPair } from '../src/feed/index.js'
import { Store, Memory, encodeBody, type ComputeContext } from '../src/store/index.js'
const N = Number(process.argv[2] ?? 2000)
const KIND = process.argv[3] ?? 'memory-level'
class Sum extends Memory<number> {
  override initialValue = 0
  override compute (v: number, { payload }: ComputeContext): number { return v + (payload as number) }
}
function db (): any {
  const opts = { keyEncoding: 'view', valueEncoding: 'view' } as const
  if (KIND === 'memory-level') return new MemoryLevel(opts)
  return new ClassicLevel(join(mkdtempSync(join(tmpdir(), 'prof-')), 'db'), opts)
}
async function ours () { const s = new Store(db()); const m = s.register('sum', Sum); await s.load(); return { s, m } }
function makeFeed (sk: string, n: number): Feed {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(encodeBody('sum', 1, 1700000000000 + i), sk)
  return f
}
const t = (l: string, t0: number, n: number) => console.log(l, Math.round(n / ((performance.now() - t0) / 1000)), 'blocks/s')
if (!process.env.W || process.env.W === "a") { const { sk } = signPair(); const a = await ours(); const t0 = performance.now(); for (let i = 0; i < N; i++) await a.m.createBlock(null, 1, sk); t('(a)', t0, N); await a.s.close() }
if (!process.env.W || process.env.W === "b") { const { sk } = signPair(); const bytes = makeFeed(sk, N).buffer.slice(); const a = await ours(); const t0 = performance.now(); await a.s.dispatch(bytes); t('(b)', t0, N); await a.s.close()
  const t1 = performance.now(); Feed.from(bytes); t('verify', t1, N) }
if (!process.env.W) { const keys = Array.from({ length: 100 }, () => signPair()); const feeds = keys.map(k => makeFeed(k.sk, N / 100).buffer.slice()); const a = await ours(); const t0 = performance.now(); for (const f of feeds) await a.s.dispatch(f); t('(c)', t0, N); await a.s.close() }
if (!process.env.W) { const { sk } = signPair(); const f = new Feed(); const t0 = performance.now(); for (let i = 0; i < N; i++) f.append(encodeBody('sum', 1, 1700000000000 + i), sk); t('sign-only', t0, N) }

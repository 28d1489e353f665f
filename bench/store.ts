// Block engine throughput: our Store vs @telamon/picostore 3.0.4 (+ picorepo 2.2.5), and vs
// verifying the same blocks only. Run: node --conditions=source --import tsx bench/store.ts [N]
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { ClassicLevel } from 'classic-level'
import * as PicoStore from '@telamon/picostore'
import * as PicoFeed from 'picofeed'
import { Feed, signPair } from '../src/feed/index.js'
import { Store, Memory, encodeBody, type ComputeContext } from '../src/store/index.js'

const N = Number(process.argv[2] ?? 2000)
const AUTHORS = 100
const PER = Math.max(1, Math.floor(N / AUTHORS))
const { Store: OStore, Memory: OMemory } = PicoStore as any
const dirs: string[] = []

function db (kind: string): any {
  const opts = { keyEncoding: 'view', valueEncoding: 'view' } as const
  if (kind === 'memory-level') return new MemoryLevel(opts)
  const d = mkdtempSync(join(tmpdir(), 'bench-store-'))
  dirs.push(d)
  return new ClassicLevel(join(d, 'db'), opts)
}

class Sum extends Memory<number> {
  override initialValue = 0
  override compute (v: number, { payload }: ComputeContext): number { return v + (payload as number) }
}
class OSum extends OMemory {
  initialValue = 0
  compute (v: number, { payload }: any): number { return v + payload }
}

async function ours (kind: string): Promise<{ s: Store, m: Sum }> {
  const s = new Store(db(kind))
  const m = s.register('sum', Sum)
  await s.load()
  return { s, m }
}
async function orig (kind: string): Promise<{ s: any, m: any }> {
  const s = new OStore(db(kind))
  s.mutexTimeout = 1e9
  const m = s.register('sum', OSum)
  await s.load()
  return { s, m }
}

function makeFeed (sk: string, n: number): Feed {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(encodeBody('sum', 1, 1700000000000 + i), sk)
  return f
}

function check (ok: boolean, what: string): void { if (!ok) throw new Error(`bench result check failed: ${what}`) }

async function time (fn: () => Promise<void>): Promise<number> {
  const t = performance.now()
  await fn()
  return (performance.now() - t) / 1000
}

const silence = console.log
async function quiet<T> (fn: () => Promise<T>): Promise<T> {
  console.log = () => {}
  try { return await fn() } finally { console.log = silence }
}

interface Row { workload: string, backend: string, blocks: number, ours: number, orig: number, verify: number }
const rows: Row[] = []

for (const kind of ['memory-level', 'classic-level']) {
  // (a) one author creating N blocks one by one
  {
    const { sk, pk } = signPair()
    const a = await ours(kind)
    const tOurs = await time(async () => { for (let i = 0; i < N; i++) await a.m.createBlock(null, 1, sk) })
    check(a.m.readState(pk) === N, 'ours (a)')
    await a.s.close()
    const o = await orig(kind)
    let branch: any = null
    const tOrig = await quiet(async () => await time(async () => {
      for (let i = 0; i < N; i++) { branch = branch ?? new PicoFeed.Feed(); await o.m.createBlock(branch, 1, sk) }
    }))
    check((await o.m.readState(pk)) === N, 'original (a)')
    await o.s.close()
    const bytes = makeFeed(sk, N).buffer.slice()
    const tVerify = await time(async () => { Feed.from(bytes) })
    rows.push({ workload: `(a) 1 author creates ${N} one by one`, backend: kind, blocks: N, ours: tOurs, orig: tOrig, verify: tVerify })
  }
  // (b) a foreign N-block feed dispatched at once
  {
    const { sk, pk } = signPair()
    const bytes = makeFeed(sk, N).buffer.slice()
    const a = await ours(kind)
    const tOurs = await time(async () => { await a.s.dispatch(bytes) })
    check(a.m.readState(pk) === N, 'ours (b)')
    await a.s.close()
    const o = await orig(kind)
    const tOrig = await quiet(async () => await time(async () => { await o.s.dispatch(PicoFeed.feedFrom(bytes)) }))
    check((await o.m.readState(pk)) === N, 'original (b)')
    await o.s.close()
    const tVerify = await time(async () => { Feed.from(bytes) })
    rows.push({ workload: `(b) foreign ${N}-block feed at once`, backend: kind, blocks: N, ours: tOurs, orig: tOrig, verify: tVerify })
  }
  // (c) AUTHORS authors x PER blocks
  {
    const keys = Array.from({ length: AUTHORS }, () => signPair())
    const feeds = keys.map(k => makeFeed(k.sk, PER).buffer.slice())
    const a = await ours(kind)
    const tOurs = await time(async () => { for (const f of feeds) await a.s.dispatch(f) })
    check(keys.every(k => a.m.readState(k.pk) === PER), 'ours (c)')
    await a.s.close()
    const o = await orig(kind)
    const tOrig = await quiet(async () => await time(async () => { for (const f of feeds) await o.s.dispatch(PicoFeed.feedFrom(f)) }))
    check((await o.m.readState(keys[0]!.pk)) === PER, 'original (c)')
    await o.s.close()
    const tVerify = await time(async () => { for (const f of feeds) Feed.from(f) })
    rows.push({ workload: `(c) ${AUTHORS} authors x ${PER} blocks`, backend: kind, blocks: AUTHORS * PER, ours: tOurs, orig: tOrig, verify: tVerify })
  }
}

console.log('workload | backend | ours blocks/s | picostore 3.0.4 blocks/s | ours/original | verify-only blocks/s | ours/verify-only')
console.log('--- | --- | ---: | ---: | ---: | ---: | ---:')
for (const r of rows) {
  const bps = (t: number): string => Math.round(r.blocks / t).toLocaleString('en')
  console.log(`${r.workload} | ${r.backend} | ${bps(r.ours)} | ${bps(r.orig)} | ${(r.orig / r.ours).toFixed(1)}x | ${bps(r.verify)} | ${(r.verify / r.ours).toFixed(2)}x`)
}
for (const d of dirs) rmSync(d, { recursive: true, force: true })

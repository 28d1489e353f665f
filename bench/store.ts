// Block engine throughput: our Store vs @telamon/picostore 3.0.4 (+ picorepo 2.2.5), and vs
// verifying the same blocks only.
// Run: node --conditions=source --import tsx bench/store.ts [N] [N_ORIG] [ROUNDS]
// N blocks per workload for ours and verify-only (default 2000); the original runs N_ORIG
// blocks (default min(N, 400): its one-by-one case is quadratic), so ratios compare per-block
// rates (blocks/s), which favours the original. ROUNDS alternating rounds (default 3); the
// reported ratios are the medians of the per-round ratios (the machine may be noisy). The native
// limit column is the floor any engine pays on the backend: the same signatures (a) or
// verifications (b, c) plus one awaited batch of one record per block, per commit.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { ClassicLevel } from 'classic-level'
import * as PicoStore from '@telamon/picostore'
import * as PicoFeed from 'picofeed'
import { Feed, signPair, type Block } from '../src/feed/index.js'
import { Store, Memory, encodeBody, type ComputeContext } from '../src/store/index.js'

const N = Number(process.argv[2] ?? 2000)
const NO = Number(process.argv[3] ?? Math.min(N, 400))
const ROUNDS = Number(process.argv[4] ?? 3)
const AUTHORS = 100
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

/** Writes every block of `blocks` as one record (id -> bytes) in one batch, awaited. */
async function commit (d: any, blocks: readonly Block[]): Promise<void> {
  await d.batch(blocks.map(b => ({ type: 'put', key: b.sig, value: b.buffer })))
}

async function withDb (kind: Kind, fn: (d: any) => Promise<number>): Promise<number> {
  const d = db(kind)
  await d.open()
  try { return await fn(d) } finally { await d.close() }
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

type Kind = 'memory-level' | 'classic-level'
interface Case {
  name: (n: number) => string
  ours: (kind: Kind, n: number) => Promise<number>
  /** null: the original cannot run the workload (its concurrent createBlock calls refuse each other). */
  orig: ((kind: Kind, n: number) => Promise<number>) | null
  verify: (n: number) => Promise<number>
  /** The native limit on the same backend: the signing/verifying plus one awaited batch per commit, nothing else. */
  limit: (kind: Kind, n: number) => Promise<number>
}

const per = (n: number): number => Math.max(1, Math.floor(n / AUTHORS))

const cases: Case[] = [
  {
    // (a) one author creating n blocks one by one
    name: n => `(a) 1 author creates ${n} one by one`,
    async ours (kind, n) {
      const { sk, pk } = signPair()
      const a = await ours(kind)
      const t = await time(async () => { for (let i = 0; i < n; i++) await a.m.createBlock(null, 1, sk) })
      check(a.m.readState(pk) === n, 'ours (a)')
      await a.s.close()
      return t
    },
    async orig (kind, n) {
      const { sk, pk } = signPair()
      const o = await orig(kind)
      let branch: any = null
      const t = await quiet(async () => await time(async () => {
        for (let i = 0; i < n; i++) { branch = branch ?? new PicoFeed.Feed(); await o.m.createBlock(branch, 1, sk) }
      }))
      check((await o.m.readState(pk)) === n, 'original (a)')
      await o.s.close()
      return t
    },
    async verify (n) {
      const bytes = makeFeed(signPair().sk, n).buffer.slice()
      const t = await time(async () => { check(Feed.from(bytes).length === n, 'verify (a)') })
      return t
    },
    async limit (kind, n) {
      const { sk } = signPair()
      return await withDb(kind, async d => await time(async () => {
        const f = new Feed()
        for (let i = 0; i < n; i++) { f.append(encodeBody('sum', 1, Date.now()), sk); await commit(d, [f.last as Block]) }
      }))
    }
  },
  {
    // (b) a foreign n-block feed dispatched at once
    name: n => `(b) foreign ${n}-block feed at once`,
    async ours (kind, n) {
      const { sk, pk } = signPair()
      const bytes = makeFeed(sk, n).buffer.slice()
      const a = await ours(kind)
      const t = await time(async () => { await a.s.dispatch(bytes) })
      check(a.m.readState(pk) === n, 'ours (b)')
      await a.s.close()
      return t
    },
    async orig (kind, n) {
      const { sk, pk } = signPair()
      const bytes = makeFeed(sk, n).buffer.slice()
      const o = await orig(kind)
      const t = await quiet(async () => await time(async () => { await o.s.dispatch(PicoFeed.feedFrom(bytes)) }))
      check((await o.m.readState(pk)) === n, 'original (b)')
      await o.s.close()
      return t
    },
    async verify (n) {
      const bytes = makeFeed(signPair().sk, n).buffer.slice()
      return await time(async () => { check(Feed.from(bytes).length === n, 'verify (b)') })
    },
    async limit (kind, n) {
      const bytes = makeFeed(signPair().sk, n).buffer.slice()
      return await withDb(kind, async d => await time(async () => { await commit(d, Feed.from(bytes).blocks) }))
    }
  },
  {
    // (c) AUTHORS authors x n/AUTHORS blocks, one dispatch per author
    name: n => `(c) ${AUTHORS} authors x ${per(n)} blocks`,
    async ours (kind, n) {
      const keys = Array.from({ length: AUTHORS }, () => signPair())
      const feeds = keys.map(k => makeFeed(k.sk, per(n)).buffer.slice())
      const a = await ours(kind)
      const t = await time(async () => { for (const f of feeds) await a.s.dispatch(f) })
      check(keys.every(k => a.m.readState(k.pk) === per(n)), 'ours (c)')
      await a.s.close()
      return t
    },
    async orig (kind, n) {
      const keys = Array.from({ length: AUTHORS }, () => signPair())
      const feeds = keys.map(k => makeFeed(k.sk, per(n)).buffer.slice())
      const o = await orig(kind)
      const t = await quiet(async () => await time(async () => { for (const f of feeds) await o.s.dispatch(PicoFeed.feedFrom(f)) }))
      for (const k of keys) check((await o.m.readState(k.pk)) === per(n), 'original (c)')
      await o.s.close()
      return t
    },
    async verify (n) {
      const feeds = Array.from({ length: AUTHORS }, () => makeFeed(signPair().sk, per(n)).buffer.slice())
      return await time(async () => { for (const f of feeds) check(Feed.from(f).length === per(n), 'verify (c)') })
    },
    async limit (kind, n) {
      const feeds = Array.from({ length: AUTHORS }, () => makeFeed(signPair().sk, per(n)).buffer.slice())
      return await withDb(kind, async d => await time(async () => { for (const f of feeds) await commit(d, Feed.from(f).blocks) }))
    }
  },
  {
    // (d) one author creating n blocks with every call in flight at once: the store lock orders
    // them on the chain and consecutive dispatches share batches (group commit)
    name: n => `(d) 1 author, ${n} createBlock calls in flight`,
    async ours (kind, n) {
      const { sk, pk } = signPair()
      const a = await ours(kind)
      const t = await time(async () => { await Promise.all(Array.from({ length: n }, async () => await a.m.createBlock(null, 1, sk))) })
      check(a.m.readState(pk) === n, 'ours (d)')
      await a.s.close()
      return t
    },
    orig: null,
    async verify (n) {
      const bytes = makeFeed(signPair().sk, n).buffer.slice()
      return await time(async () => { check(Feed.from(bytes).length === n, 'verify (d)') })
    },
    async limit (kind, n) {
      // the same signatures, written in batches of the size group commit reaches
      const { sk } = signPair()
      return await withDb(kind, async d => await time(async () => {
        const f = new Feed()
        for (let i = 0; i < n; i++) f.append(encodeBody('sum', 1, Date.now()), sk)
        await commit(d, f.blocks)
      }))
    }
  }
]

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2
}

interface Row { workload: string, backend: Kind, oursBps: number[], origBps: number[], verifyBps: number[], limitBps: number[], vsOrig: number[], vsVerify: number[], limitVsVerify: number[] }
const rows: Row[] = []
for (const kind of ['memory-level', 'classic-level'] as const) {
  for (const c of cases) rows.push({ workload: c.name(N), backend: kind, oursBps: [], origBps: [], verifyBps: [], limitBps: [], vsOrig: [], vsVerify: [], limitVsVerify: [] })
}

const blocks = (n: number, c: Case): number => c.name(n).startsWith('(c)') ? AUTHORS * per(n) : n
for (let round = 0; round < ROUNDS; round++) {
  let r = 0
  for (const kind of ['memory-level', 'classic-level'] as const) {
    for (const c of cases) {
      const row = rows[r++] as Row
      // Alternate the order inside each round so drift in machine load hits both sides.
      const order = round % 2 === 0 ? ['ours', 'orig', 'verify', 'limit'] as const : ['limit', 'verify', 'orig', 'ours'] as const
      const bps: Record<string, number> = {}
      for (const who of order) {
        if (who === 'orig' && c.orig === null) { bps.orig = Number.NaN; continue }
        const n = who === 'orig' ? NO : N
        bps[who] = blocks(n, c) / (who === 'verify' ? await c.verify(n) : await (c[who] as NonNullable<Case['orig']>)(kind, n))
      }
      row.oursBps.push(bps.ours as number)
      row.origBps.push(bps.orig as number)
      row.verifyBps.push(bps.verify as number)
      row.limitBps.push(bps.limit as number)
      row.limitVsVerify.push((bps.limit as number) / (bps.verify as number))
      row.vsOrig.push((bps.ours as number) / (bps.orig as number))
      row.vsVerify.push((bps.ours as number) / (bps.verify as number))
    }
  }
}

console.log(`ours and verify-only: ${N} blocks per workload; picostore 3.0.4: ${NO} blocks (ratios compare per-block rates); ${ROUNDS} rounds, medians`)
console.log('native limit: the same signing/verification plus one awaited batch of one record per block, per commit (what any engine on this backend pays)')
console.log('workload | backend | ours blocks/s | picostore 3.0.4 blocks/s | ours/original | verify-only blocks/s | ours/verify-only | native limit blocks/s | limit/verify-only | ours/limit')
console.log('--- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:')
const fmt = (x: number): string => Math.round(x).toLocaleString('en')
for (const r of rows) {
  console.log(`${r.workload} | ${r.backend} | ${fmt(median(r.oursBps))} | ${Number.isNaN(median(r.origBps)) ? '—' : fmt(median(r.origBps))} | ${Number.isNaN(median(r.vsOrig)) ? '—' : median(r.vsOrig).toFixed(1) + 'x'} | ${fmt(median(r.verifyBps))} | ${median(r.vsVerify).toFixed(2)}x | ${fmt(median(r.limitBps))} | ${median(r.limitVsVerify).toFixed(2)}x | ${(median(r.oursBps) / median(r.limitBps)).toFixed(2)}x`)
}
for (const d of dirs) rmSync(d, { recursive: true, force: true })

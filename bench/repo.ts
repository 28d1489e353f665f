// Repo throughput vs the original picorepo@2.2.5, same process, same backends.
// Run: node --conditions=source --import tsx bench/repo.ts [blocks]
// Prints blocks/s for each case and the ratio ours / picorepo. Every case checks its result.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { MemoryLevel } from 'memory-level'
import { ClassicLevel } from 'classic-level'
import { Repo as PicoRepo } from 'picorepo'
import { Feed as PicoFeed } from 'picofeed'
import { Feed, fromHex, signPair, toHex } from '../src/feed/index.js'
import { Repo } from '../src/repo/index.js'
import type { RepoDb } from '../src/repo/index.js'

const N = Number(process.argv[2] ?? 2000)
const LOADS = 20
const dir = mkdtempSync(join(tmpdir(), 'picostack-bench-repo-'))
let dbs = 0

type Backend = 'memory-level' | 'classic-level'
function mkdb (backend: Backend): RepoDb & { open (): Promise<void> } {
  return backend === 'memory-level'
    ? new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    : new ClassicLevel<Uint8Array, Uint8Array>(join(dir, String(dbs++)), { keyEncoding: 'view', valueEncoding: 'view' })
}

// One author's chain of N blocks, signed once; both libraries parse the same bytes.
const { sk, pk: pkHex } = signPair()
const pk = fromHex(pkHex)
const source = new Feed(N * 120)
for (let i = 0; i < N; i++) source.append(`block #${i} ` + 'x'.repeat(32), sk)
const bytes = source.buffer.slice()
const lastHex = toHex(source.last!.sig)
// Parsed (and verified) once, outside the timings: the repo cost is measured, not signatures.
const oursFeed = Feed.from(bytes)
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- the original has loose types */
const picoFeed: any = (PicoFeed as any).from(bytes)

interface Contender {
  name: string
  open (db: RepoDb & { open (): Promise<void> }): Promise<unknown>
  mergeAll (repo: unknown): Promise<number>
  mergeEach (repo: unknown): Promise<number>
  loadHead (repo: unknown): Promise<{ length: number, last: string }>
}

const ours: Contender = {
  name: 'picostack',
  open: async db => new Repo(db),
  mergeAll: async r => (r as Repo).merge(oursFeed),
  mergeEach: async r => {
    let n = 0
    for (const b of oursFeed.blocks) n += await (r as Repo).merge(b)
    return n
  },
  loadHead: async r => {
    const f = await (r as Repo).loadHead(pk)
    return { length: f?.length ?? 0, last: f?.last === undefined ? '' : toHex(f.last.sig) }
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the original has loose types */
const original: Contender = {
  name: 'picorepo@2.2.5',
  open: async db => new PicoRepo(db as any),
  mergeAll: async r => (r as PicoRepo).merge(picoFeed, undefined as any),
  mergeEach: async r => {
    let n = 0
    for (const b of picoFeed.blocks) n += await (r as PicoRepo).merge(b, undefined as any)
    return n
  },
  loadHead: async r => {
    const f: any = await (r as PicoRepo).loadHead(pk as any)
    return { length: f?.length ?? 0, last: f?.last === undefined ? '' : toHex(f.last.sig) }
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

async function measure (c: Contender, backend: Backend): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  // (a) one feed of N blocks in one merge call
  let db = mkdb(backend)
  await db.open()
  let repo = await c.open(db)
  let t = performance.now()
  const a = await c.mergeAll(repo)
  out['merge feed'] = N / ((performance.now() - t) / 1000)
  if (a !== N) throw new Error(`${c.name} merge feed wrote ${a}, expected ${N}`)
  // (c) loadHead of the whole chain, LOADS times
  t = performance.now()
  for (let i = 0; i < LOADS; i++) {
    const h = await c.loadHead(repo)
    if (h.length !== N || h.last !== lastHex) throw new Error(`${c.name} loadHead returned ${h.length} blocks`)
  }
  out.loadHead = N * LOADS / ((performance.now() - t) / 1000)
  await db.close()
  // (b) N merges of one block each
  db = mkdb(backend)
  await db.open()
  repo = await c.open(db)
  t = performance.now()
  const b = await c.mergeEach(repo)
  out['merge 1 by 1'] = N / ((performance.now() - t) / 1000)
  if (b !== N) throw new Error(`${c.name} merge 1 by 1 wrote ${b}, expected ${N}`)
  await db.close()
  return out
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12)
console.log(`repo bench: ${N} blocks, one author; loadHead x${LOADS}; blocks/s`)
try {
  for (const backend of ['memory-level', 'classic-level'] as const) {
    await measure(ours, backend) // warm-up of both code paths
    await measure(original, backend)
    const o = await measure(ours, backend)
    const p = await measure(original, backend)
    console.log(`\n${backend}`)
    console.log('case'.padEnd(14) + 'picostack'.padStart(12) + 'picorepo'.padStart(12) + '   ratio')
    for (const k of Object.keys(o)) {
      console.log(k.padEnd(14) + fmt(o[k]!) + fmt(p[k]!) + `   ${(o[k]! / p[k]!).toFixed(1)}x`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// Fixtures and a tiny timing harness shared by the benchmarks (STYLE.md: Benchmarks).
// Timings are printed, never asserted; every case checks its own result.
import { createHash } from 'node:crypto'
import { Feed } from '../src/feed/index.js'

/** Deterministic secret `i` (hex). */
export function secret (i: number): string {
  return createHash('sha256').update(`picostack bench secret ${i}`).digest('hex')
}

/** `n` bodies of `len` bytes, first byte non-zero, all different. */
export function bodies (n: number, len: number): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => {
    const b = new Uint8Array(len)
    for (let i = 0; i < len; i++) b[i] = (i * 31 + k * 7) % 251 + 1
    return b
  })
}

/** A feed of `n` blocks of `len`-byte bodies by `authors` keys, built with our Feed. */
export function feedOf (n: number, len: number, authors = 1): Feed {
  const f = new Feed(64 + n * (len + 170))
  const bs = bodies(n, len)
  for (let i = 0; i < n; i++) f.append(bs[i] as Uint8Array, secret(i % authors))
  return f
}

/** One measured contender. */
export interface Result { name: string, ops: number, ms: number }

/** A contender: `fn` does `ops` operations; `check` validates its result. */
export interface Contender<T = unknown> {
  name: string
  ops: number
  fn: () => T | Promise<T>
  check: (r: T) => void
  /** How many timed runs (default: all rounds); slow baselines run once. */
  runs?: number
}

/**
 * Runs the contenders in interleaved rounds (so load from other processes hits them alike)
 * after one checked warm-up each, and keeps each one's fastest run.
 */
export async function race (contenders: Contender<never>[], rounds = 5): Promise<Result[]> {
  const cs = contenders as unknown as Contender[]
  const best = new Map<string, number>()
  for (const c of cs) if ((c.runs ?? rounds) > 1) c.check(await c.fn())
  for (let r = 0; r < rounds; r++) {
    for (const c of cs) {
      if (r >= (c.runs ?? rounds)) continue
      const t0 = performance.now()
      const out = await c.fn()
      const ms = performance.now() - t0
      c.check(out)
      best.set(c.name, Math.min(best.get(c.name) ?? Infinity, ms))
    }
  }
  return cs.map(c => ({ name: c.name, ops: c.ops, ms: best.get(c.name) as number }))
}

/** Helper to keep each contender's result type checked. */
export function contender<T> (c: Contender<T>): Contender<never> {
  return c as unknown as Contender<never>
}

/** Prints a table of rates with the ratio of each row to `base` (by name). */
export function report (title: string, rows: Result[], bases: string[]): void {
  console.log(`\n${title}`)
  const rate = (r: Result): number => r.ops / (r.ms / 1000)
  for (const r of rows) {
    const ratios = bases.filter(b => b !== r.name).map(b => {
      const base = rows.find(x => x.name === b)
      return base === undefined ? '' : `${(rate(r) / rate(base)).toFixed(2)}x ${b}`
    }).filter(Boolean).join(', ')
    console.log(`  ${r.name.padEnd(40)} ${rate(r).toFixed(0).padStart(9)} ops/s  ${(r.ms).toFixed(1).padStart(9)} ms  ${ratios}`)
  }
}

/** Throws when `ok` is false: a broken contender must not win. */
export function check (ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench check failed: ${what}`)
}

/** Counts the blocks a store accepted (its onMerge) and resolves waits for a total. */
export class MergeCount {
  blocks = 0
  #waiters: Array<{ n: number, resolve: () => void }> = []
  constructor (store: { onMerge (cb: (feeds: Feed[]) => void): unknown }) {
    store.onMerge(feeds => {
      for (const f of feeds) this.blocks += f.length
      this.#waiters = this.#waiters.filter(w => { if (this.blocks < w.n) return true; w.resolve(); return false })
    })
  }

  /** Resolves once `n` blocks were accepted in total. */
  reach (n: number): Promise<void> {
    if (this.blocks >= n) return Promise.resolve()
    return new Promise(resolve => this.#waiters.push({ n, resolve }))
  }
}

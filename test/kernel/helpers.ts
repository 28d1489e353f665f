// Fixtures of spec/kernel.md §4: a kernel with one collection `x` holding, per author, the
// highest number that author wrote; blocks that do not increase it are rejected.
import { Memory } from '../../src/store/index.js'
import type { ComputeContext } from '../../src/store/index.js'
import { SimpleKernel } from '../../src/kernel/index.js'
import type { KernelDb, KernelOptions } from '../../src/kernel/index.js'
import type { Plug } from '../../src/net/index.js'

export class HighWater extends Memory<number> {
  override initialValue = 0
  override compute (current: number, ctx: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    if ((ctx.payload as number) <= current) return ctx.reject('must increment')
    return ctx.payload as number
  }
}

export class Counter extends SimpleKernel {
  constructor (db?: KernelDb | string, opts?: KernelOptions) {
    super(db, opts)
    this.store.register('x', HighWater)
    this.store.on('x', v => { this.x = (v ?? {}) as Record<string, number> })
  }

  /** Last observed value of `x` (kept current by a subscription). */
  x: Record<string, number> = {}

  bump (n: number): Promise<unknown> { return this.createBlock('x', n) }
  /** Sum of every author's number. */
  get total (): number { return Object.values(this.x ?? {}).reduce((a, b) => a + b, 0) }
}

/** Resolves when `pred(k)` holds for every kernel, re-checking a kernel after each change of its `x`. */
export function until (kernels: Counter[], pred: (k: Counter) => boolean): Promise<void> {
  return new Promise(resolve => {
    const offs: Array<() => void> = []
    const ok = new Set<Counter>()
    let done = false
    for (const k of kernels) {
      offs.push(k.store.on('x', () => {
        if (done || ok.has(k) || !pred(k)) return
        ok.add(k)
        if (ok.size < kernels.length) return
        done = true
        queueMicrotask(() => { for (const off of offs) off() })
        resolve()
      }))
    }
  })
}

/** Resolves when the kernel's `$connections` has `n` entries. */
export function connections (k: SimpleKernel, n: number): Promise<void> {
  return new Promise(resolve => {
    let done = false
    const off = k.$connections()(list => {
      if (done || list.length !== n) return
      done = true
      queueMicrotask(() => off())
      resolve()
    })
  })
}

/** Connects two plugs through a relay that counts the bytes crossing it. */
export function meter (p: Plug, q: Plug): { bytes: number, messages: number } {
  const m = { bytes: 0, messages: 0 }
  p.open(async (msg) => { m.bytes += msg.length; m.messages++; await q.postMessage(msg) }).catch(() => {})
  q.open(async (msg) => { m.bytes += msg.length; m.messages++; await p.postMessage(msg) }).catch(() => {})
  void p.closed.then(e => q.close(e ?? undefined))
  void q.closed.then(e => p.close(e ?? undefined))
  return m
}

export async function booted (n: number, opts?: KernelOptions): Promise<Counter[]> {
  const out = Array.from({ length: n }, () => new Counter(undefined, opts))
  await Promise.all(out.map(k => k.boot()))
  return out
}

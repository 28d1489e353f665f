// Signature checks of a peer's blocks off the main thread (PROTOCOL.md, Exchange 9): a small
// pool of worker threads in Node, each running the feed's own Ed25519 backend. Optional and
// injectable: browsers, the simulator (which must stay deterministic) and any caller that
// passes `verifier: null` verify on the main thread instead.
import { ed25519 } from '../feed/index.js'
import type { BatchVerifier, VerifyItem } from '../feed/index.js'
import type * as WorkerThreads from 'node:worker_threads'
import type * as Os from 'node:os'
import { packItems } from './verify-pack.js'

/** Options of {@link workerVerifier}. */
export interface WorkerVerifierOptions {
  /** Number of worker threads (default: the cores available, at most 4). */
  size?: number
}

/** Fewest items worth a worker round trip: smaller batches are checked inline. */
const MIN_SPLIT = 32

interface Pending { resolve (ok: Uint8Array): void, reject (err: Error): void }

class Slot {
  readonly worker: WorkerThreads.Worker
  readonly pending = new Map<number, Pending>()
  /** Items queued on this worker. */
  load = 0
  constructor (worker: WorkerThreads.Worker) { this.worker = worker }
}

function builtin<T> (id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined
  } catch {
    return undefined
  }
}

/** How a worker is started: from the built `.js` file, or (running from source) through tsx. */
function spawn (wt: typeof WorkerThreads): WorkerThreads.Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new wt.Worker(new URL('./verify-worker.js', here))
  const target = new URL('./verify-worker.ts', here).href
  let tsx = 'tsx/esm/api'
  try { tsx = import.meta.resolve(tsx) } catch { /* resolved by the worker */ }
  const code = `import(${JSON.stringify(tsx)}).then(m => { m.register(); return import(${JSON.stringify(target)}) })`
  return new wt.Worker(code, { eval: true })
}

/**
 * A {@link BatchVerifier} over a pool of worker threads, each checking signatures with the
 * feed's Ed25519 backend; a batch is split across the workers. The workers start on first
 * use and do not keep the process alive when idle. If a worker fails, its checks (and every
 * later batch) are done on the calling thread: a verdict is never guessed.
 *
 * @param options - pool size
 * @returns the verifier, or `undefined` where worker threads are not available (browsers)
 */
export function workerVerifier (options: WorkerVerifierOptions = {}): BatchVerifier | undefined {
  const wt = builtin<typeof WorkerThreads>('node:worker_threads')
  if (wt === undefined || typeof wt.Worker !== 'function') return undefined
  const os = builtin<typeof Os>('node:os')
  const size = options.size ?? Math.max(1, Math.min(4, os?.availableParallelism?.() ?? 2))
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`"size" expected a positive integer, got ${String(size)}`)
  const slots: Slot[] = []
  let broken = false
  let next = 0

  const start = (): boolean => {
    if (broken) return false
    if (slots.length > 0) return true
    try {
      for (let i = 0; i < size; i++) {
        const slot = new Slot(spawn(wt))
        slot.worker.unref()
        slot.worker.on('message', (m: { id: number, ok: Uint8Array }) => {
          const p = slot.pending.get(m.id)
          if (p === undefined) return
          slot.pending.delete(m.id)
          if (slot.pending.size === 0) slot.worker.unref()
          p.resolve(m.ok)
        })
        const fail = (err: unknown): void => {
          broken = true
          const e = err instanceof Error ? err : new Error(`verification worker exited (${String(err)})`)
          for (const p of slot.pending.values()) p.reject(e)
          slot.pending.clear()
        }
        slot.worker.on('error', fail)
        slot.worker.on('exit', fail)
        slots.push(slot)
      }
      return true
    } catch {
      broken = true
      return false
    }
  }

  const run = (slot: Slot, items: readonly VerifyItem[]): Promise<Uint8Array> => new Promise((resolve, reject) => {
    const id = next++
    const buf = packItems(items)
    slot.load += items.length
    const done = (): void => { slot.load -= items.length }
    slot.pending.set(id, { resolve: ok => { done(); resolve(ok) }, reject: err => { done(); reject(err) } })
    if (slot.pending.size === 1) slot.worker.ref()
    slot.worker.postMessage({ id, buf }, [buf.buffer as ArrayBuffer])
  })

  const inline = (items: readonly VerifyItem[]): boolean[] => items.map(it => {
    try {
      return ed25519().verify(it.sig, it.msg, it.pk)
    } catch {
      return false
    }
  })

  return {
    name: `workers:${size}`,
    async verifyBatch (items) {
      if (items.length === 0) return []
      if (!start()) return inline(items)
      // Split across the workers, least loaded first; small batches go to one worker.
      const parts = Math.max(1, Math.min(slots.length, Math.floor(items.length / MIN_SPLIT)))
      const order = [...slots].sort((a, b) => a.load - b.load).slice(0, parts)
      const per = Math.ceil(items.length / parts)
      const chunks = order.map((slot, i) => ({ slot, items: items.slice(i * per, (i + 1) * per) }))
      const verdicts = await Promise.all(chunks.map(async c => {
        if (c.items.length === 0) return []
        try {
          return Array.from(await run(c.slot, c.items), v => v === 1)
        } catch {
          return inline(c.items) // the worker failed, not the signatures
        }
      }))
      return verdicts.flat()
    }
  }
}

let current: BatchVerifier | null | undefined
let detected: BatchVerifier | null | undefined

/**
 * The verifier kernels use for peers' blocks unless given one: a {@link workerVerifier} pool
 * shared by the process in Node, `null` (the main thread) elsewhere or after
 * {@link setDefaultVerifier}`(null)`.
 *
 * @returns the verifier, or null for the main thread
 */
export function defaultVerifier (): BatchVerifier | null {
  if (current !== undefined) return current
  detected ??= workerVerifier() ?? null
  return detected
}

/**
 * Replaces the verifier kernels use by default (the simulator sets `null` while it runs, so
 * simulated peers stay deterministic); `undefined` restores detection.
 *
 * @param verifier - the verifier, null for the main thread, undefined for the default
 */
export function setDefaultVerifier (verifier: BatchVerifier | null | undefined): void {
  current = verifier
}

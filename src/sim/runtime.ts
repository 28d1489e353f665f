// Virtual time and randomness for the code of simulated peers. While a simulation runs, the
// process's timer functions (setTimeout, setInterval, setImmediate and their clear*), Date,
// performance.now, Math.random and crypto.getRandomValues are replaced by versions driven by
// the simulator's event queue and seeded streams; everything is restored when the run ends.
// This is our own small fake-timer layer (not @sinonjs/fake-timers): the simulator already owns
// a heap-ordered event queue, and sharing it keeps one notion of time, O(log n) per timer and
// per-peer attribution (skew, random streams, crash cancellation).
import type { EventQueue, Owner, SimEvent } from './queue.js'
import type { Random } from './random.js'
import { setDefaultVerifier } from '../kernel/verify-pool.js'

/** The process's own functions, captured before any simulation replaces them. @internal */
export const real: {
  setTimeout: typeof globalThis.setTimeout
  clearTimeout: typeof globalThis.clearTimeout
  setImmediate: typeof globalThis.setImmediate
  Date: DateConstructor
  now: () => number
} = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
  // bound now: a later lookup would find the virtual clock the runtime installs on `performance`
  now: globalThis.performance.now.bind(globalThis.performance)
}

/** What the runtime needs from its simulator. @internal */
export interface RuntimeHost {
  readonly queue: EventQueue
  /** Current virtual time, ms. */
  readonly time: number
  /** The peer incarnation whose event is running (null for the simulator's own). */
  readonly current: (Owner & { readonly skew: number, readonly rng: Random }) | null
  /** The stream used outside any peer. */
  readonly rng: Random
  /** Virtual time 0 as a wall-clock epoch (ms). */
  readonly epoch: number
}

let installed: RuntimeHost | null = null
let saved: (() => void) | null = null

/** A Node-like Timeout handle backed by a simulator event. */
class VirtualTimer {
  ev: SimEvent | null = null
  readonly id: number
  constructor (id: number) { this.id = id }
  ref (): this { return this }
  unref (): this { return this }
  hasRef (): boolean { return true }
  refresh (): this { return this }
  close (): this { if (this.ev !== null) this.ev.cancelled = true; return this }
  [Symbol.toPrimitive] (): number { return this.id }
}

/** The host currently installed, if any. @internal */
export function installedHost (): RuntimeHost | null {
  return installed
}

/**
 * Replaces the process globals with virtual ones driven by `host`.
 * @returns false when another simulation already owns them
 * @internal
 */
export function install (host: RuntimeHost): boolean {
  if (installed !== null) return installed === host
  installed = host
  // Simulated peers check signatures on the main thread: a worker's answer would arrive in real time.
  setDefaultVerifier(null)
  const g = globalThis as Record<string, unknown>
  const timers = new Map<number, VirtualTimer>()
  let nextId = 1
  const wall = (): number => host.epoch + host.time + (host.current?.skew ?? 0)
  const rng = (): Random => host.current?.rng ?? host.rng

  const schedule = (fn: () => void, delay: number, interval: number | null, zero: boolean): VirtualTimer => {
    const t = new VirtualTimer(nextId++)
    const owner = host.current
    timers.set(t.id, t)
    const arm = (d: number): void => {
      t.ev = host.queue.push(host.time + d, () => {
        if (interval === null) timers.delete(t.id)
        else arm(interval)
        fn()
      }, owner)
    }
    arm(zero ? 0 : delay)
    return t
  }
  const ms = (delay: unknown): number => {
    const d = Number(delay)
    return d >= 1 && d <= 0x7fffffff ? Math.trunc(d) : 1
  }
  const clear = (handle: unknown): void => {
    if (handle === undefined || handle === null) return
    const t = handle instanceof VirtualTimer ? handle : timers.get(Number(handle))
    if (t === undefined) return
    t.close()
    timers.delete(t.id)
  }
  const bind = (fn: unknown, args: unknown[]): () => void => {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function')
    return args.length === 0 ? fn as () => void : () => { (fn as (...a: unknown[]) => void)(...args) }
  }

  const RealDate = real.Date
  function FakeDate (this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(wall()).toString()
    return args.length === 0 ? new RealDate(wall()) : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args)
  }
  FakeDate.prototype = RealDate.prototype
  FakeDate.now = wall
  FakeDate.parse = RealDate.parse
  FakeDate.UTC = RealDate.UTC

  const perf = globalThis.performance as unknown as Record<string, unknown>
  const crypto = globalThis.crypto as unknown as Record<string, unknown>
  const before = {
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
    setImmediate: g.setImmediate,
    clearImmediate: g.clearImmediate,
    Date: g.Date,
    random: Math.random
  }
  g.setTimeout = (fn: unknown, delay?: unknown, ...args: unknown[]) => schedule(bind(fn, args), ms(delay), null, false)
  g.setInterval = (fn: unknown, delay?: unknown, ...args: unknown[]) => schedule(bind(fn, args), ms(delay), ms(delay), false)
  g.setImmediate = (fn: unknown, ...args: unknown[]) => schedule(bind(fn, args), 0, null, true)
  g.clearTimeout = clear
  g.clearInterval = clear
  g.clearImmediate = clear
  g.Date = FakeDate
  Math.random = () => rng().next()
  Object.defineProperty(perf, 'now', { value: () => host.time + (host.current?.skew ?? 0), configurable: true, writable: true })
  Object.defineProperty(crypto, 'getRandomValues', { value: <T extends ArrayBufferView>(a: T): T => rng().fill(a), configurable: true, writable: true })

  saved = () => {
    Object.assign(g, before)
    Math.random = before.random
    delete perf.now
    delete crypto.getRandomValues
    for (const t of timers.values()) t.close()
  }
  return true
}

/** Restores the process globals. @internal */
export function uninstall (host: RuntimeHost): void {
  if (installed !== host) return
  saved?.()
  saved = null
  installed = null
  setDefaultVerifier(undefined)
}

/** Resolves once every microtask and nextTick queued so far (and those they queue) has run. @internal */
export function drain (): Promise<void> {
  return new Promise(resolve => { real.setImmediate(resolve) })
}

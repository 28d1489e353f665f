// Test helpers for nuro: a source that counts its live subscriptions, deferreds, event-loop turns.
import type { Neuron } from '../../src/nuro/index.js'

export interface Probe<T> {
  $n: Neuron<T>
  /** Fires `v` to every live subscriber (no dedupe, unlike write). */
  fire: (v: T) => void
  /** Live subscriptions right now. */
  live: () => number
  /** Subscriptions ever made. */
  total: () => number
}

/** A source neuron that counts live subscriptions; fires `initial` synchronously when given. */
export function probe<T> (...initial: [] | [T]): Probe<T> {
  const subs = new Set<{ cb: (v: T) => void }>()
  let total = 0
  let current = initial
  const $n: Neuron<T> = cb => {
    const s = { cb }
    subs.add(s)
    total++
    if (current.length === 1) cb(current[0])
    let done = false
    return () => {
      if (done) return
      done = true
      subs.delete(s)
    }
  }
  return {
    $n,
    fire: v => { current = [v]; for (const s of [...subs]) if (subs.has(s)) s.cb(v) },
    live: () => subs.size,
    total: () => total
  }
}

export interface Deferred<T> { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void }

export function deferred<T> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** One full event-loop turn: every queued promise callback has run when it resolves. */
export function turn (): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

/** Subscribes and records values and errors. */
export function record<T> ($n: Neuron<T>): { values: T[], errors: Error[], stop: () => void } {
  const values: T[] = []
  const errors: Error[] = []
  const stop = $n(v => { values.push(v) }, e => { errors.push(e) })
  return { values, errors, stop }
}

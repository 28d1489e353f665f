/**
 * Svelte adapter for neurons, without depending on Svelte: Svelte's store contract is
 * structural, so a neuron becomes a readable store with a few lines, and back.
 *
 * @example
 * ```svelte
 * <script>
 *   import { toReadable } from 'picostack/nuro/svelte'
 *   const peers = toReadable(kernel.$connections, [])
 * </script>
 * {$peers.length} peers
 * ```
 *
 * @packageDocumentation
 */
import type { Neuron, Unsubscribe } from './types.js'

/** Svelte's readable store contract (svelte/store `Readable`). */
export interface Readable<T> {
  /** Calls `run` synchronously with the current value, then on every change. */
  subscribe: (run: (value: T) => void, invalidate?: () => void) => Unsubscribe
}

/** What Svelte (3-5) and RxJS-style stores return from `subscribe`. */
export type StoreUnsubscriber = (() => void) | {
  /** Ends the subscription. */
  unsubscribe: () => void
}

/**
 * A Svelte readable store of a neuron. Svelte requires a synchronous first value: when the
 * neuron has none yet, `initial` is delivered first. Each store subscriber holds one
 * subscription to the neuron (wrap the neuron in `memo` to share one) and releases it on
 * unsubscribe. Neuron errors are not swallowed: they surface as unhandled rejections.
 *
 * @param $n - the neuron
 * @returns a readable store (`undefined` before the neuron first fires)
 * @throws TypeError when `$n` is not a function
 * @example
 * ```ts
 * const count = toReadable($count, 0) // use as $count in a component
 * ```
 */
export function toReadable<T> ($n: Neuron<T>): Readable<T | undefined>
/**
 * A Svelte readable store of a neuron that delivers `initial` first when the neuron has no
 * value yet (see the overload above).
 *
 * @param $n - the neuron
 * @param initial - the value before the neuron first fires
 * @returns a readable store
 * @throws TypeError when `$n` is not a function
 */
export function toReadable<T, I> ($n: Neuron<T>, initial: I): Readable<T | I>
export function toReadable<T, I> ($n: Neuron<T>, initial?: I): Readable<T | I | undefined> {
  if (typeof $n !== 'function') throw new TypeError('"$n" expected a neuron (function), got ' + typeof $n)
  return {
    subscribe (run) {
      let fired = false
      const unsub = $n(v => { fired = true; run(v) })
      if (!fired) run(initial)
      let done = false
      return () => { if (!done) { done = true; unsub() } }
    }
  }
}

/**
 * A neuron of a Svelte store (or anything with that `subscribe` contract).
 *
 * @param store - a readable, writable or derived store
 * @returns a synchronous neuron
 * @example
 * ```ts
 * const $theme = fromReadable(themeStore)
 * ```
 */
export function fromReadable<T> (store: { subscribe: (run: (value: T) => void) => StoreUnsubscriber }): Neuron<T> {
  if (typeof store?.subscribe !== 'function') throw new TypeError('"store" expected an object with subscribe()')
  return cb => {
    const u = store.subscribe(cb)
    return typeof u === 'function' ? u : () => u.unsubscribe()
  }
}

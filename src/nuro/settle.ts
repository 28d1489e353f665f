// settle: debounce for the last hop into a framework (spec §3, gaps U3).
import type { Neuron } from './types.js'
import { assertNeuron, assertSynapse } from './internal.js'

/**
 * Debounce: fires the last value after `debounceMs` of silence. With `risingEdge`, a value
 * that arrives when nothing is pending fires at once (so the first value is synchronous) and
 * opens a window; the last value of a burst then fires when the window has been quiet for
 * `debounceMs` — only if it came after the rising-edge one, so no value fires twice.
 * Unsubscribe cancels the pending timer. It introduces asynchrony: use it for the final output.
 *
 * @param $n - the input neuron
 * @param debounceMs - quiet period in milliseconds (default 10)
 * @param risingEdge - also fire immediately at the start of a burst (default false)
 * @returns the debounced neuron
 * @throws TypeError when `$n` is not a function; RangeError when `debounceMs` is negative or not finite
 * @example
 * ```ts
 * const $view = settle(combine($a, $b), 16, true)
 * ```
 */
export function settle<T> ($n: Neuron<T>, debounceMs = 10, risingEdge = false): Neuron<T> {
  assertNeuron($n)
  if (!Number.isFinite(debounceMs) || debounceMs < 0) throw new RangeError('"debounceMs" expected a finite number >= 0, got ' + debounceMs)
  return (cb, onError) => {
    assertSynapse(cb)
    let active = true
    let timer: ReturnType<typeof setTimeout> | undefined
    let pending = false
    let last: T
    const quiet = (): void => {
      timer = undefined
      if (!active || !pending) return
      pending = false
      cb(last)
    }
    const unsub = $n(v => {
      if (!active) return
      const leading = risingEdge && timer === undefined
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(quiet, debounceMs)
      if (leading) { pending = false; cb(v); return }
      pending = true
      last = v
    }, onError)
    return () => {
      active = false
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      unsub()
    }
  }
}

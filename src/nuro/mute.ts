// mute ("MUTatE"): map values, synchronously or through promises, in input order (spec §3).
import type { Neuron } from './types.js'
import { mutationFailed } from './errors.js'
import { assertNeuron, assertSynapse, isThenable, report } from './internal.js'

interface Slot<U> { done: boolean, ok: boolean, value?: U, err?: unknown }

/**
 * Maps each value of `$n` through `fn`. A plain result fires synchronously; a promise result
 * fires when it resolves, and results are delivered in input order (a result waits for the
 * ones before it, a plain result too while promises are pending). A rejection goes to the
 * error channel as `MutationFailed` and the stream goes on. After unsubscribe nothing pending
 * is delivered. A synchronous throw of `fn` propagates to whoever fired.
 * Placeholders are not fired: wrap in {@link init} for a synchronous first value.
 *
 * @param $n - the input neuron
 * @param fn - the mutation, `(v) => U | Promise<U>`
 * @returns a neuron of the results
 * @throws TypeError when `$n` or `fn` is not a function
 * @example
 * ```ts
 * const $double = mute($n, v => v * 2)
 * const $profile = init(null, mute($id, id => fetchProfile(id)))
 * ```
 */
export function mute<T, U> ($n: Neuron<T>, fn: (value: T) => U | PromiseLike<U>): Neuron<U> {
  assertNeuron($n)
  if (typeof fn !== 'function') throw new TypeError('"fn" expected a mutation function, got ' + typeof fn)
  return (cb, onError) => {
    assertSynapse(cb)
    let active = true
    const queue: Array<Slot<U>> = []
    const flush = (): void => {
      while (active && queue.length > 0 && queue[0]!.done) {
        const s = queue.shift()!
        if (s.ok) cb(s.value as U)
        else report(onError, mutationFailed(s.err))
      }
    }
    const unsub = $n(v => {
      if (!active) return
      const r = fn(v)
      if (!isThenable(r)) {
        if (queue.length === 0) { cb(r); return }
        queue.push({ done: true, ok: true, value: r })
        return
      }
      const slot: Slot<U> = { done: false, ok: false }
      queue.push(slot)
      r.then(value => {
        slot.done = true; slot.ok = true; slot.value = value
        flush()
      }, err => {
        slot.done = true; slot.err = err
        flush()
      })
    }, onError)
    return () => {
      active = false
      queue.length = 0
      unsub()
    }
  }
}

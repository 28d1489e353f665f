// Sources: neurons that hold or produce values (spec/nuro.md §2).
import type { ErrorHandler, Neuron, Synapse, Unsubscribe } from './types.js'
import { promiseRejected } from './errors.js'
import { assertNeuron, assertSynapse, fanOut, isThenable, noop, report, type Sub } from './internal.js'
import { clone, notEqual } from './equal.js'

/** Sets a {@link write} neuron's value; returns the value it was given. */
export type Setter<T> = (value: T) => T

/**
 * A writable neuron: fires its current value on subscribe and every new value to all
 * subscribers. `set(v)` fires only when `notEqual(current, v)` (shallow; Dates by time).
 * A subscriber that sets a new value while being notified is safe: no subscriber receives
 * an older value after a newer one. If subscribers throw, all still get the value and `set`
 * rethrows the first error.
 *
 * @param value - the initial value
 * @returns `[$n, set]`
 * @example
 * ```ts
 * const [$count, setCount] = write(0)
 * const stop = $count(v => render(v)) // renders 0 at once
 * setCount(1)                         // renders 1
 * stop()
 * ```
 */
export function write<T> (value: T): [Neuron<T>, Setter<T>] {
  let current = value
  let version = 0
  const subs = new Set<Sub<T>>()
  const $n: Neuron<T> = (cb, onError) => {
    assertSynapse(cb)
    const sub: Sub<T> = { cb, onError, active: true }
    subs.add(sub)
    try { cb(current) } catch (err) { sub.active = false; subs.delete(sub); throw err }
    return () => { sub.active = false; subs.delete(sub) }
  }
  const set: Setter<T> = v => {
    if (!notEqual(current, v)) return v
    current = v
    version++
    fanOut(subs, v, () => version)
    return v
  }
  return [$n, set]
}

/**
 * Alias of {@link write}.
 *
 * @param value - the initial value
 * @returns `[$n, set]`
 */
export const writable: <T>(value: T) => [Neuron<T>, Setter<T>] = write

/**
 * A constant, or a placeholder in front of an asynchronous neuron. On subscribe it fires a
 * shallow copy of `value` (a fresh copy per subscriber) unless `$n` fired synchronously during
 * the subscription, in which case only `$n`'s values are seen; afterwards it forwards `$n`.
 *
 * @param value - the constant or placeholder
 * @returns a synchronous neuron
 * @example
 * ```ts no-run
 * const $user = init({ state: 'loading' }, mute($id, fetchUser))
 * ```
 */
export function init<T> (value: T): Neuron<T>
/**
 * A placeholder in front of an asynchronous neuron: fires a shallow copy of `value`, then
 * forwards `$n` (see the overload above).
 *
 * @param value - the placeholder
 * @param $n - the neuron to forward
 * @returns a synchronous neuron
 * @throws TypeError when `$n` is not a function
 */
export function init<T, U> (value: T, $n: Neuron<U>): Neuron<T | U>
export function init<T, U> (value: T, $n?: Neuron<U>): Neuron<T | U> {
  if ($n !== undefined) assertNeuron($n)
  return (cb, onError) => {
    assertSynapse(cb)
    if ($n === undefined) { cb(clone(value)); return noop }
    let active = true
    let fired = false
    const unsub = $n(v => { if (active) { fired = true; cb(v) } }, onError)
    if (!fired) {
      try { cb(clone(value)) } catch (err) { active = false; unsub(); throw err }
    }
    return () => { active = false; unsub() }
  }
}

/**
 * A neuron of a promise's value. Fires the resolved value once (synchronously for subscribers
 * that arrive after it settled); a rejection goes to the error channel as `PromiseRejected`.
 * Unsubscribing before it settles means the callback is never called.
 *
 * @param promise - the promise to observe
 * @returns an asynchronous neuron (synchronous once settled)
 * @throws TypeError when `promise` is not a promise
 * @example
 * ```ts
 * const $cfg = init(defaults, when(loadConfig()))
 * ```
 */
export function when<T> (promise: PromiseLike<T>): Neuron<T> {
  if (!isThenable(promise)) throw new TypeError('"promise" expected a Promise, got ' + typeof promise)
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  let value: T
  let reason: unknown
  return (cb: Synapse<T>, onError?: ErrorHandler): Unsubscribe => {
    assertSynapse(cb)
    if (state === 'resolved') { cb(value); return noop }
    if (state === 'rejected') { report(onError, promiseRejected(reason)); return noop }
    let active = true
    promise.then(v => {
      state = 'resolved'
      value = v
      if (active) { active = false; cb(v) }
    }, err => {
      state = 'rejected'
      reason = err
      if (active) { active = false; report(onError, promiseRejected(err)) }
    })
    return () => { active = false }
  }
}

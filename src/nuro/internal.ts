// Helpers shared by the operators; not part of the public surface.
import type { ErrorHandler, Neuron } from './types.js'
import type { NuroError } from './errors.js'

/** An unsubscribe function that does nothing. */
export const noop = (): void => {}

/**
 * Delivers an error to the subscriber's handler, or — when it gave none — raises it as an
 * unhandled rejection so it is never silently lost (STYLE: never log and carry on).
 */
export function report (onError: ErrorHandler | undefined, err: NuroError): void {
  if (onError !== undefined) onError(err)
  else void Promise.reject(err)
}

/** Caller mistake: subscribing with something that is not a function. */
export function assertSynapse (cb: unknown): void {
  if (typeof cb !== 'function') throw new TypeError('"synapse" expected a function, got ' + typeof cb)
}

/** Caller mistake: an operator given something that is not a neuron. */
export function assertNeuron (n: unknown, name = '$n'): asserts n is Neuron<unknown> {
  if (typeof n !== 'function') throw new TypeError(`"${name}" expected a neuron (function), got ${typeof n}`)
}

/** Whether `x` looks like a promise (has a callable `then`). */
export function isThenable (x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null &&
    typeof (x as { then?: unknown }).then === 'function'
}

/** A per-subscription record used by the fan-out sources (`write`, `memo`). */
export interface Sub<T> { cb: (v: T) => void, onError: ErrorHandler | undefined, active: boolean }

/**
 * Fires `v` to every active subscriber. Stops early when a subscriber caused a newer firing
 * (`version()` changed): that firing already reached everyone, and the older value must not
 * arrive after it. Every subscriber is called even if one throws; the first error is rethrown.
 */
export function fanOut<T> (subs: Set<Sub<T>>, v: T, version: () => number): void {
  const mine = version()
  let failed = false
  let error: unknown
  for (const s of [...subs]) {
    if (version() !== mine) break
    if (!s.active) continue
    try { s.cb(v) } catch (err) {
      if (!failed) { failed = true; error = err }
    }
  }
  if (failed) throw error
}

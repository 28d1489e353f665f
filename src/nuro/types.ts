import type { NuroError } from './errors.js'

/** A subscriber's callback: receives every value the neuron fires. */
export type Synapse<T> = (value: T) => void

/** Stops delivery to one subscriber and releases what it held upstream. Idempotent. */
export type Unsubscribe = () => void

/**
 * Receives asynchronous failures (a rejected mutation, a rejected promise, ...). Errors never
 * travel as values; a neuron whose subscriber passed no handler raises them as an unhandled
 * promise rejection rather than swallowing them.
 */
export type ErrorHandler = (err: NuroError) => void

/**
 * A neuron of `T`: subscribe with a callback, get back an unsubscribe function.
 *
 * Contract: the callback is called synchronously once during subscription when the neuron
 * has a current value, then on every firing, and never after unsubscribe. Subscription is lazy
 * and each subscriber gets its own upstream subscription (share one with `memo`). The optional
 * second argument is the error channel; a plain `(cb) => unsubscribe` function is a neuron too.
 *
 * @example
 * ```ts
 * const $ticks: Neuron<number> = cb => {
 *   let n = 0
 *   const t = setInterval(() => cb(n++), 1000)
 *   return () => clearInterval(t)
 * }
 * ```
 */
export type Neuron<T> = (synapse: Synapse<T>, onError?: ErrorHandler) => Unsubscribe

/** The value type of a neuron. */
export type NeuronValue<N> = N extends Neuron<infer T> ? T : never

/** `{ [k]: Neuron<T> }` or `[Neuron<A>, Neuron<B>]` mapped to their value types. */
export type CombinedValues<N> = { -readonly [K in keyof N]: NeuronValue<N[K]> }

/** Options of the helpers that wait for a value. */
export interface WaitOptions {
  /** Rejects with `Aborted` (cause: the signal's reason) when aborted. */
  signal?: AbortSignal
  /** Milliseconds before rejecting with `Timeout`; omitted, 0 or negative = no timeout. */
  timeout?: number
}

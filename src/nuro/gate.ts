// gate: drop repeated values (spec §3, gaps U4).
import type { Neuron } from './types.js'
import { assertNeuron, assertSynapse } from './internal.js'
import { clone, notEqual, notEqualDeep, snapshot } from './equal.js'

/** A custom "is dirty" test for {@link gate}: true when `next` should pass. */
export type DirtyCheck<T> = (next: T, prev: T) => boolean

/**
 * Passes the first value, then only values that differ from the previously passed one.
 *
 * - default (deep): compares with `notEqualDeep` against a deep snapshot of the previous value,
 *   so in-place mutations of nested objects are noticed;
 * - `shallow = true`: compares with `notEqual` against a shallow copy;
 * - a function `(next, prev) => boolean`: passes when it returns true; `prev` is the previously
 *   passed value itself.
 *
 * @param $n - the input neuron
 * @param mode - `false` (deep, default), `true` (shallow) or a dirty check
 * @returns the gated neuron; each subscriber has its own memory
 * @throws TypeError when `$n` is not a function
 * @example
 * ```ts
 * gate($n)               // 0,1,1,1,3,5,5,7 -> 0,1,3,5,7
 * gate($n, true)         // shallow
 * gate($n, (a, b) => a.id !== b.id)
 * ```
 */
export function gate<T> ($n: Neuron<T>, mode: boolean | DirtyCheck<T> = false): Neuron<T> {
  assertNeuron($n)
  const custom = typeof mode === 'function' ? mode : undefined
  const dirty: DirtyCheck<T> = custom ?? (mode === true ? notEqual : notEqualDeep)
  const keep: (v: T) => T = custom !== undefined ? v => v : mode === true ? clone : v => snapshot(v)
  return (cb, onError) => {
    assertSynapse(cb)
    let active = true
    let first = true
    let prev: T
    const unsub = $n(v => {
      if (!active || (!first && !dirty(v, prev))) return
      first = false
      prev = keep(v)
      cb(v)
    }, onError)
    return () => { active = false; unsub() }
  }
}

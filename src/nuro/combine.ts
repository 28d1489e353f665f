// combine: latest values of several neurons as an array or an object (spec §3, gaps U5).
import type { CombinedValues, Neuron, Unsubscribe } from './types.js'
import { assertNeuron, assertSynapse } from './internal.js'

/**
 * Combines neurons. Holds output until every input has fired once, then fires on every input
 * firing with a new container of the latest values. Neurons as arguments or as an array give
 * an array (in order; an array is not treated as a map); an object of neurons gives
 * an object with the same keys. An empty array or object fires an empty container at once.
 * Unsubscribe releases every input.
 *
 * @param neurons - `combine($a, $b)`, `combine([$a, $b])` or `combine({ a: $a, b: $b })`
 * @returns a neuron of arrays or objects
 * @throws TypeError when called without arguments or when an input is not a neuron
 * @example
 * ```ts
 * const $sum = mute(combine($a, $b), ([a, b]) => a + b)
 * const $view = combine({ user: $user, peers: $peers }) // fires { user, peers }
 * ```
 */
export function combine<const L extends readonly Neuron<unknown>[]> (...neurons: L): Neuron<CombinedValues<L>>
export function combine<const L extends readonly Neuron<unknown>[]> (neurons: L): Neuron<CombinedValues<L>>
export function combine<M extends Record<string, Neuron<unknown>>> (neurons: M): Neuron<CombinedValues<M>>
export function combine (...args: unknown[]): Neuron<unknown> {
  if (args.length === 0) throw new TypeError('combine(): a list of neurons is required')
  let keys: string[] | undefined
  let inputs: unknown[]
  if (args.length === 1 && typeof args[0] !== 'function') {
    const arg = args[0]
    if (Array.isArray(arg)) inputs = arg
    else if (typeof arg === 'object' && arg !== null) {
      keys = Object.keys(arg)
      inputs = keys.map(k => (arg as Record<string, unknown>)[k])
    } else throw new TypeError('combine(): expected neurons, an array or an object of neurons, got ' + typeof arg)
  } else inputs = args
  inputs.forEach((n, i) => assertNeuron(n, keys === undefined ? `neurons[${i}]` : keys[i]))
  const $ns = inputs as Array<Neuron<unknown>>
  const build = (values: unknown[]): unknown => {
    if (keys === undefined) return values.slice()
    const out: Record<string, unknown> = {}
    keys.forEach((k, i) => { out[k] = values[i] })
    return out
  }
  return (cb, onError) => {
    assertSynapse(cb)
    let active = true
    let missing = $ns.length
    const values: unknown[] = new Array($ns.length)
    const seen: boolean[] = new Array($ns.length).fill(false)
    const unsubs: Unsubscribe[] = []
    const stop = (): void => { active = false; for (const u of unsubs.splice(0)) u() }
    try {
      $ns.forEach(($x, i) => {
        unsubs.push($x(v => {
          if (!active) return
          values[i] = v
          if (!seen[i]) { seen[i] = true; missing-- }
          if (missing === 0) cb(build(values))
        }, onError))
      })
      if ($ns.length === 0) cb(build(values))
    } catch (err) { stop(); throw err }
    return stop
  }
}

/**
 * nuro: reactive neurons (piconuro, re-expressed in TypeScript).
 *
 * A neuron of `T` is a function `(cb: (v: T) => void, onError?) => unsubscribe`. It calls
 * `cb` synchronously once during subscription when it has a current value, then on every
 * firing, and never after unsubscribe. Operators build pipelines from neurons; helpers
 * consume them; `picostack/nuro/react` and `picostack/nuro/svelte` hand them to UIs.
 *
 * @example
 * ```ts
 * import { write, combine, mute, gate, get } from 'picostack/nuro'
 * const [$a, setA] = write(2)
 * const [$b] = write(3)
 * const $sum = gate(mute(combine($a, $b), ([a, b]) => a + b))
 * const stop = $sum(v => console.log(v)) // 5
 * setA(4)                                 // 7
 * stop()
 * ```
 *
 * @packageDocumentation
 */
export type { Synapse, Unsubscribe, ErrorHandler, Neuron, NeuronValue, CombinedValues, WaitOptions } from './types.js'
export { NuroError, type NuroErrorCode } from './errors.js'
export { notEqual, notEqualDeep } from './equal.js'
export { write, writable, init, when, type Setter } from './sources.js'
export { mute } from './mute.js'
export { combine } from './combine.js'
export { memo } from './memo.js'
export { gate, type DirtyCheck } from './gate.js'
export { settle } from './settle.js'
export { nfo, setNfoLogger, type NfoEvent, type NfoLogger } from './nfo.js'
export { get, isSync, next, until, iter } from './helpers.js'

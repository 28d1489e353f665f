// Helpers that consume neurons (spec §4, gaps U8).
import type { Neuron, Unsubscribe, WaitOptions } from './types.js'
import { aborted, timedOut, type NuroError } from './errors.js'
import { assertNeuron } from './internal.js'

/**
 * The current value: subscribes, keeps what fires synchronously, unsubscribes at once.
 *
 * @param $n - the neuron
 * @returns the last value fired during subscription, or `undefined` for an asynchronous neuron
 * @throws the neuron's error when one arrives synchronously (a `NuroError`)
 * @example
 * ```ts
 * get(init('hello')) // 'hello'
 * ```
 */
export function get<T> ($n: Neuron<T>): T | undefined {
  assertNeuron($n)
  let value: T | undefined
  let error: NuroError | undefined
  $n(v => { value = v }, err => { error ??= err })()
  if (error !== undefined) throw error
  return value
}

/**
 * Whether the neuron fires synchronously during subscription (has a current value).
 * Subscribes and unsubscribes at once.
 *
 * @param $n - the neuron
 * @returns true when it fired during subscription
 * @example
 * ```ts
 * isSync(init(1))                  // true
 * isSync(mute(init(1), async x => x)) // false
 * ```
 */
export function isSync ($n: Neuron<unknown>): boolean {
  assertNeuron($n)
  let fired = false
  $n(() => { fired = true }, () => {})()
  return fired
}

function checkWait (what: string, opts: WaitOptions): void {
  const t = opts.timeout
  if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t))) throw new TypeError(`${what}: "timeout" expected a number, got ${typeof t}`)
}

/**
 * Subscribes until `pick` accepts a value; settles once, cleans up timer, listener and
 * subscription in every case (also when it settles during the synchronous first call).
 */
function waitFor<T> (what: string, $n: Neuron<T>, pick: (v: T) => boolean, opts: WaitOptions): Promise<T> {
  assertNeuron($n)
  checkWait(what, opts)
  const { signal, timeout } = opts
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted === true) { reject(aborted(what, signal.reason)); return }
    let done = false
    let unsub: Unsubscribe | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => finish(() => reject(aborted(what, signal?.reason)))
    const finish = (settle: () => void): void => {
      if (done) return
      done = true
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (unsub !== undefined) unsub()
      settle()
    }
    try {
      const u = $n(v => {
        if (done) return
        let ok: boolean
        try { ok = pick(v) } catch (err) { finish(() => reject(err)); return }
        if (ok) finish(() => resolve(v))
      }, err => finish(() => reject(err)))
      if (done) { u(); return }
      unsub = u
    } catch (err) { finish(() => reject(err)); return }
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeout !== undefined && timeout > 0) timer = setTimeout(() => finish(() => reject(timedOut(what, timeout))), timeout)
  })
}

/**
 * The value at index `skip` of the neuron's stream, counting the synchronous first value as
 * index 0: `next($n, 0)` is the current value, `next($n)` the next change. Unsubscribes when
 * it settles. Pass a `signal` or `timeout` so it cannot wait forever.
 *
 * @param $n - the neuron
 * @param skip - index of the value to resolve (default 1)
 * @param opts - `signal`, `timeout`
 * @returns the value
 * @throws NuroError `Timeout` or `Aborted` (as a rejection); the neuron's errors reject too;
 *   RangeError when `skip` is not an integer >= 0
 * @example
 * ```ts
 * const v = await next($count, 1, { timeout: 5000 })
 * ```
 */
export function next<T> ($n: Neuron<T>, skip = 1, opts: WaitOptions = {}): Promise<T> {
  if (!Number.isInteger(skip) || skip < 0) throw new RangeError('"skip" expected an integer >= 0, got ' + skip)
  let i = 0
  return waitFor('next()', $n, () => i++ === skip, opts)
}

/**
 * The first value for which `condition` is truthy (the synchronous first value included).
 * Unsubscribes when it settles.
 *
 * @param $n - the neuron
 * @param condition - predicate; a throw rejects
 * @param opts - `signal`, `timeout`; a number is the timeout in ms (the original's signature)
 * @returns the first matching value
 * @throws NuroError `Timeout` or `Aborted` (as a rejection); the neuron's errors reject too
 * @example
 * ```ts
 * const peers = await until($peers, p => p.length > 0, { signal })
 * ```
 */
export function until<T> ($n: Neuron<T>, condition: (value: T) => unknown, opts: WaitOptions | number = {}): Promise<T> {
  if (typeof condition !== 'function') throw new TypeError('"condition" expected a function, got ' + typeof condition)
  const o = typeof opts === 'number' ? { timeout: opts } : opts
  return waitFor('until()', $n, v => Boolean(condition(v)), o)
}

/**
 * An async iterator over the neuron's values, the synchronous first value included, in order.
 * Ends after `nValues` values (-1 = never); `break`, `return()` or the `signal` unsubscribe.
 * Values that arrive faster than they are consumed are buffered.
 *
 * @param $n - the neuron
 * @param nValues - how many values to yield (default 5, -1 = forever)
 * @param opts - `signal`; aborting throws `Aborted` from the iteration
 * @returns an async generator of the values
 * @throws NuroError `Aborted`; the neuron's errors are thrown from the iteration
 * @example
 * ```ts
 * for await (const v of iter($n, -1, { signal })) render(v)
 * ```
 */
export async function * iter<T> ($n: Neuron<T>, nValues = 5, opts: { signal?: AbortSignal } = {}): AsyncGenerator<T, void, undefined> {
  assertNeuron($n)
  if (!Number.isInteger(nValues) || nValues < -1) throw new RangeError('"nValues" expected an integer >= -1, got ' + nValues)
  const { signal } = opts
  const buffer: T[] = []
  let error: unknown
  let failed = false
  let wake: (() => void) | undefined
  const poke = (): void => { const w = wake; wake = undefined; w?.() }
  const onAbort = (): void => { if (!failed) { failed = true; error = aborted('iter()', signal?.reason) } poke() }
  if (signal?.aborted === true) throw aborted('iter()', signal.reason)
  let received = 0
  const unsub = $n(v => { if (nValues < 0 || received++ < nValues) { buffer.push(v); poke() } }, err => {
    if (!failed) { failed = true; error = err }
    poke()
  })
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for (let count = 0; nValues < 0 || count < nValues; count++) {
      while (buffer.length === 0 && !failed) await new Promise<void>(resolve => { wake = resolve })
      if (buffer.length === 0) throw error
      yield buffer.shift() as T
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    unsub()
  }
}

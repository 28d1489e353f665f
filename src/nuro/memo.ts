// memo: one upstream subscription shared by many subscribers (spec §3, gaps U2).
import type { Neuron, Unsubscribe } from './types.js'
import type { NuroError } from './errors.js'
import { assertNeuron, assertSynapse, fanOut, report, type Sub } from './internal.js'

/**
 * Shares one upstream subscription among all subscribers. The first subscriber connects
 * upstream; later ones receive the last value at once — only if upstream has fired (never
 * a spurious `undefined`). The last unsubscribe disconnects upstream; the last value is
 * remembered and handed to the first subscriber of the next connection when upstream does not
 * fire synchronously. Errors reach every subscriber's error handler.
 *
 * @param $n - the neuron to share
 * @returns a neuron with one upstream subscription however many subscribe
 * @throws TypeError when `$n` is not a function
 * @example
 * ```ts
 * const $shared = memo(mute($query, expensive)) // computed once per value, not per subscriber
 * ```
 */
export function memo<T> ($n: Neuron<T>): Neuron<T> {
  assertNeuron($n)
  const subs = new Set<Sub<T>>()
  let has = false
  let last: T
  let version = 0
  let connected = false
  let upstream: Unsubscribe | undefined
  const fire = (v: T): void => {
    has = true
    last = v
    version++
    fanOut(subs, v, () => version)
  }
  const fail = (err: NuroError): void => {
    const handled = [...subs].filter(s => s.active && s.onError !== undefined)
    if (handled.length === 0) report(undefined, err)
    for (const s of handled) s.onError!(err)
  }
  const release = (): void => {
    if (subs.size > 0 || !connected) return
    connected = false
    const u = upstream
    upstream = undefined
    if (u !== undefined) u()
  }
  return (cb, onError) => {
    assertSynapse(cb)
    let received = false
    const sub: Sub<T> = { cb: v => { received = true; cb(v) }, onError, active: true }
    const unsub = (): void => { if (sub.active) { sub.active = false; subs.delete(sub); release() } }
    subs.add(sub)
    try {
      if (!connected) {
        connected = true
        const u = $n(fire, fail)
        if (connected) upstream = u
        else u() // everyone left during the synchronous connect
      }
      if (!received && has && sub.active) sub.cb(last)
    } catch (err) { unsub(); throw err }
    return unsub
  }
}

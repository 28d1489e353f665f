// nfo: a debugging tap (spec §3). Silent unless a logger is given or installed (gaps X2).
import type { Neuron } from './types.js'
import type { NuroError } from './errors.js'
import { assertNeuron, assertSynapse, report } from './internal.js'

/** One observation made by {@link nfo}. `id` numbers the subscriptions, `n` the values of one. */
export type NfoEvent =
  | {
    /** The name given to `nfo`. */
    name: string
    /** A subscription connected. */
    event: 'connect'
    /** The subscription's number. */
    id: number
  }
  | {
    /** The name given to `nfo`. */
    name: string
    /** The neuron fired. */
    event: 'value'
    /** The subscription's number. */
    id: number
    /** The value's number within the subscription (1 for the first). */
    n: number
    /** The value fired. */
    value: unknown
  }
  | {
    /** The name given to `nfo`. */
    name: string
    /** The neuron reported an error. */
    event: 'error'
    /** The subscription's number. */
    id: number
    /** The error. */
    error: NuroError
  }
  | {
    /** The name given to `nfo`. */
    name: string
    /** The subscription ended. */
    event: 'disconnect'
    /** The subscription's number. */
    id: number
    /** Values it saw. */
    n: number
  }

/** Receives {@link NfoEvent}s. */
export type NfoLogger = (event: NfoEvent) => void

let defaultLogger: NfoLogger | undefined

/**
 * Installs (or with `undefined` removes) the logger used by every {@link nfo} created without
 * one. Library code never logs by itself; this is the switch the original's `V` was.
 *
 * @param logger - e.g. `e => console.debug(e)`, or `undefined` to silence
 */
export function setNfoLogger (logger: NfoLogger | undefined): void {
  defaultLogger = logger
}

/**
 * Debugging pass-through: reports every connect, value, error and disconnect to a logger.
 * Without a logger (none given, none installed with {@link setNfoLogger} at creation time)
 * it returns `$n` itself, costing nothing.
 *
 * @param $n - the neuron to observe
 * @param name - label in the events (default `'NFO'`)
 * @param logger - where events go (default: the installed logger)
 * @returns `$n` observed
 * @throws TypeError when `$n` is not a function
 * @example
 * ```ts
 * const $dbg = nfo($peers, 'peers', e => console.debug(e))
 * ```
 */
export function nfo<T> ($n: Neuron<T>, name = 'NFO', logger: NfoLogger | undefined = defaultLogger): Neuron<T> {
  assertNeuron($n)
  if (logger === undefined) return $n
  const log = logger
  let ids = 0
  return (cb, onError) => {
    assertSynapse(cb)
    const id = ids++
    let n = 0
    let active = true
    log({ name, event: 'connect', id })
    const unsub = $n(value => {
      if (!active) return
      log({ name, event: 'value', id, n: n++, value })
      cb(value)
    }, error => {
      if (!active) return
      log({ name, event: 'error', id, error })
      report(onError, error)
    })
    return () => {
      if (!active) return
      active = false
      log({ name, event: 'disconnect', id, n })
      unsub()
    }
  }
}

/**
 * React adapter for neurons, without depending on React: hand it React's
 * `useSyncExternalStore` once, get a `useNuro` hook back. Works with React >= 18 and
 * anything exposing the same hook (preact/compat).
 *
 * @example
 * ```ts
 * // nuro-react.ts in your app
 * import * as React from 'react'
 * import { createUseNuro } from 'picostack/nuro/react'
 * export const useNuro = createUseNuro(React)
 *
 * // a component; create neurons outside render (or memoize them)
 * const $peers = memo(kernel.$connections)
 * function Peers () { const peers = useNuro($peers); return <b>{peers?.length ?? 0}</b> }
 * ```
 *
 * @packageDocumentation
 */
import type { Neuron, Unsubscribe } from './types.js'
import type { NuroError } from './errors.js'

/** The `{ subscribe, getSnapshot }` pair `useSyncExternalStore` consumes. */
export interface ExternalStore<T> {
  /** Registers a change listener; returns its unsubscribe. Stable identity. */
  subscribe: (onStoreChange: () => void) => Unsubscribe
  /** The current value; the same reference until the neuron fires. Stable identity. */
  getSnapshot: () => T | undefined
}

/** The part of React this adapter uses (structural: pass `React` itself). */
export interface ReactLike {
  /** React's `useSyncExternalStore`. */
  useSyncExternalStore: <S>(subscribe: (onStoreChange: () => void) => () => void, getSnapshot: () => S, getServerSnapshot?: () => S) => S
}

/** A hook returning a neuron's current value (`undefined` until it has fired). */
export type UseNuro = <T>($n: Neuron<T>) => T | undefined

/**
 * Wraps a neuron as an external store. All listeners share one subscription to the neuron,
 * opened with the first listener and closed with the last (no leak when components unmount).
 * Before any listener, `getSnapshot` reads the neuron's current value once and caches it,
 * as React requires a stable snapshot. An error from the neuron is thrown by `getSnapshot`,
 * so it reaches the nearest error boundary.
 *
 * @param $n - the neuron
 * @returns a store for `useSyncExternalStore`
 * @example
 * ```ts
 * const store = toExternalStore($n)
 * const v = useSyncExternalStore(store.subscribe, store.getSnapshot)
 * ```
 */
export function toExternalStore<T> ($n: Neuron<T>): ExternalStore<T> {
  if (typeof $n !== 'function') throw new TypeError('"$n" expected a neuron (function), got ' + typeof $n)
  const listeners = new Set<{ fn: () => void }>()
  let value: T | undefined
  let fresh = false
  let error: NuroError | undefined
  let upstream: Unsubscribe | undefined
  const notify = (): void => { for (const l of [...listeners]) if (listeners.has(l)) l.fn() }
  const subscribe = (onStoreChange: () => void): Unsubscribe => {
    const l = { fn: onStoreChange }
    listeners.add(l)
    if (upstream === undefined) {
      let opening = true
      const u = $n(v => {
        value = v
        fresh = true
        if (!opening) notify()
      }, err => { error = err; notify() })
      opening = false
      fresh = true
      if (listeners.size === 0) u()
      else upstream = u
    }
    return () => {
      if (!listeners.delete(l) || listeners.size > 0 || upstream === undefined) return
      const u = upstream
      upstream = undefined
      fresh = false
      u()
    }
  }
  const getSnapshot = (): T | undefined => {
    if (error !== undefined) throw error
    if (!fresh) {
      let fired = false
      let v: T | undefined
      $n(x => { fired = true; v = x }, err => { error ??= err })()
      if (error !== undefined) throw error
      if (fired) value = v
      fresh = true
    }
    return value
  }
  return { subscribe, getSnapshot }
}

/**
 * Builds the `useNuro` hook from React's `useSyncExternalStore`. One external store is kept
 * per neuron (weakly), so pass the same neuron across renders: create it outside the
 * component or memoize it. Wrap in `settle` when bursts should render once.
 *
 * @param react - an object with `useSyncExternalStore`, e.g. `import * as React from 'react'`
 * @returns `useNuro($n)`, the neuron's current value
 * @throws TypeError when `react.useSyncExternalStore` is not a function
 * @example
 * ```ts
 * export const useNuro = createUseNuro(React)
 * ```
 */
export function createUseNuro (react: ReactLike): UseNuro {
  if (typeof react?.useSyncExternalStore !== 'function') throw new TypeError('"react" expected an object with useSyncExternalStore (React >= 18)')
  const stores = new WeakMap<Neuron<unknown>, ExternalStore<unknown>>()
  return <T>($n: Neuron<T>): T | undefined => {
    let s = stores.get($n as Neuron<unknown>) as ExternalStore<T> | undefined
    if (s === undefined) {
      s = toExternalStore($n)
      stores.set($n as Neuron<unknown>, s as ExternalStore<unknown>)
    }
    return react.useSyncExternalStore(s.subscribe, s.getSnapshot, s.getSnapshot)
  }
}

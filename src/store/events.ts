// Listeners of a store: the event log (`tap`), collection subscriptions (`on`) and merge
// hooks (`onMerge`). Everything is delivered after commit, outside the lock; a throwing
// listener is reported as an `error` event and does not stop the others.
import type { Feed } from '../feed/index.js'
import type { Memory } from './memory.js'
import type { StoreEvent } from './types.js'

/** @internal */
export class Events {
  readonly taps: Set<(e: StoreEvent) => void> = new Set()
  readonly subs: Map<string, Set<(v: unknown) => void>> = new Map()
  readonly mergeCbs: Set<(feeds: Feed[], source: unknown) => void> = new Set()
  /** Collections changed since the last {@link Events.notify}. */
  readonly dirty: Set<string> = new Set()

  /** Whether anyone listens to the event log (events are only built then). */
  get tapped (): boolean { return this.taps.size > 0 }

  emit (e: StoreEvent): void {
    for (const cb of this.taps) {
      try { cb(e) } catch (error) {
        if (e.event !== 'error') this.emit({ event: 'error', error })
      }
    }
  }

  /** Calls the subscribers of every dirty collection with its value. */
  notify (roots: ReadonlyMap<string, Memory>): void {
    const names = [...this.dirty]
    this.dirty.clear()
    for (const name of names) {
      const set = this.subs.get(name)
      const m = roots.get(name)
      if (set === undefined || m === undefined || set.size === 0) continue
      const v = m._observed()
      for (const cb of [...set]) {
        try { cb(v) } catch (error) { this.emit({ event: 'error', error }) }
      }
    }
  }

  /** Calls the merge hooks. */
  merged (feeds: Feed[], source: unknown): void {
    for (const cb of [...this.mergeCbs]) {
      try { cb(feeds, source) } catch (error) { this.emit({ event: 'error', error }) }
    }
  }

  subscribe (name: string, m: Memory, cb: (value: unknown) => void): () => void {
    let set = this.subs.get(name)
    if (set === undefined) { set = new Set(); this.subs.set(name, set) }
    const own = (v: unknown): void => { cb(v) }
    set.add(own)
    cb(m._observed())
    return () => { set.delete(own) }
  }
}

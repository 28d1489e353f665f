// The simulator's event queue: a binary min-heap ordered by (virtual time, insertion sequence),
// so events at the same time run in the order they were scheduled (gaps H3).

/** One scheduled event. @internal */
export interface SimEvent {
  /** Virtual ms. */
  time: number
  /** Insertion sequence (tie-break). */
  seq: number
  /** What to run. */
  fn: () => void
  /** The peer incarnation it belongs to (skipped once that peer is down), or null. */
  owner: Owner | null
  /** Cancelled events stay in the heap and are skipped when popped. */
  cancelled: boolean
}

/** What an owned event needs of its peer. @internal */
export interface Owner {
  readonly alive: boolean
}

/** @internal */
export class EventQueue {
  readonly #heap: SimEvent[] = []
  #seq = 0

  get size (): number { return this.#heap.length }

  push (time: number, fn: () => void, owner: Owner | null): SimEvent {
    const ev: SimEvent = { time, seq: this.#seq++, fn, owner, cancelled: false }
    const h = this.#heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = h[p] as SimEvent
      if (!before(ev, parent)) break
      h[i] = parent
      i = p
    }
    h[i] = ev
    return ev
  }

  peek (): SimEvent | undefined { return this.#heap[0] }

  pop (): SimEvent | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    let i = 0
    const n = h.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(h[r] as SimEvent, h[l] as SimEvent) ? r : l
      if (!before(h[c] as SimEvent, last)) break
      h[i] = h[c] as SimEvent
      i = c
    }
    h[i] = last
    return top
  }
}

function before (a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

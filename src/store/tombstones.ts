// Evicted block ids remembered for a while so they are not accepted again.

/** @internal a bounded, expiring set of block ids (latin1 strings) */
export class Tombstones {
  private readonly _m: Map<string, number> = new Map()
  private readonly _max: number
  private readonly _ttl: number

  /**
   * @param max - most ids remembered (the oldest goes first)
   * @param ttlMs - how long an id is remembered
   */
  constructor (max: number, ttlMs: number) {
    this._max = max
    this._ttl = ttlMs
  }

  /** Number of ids remembered (expired ones included until they are looked up). */
  get size (): number { return this._m.size }

  /** Whether `hid` is remembered and not expired. */
  has (hid: string): boolean {
    const t = this._m.get(hid)
    if (t === undefined) return false
    if (t < Date.now()) { this._m.delete(hid); return false }
    return true
  }

  /** Remembers `hid` for the TTL. */
  add (hid: string): void {
    if (this._m.size >= this._max) {
      const first = this._m.keys().next().value
      if (first !== undefined) this._m.delete(first)
    }
    this._m.set(hid, Date.now() + this._ttl)
  }
}

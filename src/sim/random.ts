// Seeded pseudo-random streams (gaps H13: one seed, independent streams per peer and
// subsystem, Fisher-Yates shuffles; never Math.random nor sort(() => random() - 0.5)).

/** FNV-1a over a string's UTF-16 code units, then mixed: a 32-bit label hash. */
function hashLabel (label: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
  return mix32(h)
}

function mix32 (x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * A deterministic pseudo-random stream (sfc32: 128-bit state, period about 2^128).
 * {@link Random.fork} derives an independent stream from a label, so adding a draw in one
 * subsystem never shifts the numbers of another.
 *
 * @example
 * ```ts
 * const rng = new Random(7)
 * const peers = rng.fork('peer:3')
 * peers.next() // a float in [0, 1)
 * ```
 */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number
  readonly #seed: number

  /**
   * A seeded generator (sfc32).
   * @param seed - any 32-bit integer (other numbers are folded into one)
   */
  constructor (seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`"seed" expected a finite number, got ${String(seed)}`)
    const s = Number.isInteger(seed) && Math.abs(seed) <= 0xffffffff ? seed >>> 0 : hashLabel(String(seed), 0)
    this.#seed = s
    this.#a = mix32(s ^ 0x9e3779b9)
    this.#b = mix32(s + 0x6a09e667)
    this.#c = mix32(s ^ 0xbb67ae85)
    this.#d = 1
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** The next 32-bit unsigned integer. */
  uint32 (): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** A float in [0, 1). */
  next (): number {
    return this.uint32() / 0x100000000
  }

  /** An integer in [min, max] (inclusive). */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** Fills `bytes` with random bytes and returns it. */
  fill<T extends ArrayBufferView> (bytes: T): T {
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let i = 0
    for (; i + 4 <= u8.length; i += 4) {
      const r = this.uint32()
      u8[i] = r & 0xff; u8[i + 1] = (r >>> 8) & 0xff; u8[i + 2] = (r >>> 16) & 0xff; u8[i + 3] = r >>> 24
    }
    if (i < u8.length) {
      let r = this.uint32()
      for (; i < u8.length; i++) { u8[i] = r & 0xff; r >>>= 8 }
    }
    return bytes
  }

  /** `n` random bytes. */
  bytes (n: number): Uint8Array {
    return this.fill(new Uint8Array(n))
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const t = items[i] as T
      items[i] = items[j] as T
      items[j] = t
    }
    return items
  }

  /** An independent stream for `label` (same seed and label, same stream). */
  fork (label: string): Random {
    return new Random(hashLabel(label, this.#seed))
  }
}

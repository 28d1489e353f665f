// Value comparison and copying used by write, init and gate (spec/nuro.md §4, gaps U4, U7).
//
// Decided semantics (gaps U7): two Dates are equal when their getTime() values are equal
// (NaN included); a Date and a non-Date differ. This holds for the shallow and the deep
// comparison alike. Typed arrays compare by element, Maps and Sets by entries, other objects
// by own enumerable keys (prototypes are ignored). NaN equals NaN.

type Obj = Record<string, unknown>

function same (a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b)
}

function isView (x: object): x is ArrayLike<unknown> & ArrayBufferView {
  return ArrayBuffer.isView(x) && !(x instanceof DataView)
}

function differ (a: unknown, b: unknown, deep: boolean, seen: WeakMap<object, object> | undefined): boolean {
  if (same(a, b)) return false
  if (a instanceof Date || b instanceof Date) {
    return !(a instanceof Date && b instanceof Date && same(a.getTime(), b.getTime()))
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return true
  if (seen !== undefined) {
    if (seen.get(a) === b) return false // already being compared further up: assume equal
    seen.set(a, b)
  }
  const child = (x: unknown, y: unknown): boolean => deep ? differ(x, y, true, seen) : !same(x, y)
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return true
    for (let i = 0; i < a.length; i++) if (child(a[i], b[i])) return true
    return false
  }
  if (isView(a) || isView(b)) {
    if (!isView(a) || !isView(b) || a.constructor !== b.constructor || a.length !== b.length) return true
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return true
    return false
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return true
    for (const [k, v] of a) if (!b.has(k) || child(v, b.get(k))) return true
    return false
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return true
    for (const v of a) if (!b.has(v)) return true
    return false
  }
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return true
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || child((a as Obj)[k], (b as Obj)[k])) return true
  }
  return false
}

/**
 * Shallow "is different": arrays by length and element identity, objects by key count and
 * value identity, Dates by time, typed arrays by element, Maps/Sets by entries, else `!==`.
 *
 * @param a - one value
 * @param b - the other value
 * @returns true when `a` and `b` differ at the first level
 * @example
 * ```ts
 * notEqual({ a: 1 }, { a: 1 }) // false
 * notEqual([{}], [{}])         // true: the children are different objects
 * ```
 */
export function notEqual (a: unknown, b: unknown): boolean {
  return differ(a, b, false, undefined)
}

/**
 * Deep "is different": {@link notEqual} applied recursively (cycle-safe).
 *
 * @param a - one value
 * @param b - the other value
 * @returns true when `a` and `b` differ structurally at any depth
 * @example
 * ```ts
 * notEqualDeep([{ x: 1 }], [{ x: 1 }]) // false
 * ```
 */
export function notEqualDeep (a: unknown, b: unknown): boolean {
  return differ(a, b, true, new WeakMap())
}

/** Shallow copy: arrays and plain-ish objects are copied one level, everything else as is. */
export function clone<T> (o: T): T {
  if (Array.isArray(o)) return [...o] as T
  if (typeof o === 'object' && o !== null && !(o instanceof Date) && !ArrayBuffer.isView(o) &&
    !(o instanceof Map) && !(o instanceof Set)) return { ...o }
  return o
}

/**
 * Deep copy for gate's remembered value: arrays, objects, Dates, typed arrays,
 * Maps and Sets are copied at every level (cycle-safe), so later in-place mutations of the
 * original cannot change what the next value is compared against.
 */
export function snapshot<T> (o: T, seen: Map<object, unknown> = new Map()): T {
  if (typeof o !== 'object' || o === null) return o
  const done = seen.get(o)
  if (done !== undefined) return done as T
  let out: unknown
  if (o instanceof Date) return new Date(o.getTime()) as T
  if (ArrayBuffer.isView(o) && !(o instanceof DataView)) return (o as unknown as Uint8Array).slice() as T
  if (Array.isArray(o)) {
    const arr: unknown[] = []
    seen.set(o, arr)
    for (const v of o) arr.push(snapshot(v, seen))
    out = arr
  } else if (o instanceof Map) {
    const m = new Map()
    seen.set(o, m)
    for (const [k, v] of o) m.set(k, snapshot(v, seen))
    out = m
  } else if (o instanceof Set) {
    out = new Set(o)
  } else {
    const obj: Obj = {}
    seen.set(o, obj)
    for (const k of Object.keys(o)) {
      // An own `__proto__` key (JSON.parse makes them) stays a key: assigning it would set the prototype.
      Object.defineProperty(obj, k, { value: snapshot((o as Obj)[k], seen), enumerable: true, writable: true, configurable: true })
    }
    out = obj
  }
  return out as T
}

// The DiffMemory patch format, redefined (the original doubled numbers and could not delete): a list of
// path operations with defined semantics for every kind of change, plus a decoder of the
// original picostore 3.0.4 patches so old feeds replay to the same state.
import { bytesEqual } from '../internal/bytes.js'
import { storeError } from './errors.js'

/**
 * The plain data a patch describes: JSON values plus byte strings. Objects are plain
 * (prototype `Object.prototype` or null); arrays have no holes.
 */
export type PlainData =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly PlainData[]
  | { readonly [key: string]: PlainData }

/** Where an operation applies: object keys are strings, array indices are numbers. */
export type PatchPath = ReadonlyArray<string | number>

/**
 * One operation of a {@link Patch}.
 *
 * - `['s', path, value]` set: replaces the value at `path`, or creates it. The parent must
 *   exist; in an array the index may be at most the length (`length` appends).
 *   An empty path replaces the whole value.
 * - `['d', path]` delete: removes an existing object key. An empty path makes the whole
 *   value `undefined`.
 * - `['i', path, delta]` increment: adds a finite `delta` to an existing number.
 * - `['l', path, length]` length: shrinks an existing array to `length` elements.
 */
export type PatchOp =
  | readonly ['s', PatchPath, PlainData]
  | readonly ['d', PatchPath]
  | readonly ['i', PatchPath, number]
  | readonly ['l', PatchPath, number]

/**
 * A change between two plain values: operations applied in order. Serialisable as JSON
 * (without byte strings) and CBOR; `[]` means "no change".
 */
export type Patch = readonly PatchOp[]

/** Deepest nesting accepted in values and paths; deeper input is refused, not recursed. */
export const PATCH_MAX_DEPTH = 512

type Kind = 'undefined' | 'null' | 'boolean' | 'number' | 'string' | 'u8' | 'array' | 'object' | 'other'
type Obj = Record<string, unknown>

function kindOf (x: unknown): Kind {
  if (x === null) return 'null'
  switch (typeof x) {
    case 'undefined': case 'boolean': case 'number': case 'string': return typeof x as Kind
    case 'object': {
      if (Array.isArray(x)) return 'array'
      if (x instanceof Uint8Array) return 'u8'
      const proto = Object.getPrototypeOf(x) as unknown
      return proto === Object.prototype || proto === null ? 'object' : 'other'
    }
    default: return 'other'
  }
}

const hasOwn = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k)
const own = (o: Obj, k: string): unknown => hasOwn(o, k) ? o[k] : undefined

// A plain `o[k] = v` with k === '__proto__' would change the prototype instead of adding a key.
function setKey (o: Obj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

/** Whether `x` is plain data no deeper than `depth` levels (arrays without holes). */
function isPlain (x: unknown, depth: number): boolean {
  switch (kindOf(x)) {
    case 'null': case 'boolean': case 'number': case 'string': case 'u8': return true
    case 'array': {
      if (depth <= 0) return false
      const a = x as unknown[]
      for (let i = 0; i < a.length; i++) if (!(i in a) || !isPlain(a[i], depth - 1)) return false
      return true
    }
    case 'object': {
      if (depth <= 0) return false
      const o = x as Obj
      for (const k of Object.keys(o)) if (!isPlain(o[k], depth - 1)) return false
      return true
    }
    default: return false
  }
}

function isPath (p: unknown): p is PatchPath {
  if (!Array.isArray(p) || p.length > PATCH_MAX_DEPTH) return false
  for (const k of p as unknown[]) {
    if (typeof k !== 'string' && !(Number.isSafeInteger(k) && (k as number) >= 0)) return false
  }
  return true
}

function isOp (op: unknown): op is PatchOp {
  if (!Array.isArray(op) || !isPath(op[1])) return false
  const arg = op[2] as unknown
  switch (op[0]) {
    case 's': return op.length === 3 && isPlain(arg, PATCH_MAX_DEPTH)
    case 'd': return op.length === 2
    case 'i': return op.length === 3 && typeof arg === 'number' && Number.isFinite(arg)
    case 'l': return op.length === 3 && Number.isSafeInteger(arg) && (arg as number) >= 0
    default: return false
  }
}

/**
 * Checks that `x` is a well-formed {@link Patch} (shape only: whether it fits a given
 * value is checked by {@link applyPatch}).
 *
 * @param x - anything, e.g. a decoded block payload
 * @returns whether `x` is a patch
 */
export function isPatch (x: unknown): x is Patch {
  if (!Array.isArray(x)) return false
  for (const op of x as unknown[]) if (!isOp(op)) return false
  return true
}

/**
 * Computes the patch that turns `prev` into `next`: only what changed, as `i` for numbers
 * that changed exactly by a finite difference, `s` for new or retyped values, `d` for
 * removed keys and `l` for shrunk arrays. A container where more operations than entries
 * would be needed is set whole instead. Equal values give `[]`.
 *
 * @param prev - the old value (plain data, or undefined for "none")
 * @param next - the new value (plain data, or undefined for "none")
 * @returns the patch; `applyPatch(prev, patch)` deep-equals `next`
 * @throws TypeError when `next` is not plain data (functions, class instances, holes,
 *   nested undefined, ...); RangeError when it nests deeper than {@link PATCH_MAX_DEPTH}
 * @example
 * ```ts
 * formatPatch({ hp: 3, name: 'a' }, { hp: 2, tags: ['x'] })
 * // [['d', ['name']], ['i', ['hp'], -1], ['s', ['tags'], ['x']]]
 * ```
 */
export function formatPatch (prev: unknown, next: unknown): Patch {
  if (next !== undefined && !isPlain(next, PATCH_MAX_DEPTH)) {
    if (isPlain(next, Infinity)) throw new RangeError(`"next" nests deeper than ${PATCH_MAX_DEPTH} levels`)
    throw new TypeError('"next" expected plain data (null, boolean, number, string, Uint8Array, arrays and plain objects)')
  }
  const ops: PatchOp[] = []
  if (next === undefined) {
    if (prev !== undefined) ops.push(['d', []])
  } else {
    diff(prev, next as PlainData, [], ops)
  }
  return ops
}

function diff (a: unknown, b: PlainData, path: Array<string | number>, ops: PatchOp[]): void {
  const ka = kindOf(a)
  const kb = kindOf(b)
  if (ka !== kb) { ops.push(['s', path, b]); return }
  switch (kb) {
    case 'number': {
      if (Object.is(a, b)) return
      const d = (b as number) - (a as number)
      if (Number.isFinite(d) && Object.is((a as number) + d, b)) ops.push(['i', path, d])
      else ops.push(['s', path, b])
      return
    }
    case 'u8':
      if (!bytesEqual(a as Uint8Array, b as Uint8Array)) ops.push(['s', path, b])
      return
    case 'array': {
      const x = a as readonly unknown[]
      const y = b as readonly PlainData[]
      const start = ops.length
      if (y.length < x.length) ops.push(['l', path, y.length])
      const common = Math.min(x.length, y.length)
      for (let i = 0; i < common; i++) diff(x[i], y[i] as PlainData, [...path, i], ops)
      for (let i = common; i < y.length; i++) ops.push(['s', [...path, i], y[i] as PlainData])
      collapse(ops, start, y.length, path, b)
      return
    }
    case 'object': {
      const x = a as Obj
      const y = b as { readonly [k: string]: PlainData }
      const start = ops.length
      for (const k of Object.keys(x)) if (!hasOwn(y, k)) ops.push(['d', [...path, k]])
      const keys = Object.keys(y)
      for (const k of keys) {
        if (hasOwn(x, k)) diff(x[k], y[k] as PlainData, [...path, k], ops)
        else ops.push(['s', [...path, k], y[k] as PlainData])
      }
      collapse(ops, start, keys.length, path, b)
      return
    }
    default: // null, boolean, string, and values of `prev` that are not plain data
      if (!Object.is(a, b)) ops.push(['s', path, b])
  }
}

// When a container needs more operations than it has entries, setting it whole is smaller.
function collapse (ops: PatchOp[], start: number, entries: number, path: PatchPath, b: PlainData): void {
  if (ops.length - start > entries) ops.splice(start, ops.length - start, ['s', path, b])
}

/**
 * Applies a patch made by {@link formatPatch}. The input is never mutated: containers on
 * the paths the patch touches are copied, everything else is shared with `value` (treat
 * both as immutable).
 *
 * @param value - the current value
 * @param patch - the patch to apply
 * @returns the new value
 * @throws StoreError `InvalidPatch` when `patch` is not a {@link Patch}, or an operation
 *   does not fit the value (missing parent or key, index past the end, increment of a
 *   non-number, growing an array with `l`, a string key on an array, ...)
 * @example
 * ```ts
 * applyPatch({ hp: 3 }, [['i', ['hp'], -1], ['s', ['tags'], []]]) // { hp: 2, tags: [] }
 * ```
 */
export function applyPatch (value: unknown, patch: Patch): unknown {
  if (!isPatch(patch)) throw storeError('InvalidPatch', 'not a patch: expected an array of [op, path, arg] operations')
  const owned = new Set<object>()
  const copy = (x: object): Obj | unknown[] => {
    if (owned.has(x)) return x as Obj
    const c = Array.isArray(x) ? x.slice() : { ...(x as Obj) }
    owned.add(c)
    return c
  }
  const shrink = (x: unknown[], length: number): unknown[] => {
    const c = x.slice(0, length)
    owned.add(c)
    return c
  }
  let root = value
  for (let n = 0; n < patch.length; n++) {
    const [op, path, arg] = patch[n] as readonly [string, PatchPath, unknown]
    const fail = (why: string): never => { throw storeError('InvalidPatch', `operation ${n} ('${op}' at ${JSON.stringify(path)}): ${why}`) }
    if (path.length === 0) {
      if (op === 's') root = arg
      else if (op === 'd') root = undefined
      else if (op === 'i') root = typeof root === 'number' ? root + (arg as number) : fail('not a number')
      else root = Array.isArray(root) && (arg as number) <= root.length ? shrink(root, arg as number) : fail('not an array that long')
      continue
    }
    // Walk to the parent of the last key, copying each container on the way.
    if (!isContainer(root)) fail('no such parent')
    root = copy(root as object)
    let parent = root as Obj | unknown[]
    for (let i = 0; i < path.length - 1; i++) {
      const child = read(parent, path[i] as string | number)
      if (!isContainer(child)) fail('no such parent')
      const c = copy(child as object)
      write(parent, path[i] as string | number, c)
      parent = c
    }
    const key = path[path.length - 1] as string | number
    if (Array.isArray(parent) !== (typeof key === 'number')) fail('key type does not match the container')
    const exists = Array.isArray(parent) ? (key as number) < parent.length : hasOwn(parent, key)
    switch (op) {
      case 's':
        if (Array.isArray(parent) && (key as number) > parent.length) fail('index past the end')
        write(parent, key, arg)
        break
      case 'd':
        if (Array.isArray(parent)) fail('cannot delete from an array (use l)')
        if (!exists) fail('no such key')
        delete (parent as Obj)[key as string]
        break
      case 'i': {
        const cur = read(parent, key)
        if (!exists || typeof cur !== 'number') fail('not a number')
        write(parent, key, (cur as number) + (arg as number))
        break
      }
      default: { // 'l'
        const cur = read(parent, key)
        if (!exists || !Array.isArray(cur) || (arg as number) > cur.length) fail('not an array that long')
        write(parent, key, shrink(cur as unknown[], arg as number))
      }
    }
  }
  return root
}

function isContainer (x: unknown): x is object {
  const k = kindOf(x)
  return k === 'array' || k === 'object'
}

function read (c: Obj | unknown[], k: string | number): unknown {
  if (Array.isArray(c)) return typeof k === 'number' ? c[k] : undefined
  return typeof k === 'string' ? own(c, k) : undefined
}

function write (c: Obj | unknown[], k: string | number, v: unknown): void {
  if (Array.isArray(c)) c[k as number] = v
  else setKey(c, k as string, v)
}

/**
 * Applies a patch in the format of the original `@telamon/picostore@3.0.4` DiffMemory
 * (the payload its `mutate()` wrote), so that feeds written by it replay to the state it
 * computed. The rules: a number patch adds to the value; an object
 * patch copies the value (or `{}`) and patches each of its keys; an array patch does the
 * same element-wise over the longer of the two; anything else replaces the value.
 *
 * The original's quirks are reproduced where they are deterministic, because every
 * picostore peer computed them: a number patched onto a missing value gives `NaN`, and a
 * number kept only in the old state is doubled. Cases the original left
 * undefined are refused instead: a number patch onto a non-number, a container patch onto
 * a value of another type, values that are not plain data. Inherited properties are never
 * read and `__proto__` is an ordinary key. No console output.
 *
 * @param value - the current state
 * @param patch - the decoded legacy payload
 * @returns the new state (the input is not mutated)
 * @throws StoreError `InvalidPatch` on the refused cases above
 */
export function applyLegacyPatch (value: unknown, patch: unknown): unknown {
  return legacy(value, patch, PATCH_MAX_DEPTH)
}

function legacy (a: unknown, p: unknown, depth: number): unknown {
  const kp = kindOf(p)
  if ((kp === 'object' || kp === 'array') && depth <= 0) throw storeError('InvalidPatch', `legacy patch nests deeper than ${PATCH_MAX_DEPTH} levels`)
  switch (kp) {
    case 'number':
      if (a === undefined) return NaN // the original's `undefined + n`
      if (typeof a !== 'number') throw storeError('InvalidPatch', `legacy patch adds a number to a ${kindOf(a)}`)
      return a + (p as number)
    case 'object': {
      if (a !== undefined && kindOf(a) !== 'object') throw storeError('InvalidPatch', `legacy patch treats a ${kindOf(a)} as an object`)
      const base = (a ?? {}) as Obj
      const po = p as Obj
      const out: Obj = { ...base }
      for (const k of Object.keys(po)) setKey(out, k, legacy(own(base, k), po[k], depth - 1))
      return out
    }
    case 'array': {
      if (a !== undefined && !Array.isArray(a)) throw storeError('InvalidPatch', `legacy patch treats a ${kindOf(a)} as an array`)
      const base = (a ?? []) as unknown[]
      const pa = p as unknown[]
      const m = Math.max(base.length, pa.length)
      const out: unknown[] = new Array<unknown>(m)
      for (let i = 0; i < m; i++) out[i] = legacy(base[i], pa[i], depth - 1)
      return out
    }
    case 'other':
      throw storeError('InvalidPatch', 'legacy patch holds a value that is not plain data')
    default: // string, u8, boolean, null, undefined: replace
      return p
  }
}

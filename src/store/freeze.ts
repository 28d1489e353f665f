// Read-only values: state handed to compute and observers is deep-frozen, so an
// assignment throws a TypeError in strict code. Typed arrays cannot be frozen and are left as is.

/** Deep-freezes `v` in place (stops at subtrees that are already frozen) and returns it. */
export function deepFreeze<T> (v: T): T {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || Object.isFrozen(v)) return v
  Object.freeze(v)
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k])
  return v
}

/** Deep copy (structured clone; keeps Uint8Array). */
export function clone<T> (v: T): T {
  if (typeof v !== 'object' || v === null) return v
  return structuredClone(v)
}

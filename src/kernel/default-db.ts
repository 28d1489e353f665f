// The kernel's embedded default database in Node: classic-level (LevelDB) in a folder, or
// memory-level when no folder is given. Browser bundles get default-db.browser.ts instead
// (package.json "browser" field), so LevelDB's native addon never reaches a bundle.
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import type { KernelDb } from './kernel.js'

/** A batch operation as abstract-level hands it to the backend (keys and values encoded). */
interface RawOp { type: 'put' | 'del', key: unknown, value?: unknown }

/** classic-level's own `_batch` (not in its type declarations). */
const nativeBatch = (ClassicLevel.prototype as unknown as { _batch: (ops: RawOp[], options: object) => Promise<void> })._batch

/**
 * classic-level whose batches reach the native binding with every byte key and value packed
 * into one buffer, in plain `{ type, key, value }` operations. The binding copies each key and
 * value into LevelDB's batch before it returns; a small Uint8Array of its own (V8 keeps those
 * inside its heap) must first be moved out to a buffer of its own, and the operations
 * abstract-level passes on carry every option as a property: both cost more than the copy.
 */
class PackedLevel extends ClassicLevel<Uint8Array, Uint8Array> {
  _batch (operations: RawOp[], options: object): Promise<void> {
    let n = 0
    for (const op of operations) {
      if (op.key instanceof Uint8Array) n += op.key.length
      if (op.value instanceof Uint8Array) n += op.value.length
    }
    const arena = new Uint8Array(n)
    let o = 0
    const pack = (x: unknown): unknown => {
      if (!(x instanceof Uint8Array)) return x
      arena.set(x, o)
      return arena.subarray(o, (o += x.length))
    }
    const ops: RawOp[] = new Array(operations.length)
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i] as RawOp
      ops[i] = op.type === 'put' ? { type: 'put', key: pack(op.key), value: pack(op.value) } : { type: 'del', key: pack(op.key) }
    }
    return nativeBatch.call(this, ops, options)
  }
}

/**
 * Opens the default database for a location.
 *
 * @param location - a folder for classic-level, or undefined for an in-memory database
 * @returns a database with binary keys and values
 */
export function defaultDb (location?: string): KernelDb {
  const opts = { keyEncoding: 'view', valueEncoding: 'view' } as const
  if (location === undefined) return new MemoryLevel<Uint8Array, Uint8Array>(opts)
  const db = new PackedLevel(location, opts)
  // Opening starts now rather than after the constructor (abstract-level's deferred open), so
  // LevelDB's file work overlaps the rest of the kernel's construction. A failure surfaces as
  // before: every later operation rejects (LEVEL_DATABASE_NOT_OPEN, with the cause).
  db.open().catch(() => {})
  return db
}

// The database type shared by the repo and the store, and batch-operation builders
// (internal; the repo's index re-exports the types under their public names).
import type { AbstractSublevel, AbstractSublevelOptions, AbstractBatchOperation, AbstractIteratorOptions } from 'abstract-level'
import { withPrefix } from './bytes.js'

/**
 * The part of an abstract-level database the repo and the store use. Any abstract-level
 * database opened with `keyEncoding: 'view'` and `valueEncoding: 'view'` fits (classic-level,
 * browser-level, memory-level); the repo keeps its keys in the `repo` sublevel of it, the
 * store in `store` and `store-gc`.
 */
export interface RepoDb {
  /** abstract-level status. */
  readonly status: 'opening' | 'open' | 'closing' | 'closed'
  /** abstract-level manifest (`getSync` is used when present). */
  readonly supports: object
  /** abstract-level `db.open` (`passive`: wait for an opening in progress, open nothing). */
  open? (options?: { passive: boolean }): Promise<void>
  /** abstract-level `db.get`. */
  get (key: Uint8Array, options: ViewOptions): Promise<Uint8Array | undefined>
  /** abstract-level `db.getSync` (abstract-level >= 3.1). */
  getSync? (key: Uint8Array, options: ViewOptions): Uint8Array | undefined
  /** abstract-level `db.iterator`. */
  iterator (options: AbstractIteratorOptions<Uint8Array, Uint8Array>): {
    /** Reads every entry in range. */
    all (): Promise<Array<[Uint8Array, Uint8Array]>>
  }
  /** Creates a sublevel (abstract-level `db.sublevel`). */
  sublevel (name: string, options: AbstractSublevelOptions<Uint8Array, Uint8Array>): RepoSublevel
  /** Commits operations atomically (abstract-level `db.batch`). */
  batch (operations: BatchOp[]): Promise<void>
  /** Closes the database. */
  close (): Promise<void>
}

/** Per-call encodings the repo passes to the root database. */
export interface ViewOptions {
  /** Keys are passed as `Uint8Array` views. */
  keyEncoding: 'view'
  /** Values are passed as `Uint8Array` views. */
  valueEncoding: 'view'
}

/** A `'view'`-encoded sublevel of the root database. */
// The storage format parameter differs between backends (string | Uint8Array | Buffer),
// and abstract-level's types use it contravariantly, so it cannot be narrowed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RepoSublevel = AbstractSublevel<any, any, Uint8Array, Uint8Array>

/** One operation of a root-database batch; repo operations target the repo's sublevel. */
export type BatchOp = AbstractBatchOperation<RepoDb, Uint8Array, Uint8Array>

/** @internal */
export const VIEW: ViewOptions = { keyEncoding: 'view', valueEncoding: 'view' }

/**
 * @internal Whether `db` reads and writes `'view'` keys and values by default: its operations
 * then need no per-call encodings (abstract-level resolves a missing encoding to the
 * database's own, the same one the name `'view'` gives), which saves their normalisation on
 * every read and batch operation. Any other database gets them per call, as before.
 */
export function viewDefault (db: RepoDb): boolean {
  const d = db as { keyEncoding?: () => { commonName?: unknown }, valueEncoding?: () => { commonName?: unknown } }
  try {
    return typeof d.keyEncoding === 'function' && typeof d.valueEncoding === 'function' &&
      d.keyEncoding().commonName === 'view' && d.valueEncoding().commonName === 'view'
  } catch {
    return false
  }
}

/** @internal a put of `key` (as the root database stores it); `bare`: without per-op encodings (see {@link viewDefault}) */
export function put (key: Uint8Array, value: Uint8Array, bare: boolean): BatchOp {
  return bare ? { type: 'put', key, value } : { type: 'put', key, value, keyEncoding: 'view', valueEncoding: 'view' }
}

/** @internal a delete of `key` (as the root database stores it); `bare` as in {@link put} */
export function del (key: Uint8Array, bare: boolean): BatchOp {
  return bare ? { type: 'del', key } : { type: 'del', key, keyEncoding: 'view' }
}

/** @internal a put of `prefix ‖ key` through the root database */
export function putOp (prefix: Uint8Array, key: Uint8Array, value: Uint8Array, bare = false): BatchOp {
  return put(withPrefix(prefix, key), value, bare)
}

/** @internal a delete of `prefix ‖ key` through the root database */
export function delOp (prefix: Uint8Array, key: Uint8Array, bare = false): BatchOp {
  return del(withPrefix(prefix, key), bare)
}

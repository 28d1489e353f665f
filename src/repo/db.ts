// Database access of the repo: reads through the root database with the
// repo sublevel's prefix, closed-state mapping and the schema-version check.
import { Block } from '../feed/index.js'
import { prefixEnd, withPrefix } from '../internal/bytes.js'
import { NS_BLOCK, NS_BLOCK_TO_CHAIN, NS_CHAIN_INFO, NS_HEAD, NS_VERSION, SCHEMA_VERSION, U32_SIZE } from './constants.js'
import { repoErr } from './errors.js'
import { blockKey, dbKey, decodeChain, decodeLocation, decodeU32, mkKey, u32 } from './codec.js'
import type { BlockLocation, ChainInfo } from './codec.js'
import type { Pending } from './staging.js'
import { VIEW, delOp, putOp, viewDefault } from '../internal/level.js'
import type { BatchOp, RepoDb } from '../internal/level.js'

/** Room for the local key in the scratch key of synchronous reads (the longest local key is 129 bytes). */
const SCRATCH = 160

const NOT_OPEN = new Set(['LEVEL_DATABASE_NOT_OPEN', 'LEVEL_ITERATOR_NOT_OPEN', 'LEVEL_BATCH_NOT_OPEN'])

/** @internal `e`, or RepoError `Closed` when it says that the database is not open */
export function closedError (e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && NOT_OPEN.has(code) ? repoErr('Closed', 'the database is not open', e) : e
}

/** @internal a stored block: verified before it was stored */
export function toBlock (v: Uint8Array): Block {
  const b = new Block(v)
  b._verified = true
  return b
}

// Backends may hand out Buffer (a Uint8Array subclass); the API gives plain Uint8Array views.
/** @internal */
export function view (v: Uint8Array | undefined): Uint8Array | undefined {
  return v === undefined || v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/**
 * @internal the repo's reads of its sublevel, through the root database with the sublevel's
 * prefix (the same keys, without the sublevel's per-call overhead). Point reads and pending
 * writes take keys as the root database stores them ({@link RepoIo.key}: prefix ‖ local key,
 * built once); ranges take and return local keys.
 */
export class RepoIo {
  readonly db: RepoDb
  readonly prefix: Uint8Array
  /** The database reads and writes 'view' by default: operations go without per-call encodings. */
  readonly bare: boolean
  private readonly _opts: typeof VIEW | undefined
  /** The key of synchronous point reads: the prefix, then the local key of the read in progress. */
  private readonly _scratch: Uint8Array
  /** Views of `_scratch` by length. */
  private readonly _views: Array<Uint8Array | undefined> = []
  private readonly _sync: boolean
  private readonly _end: Uint8Array | undefined
  private _opened: Promise<void> | null = null
  private _ok = false

  constructor (db: RepoDb, prefix: Uint8Array) {
    this.db = db
    this.prefix = prefix
    this._end = prefixEnd(prefix)
    this._sync = (db.supports as { getSync?: unknown }).getSync === true
    this.bare = viewDefault(db)
    this._opts = this.bare ? undefined : VIEW
    this._scratch = new Uint8Array(prefix.length + SCRATCH)
    this._scratch.set(prefix, 0)
  }

  /** The database is open and its layout checked: reads need no {@link RepoIo.run}. */
  get ready (): boolean { return this._ok && this.db.status === 'open' }

  /** `prefix ‖ ns ‖ a ‖ b`: the key of local key `ns ‖ a ‖ b` in the root database. */
  key (ns: number, a?: Uint8Array, b?: Uint8Array): Uint8Array {
    return dbKey(this.prefix, ns, a, b)
  }

  /**
   * Checks the layout version, writing it when the database has none (a new database, or one
   * written before the key existed: that layout is version 1). Once per instance.
   */
  open (): Promise<void> {
    this._opened ??= this._checkVersion()
    return this._opened
  }

  private async _checkVersion (): Promise<void> {
    // While the database opens, a read would wait for it and then cross to the backend's
    // thread; waiting for the opening itself lets the read be synchronous (a failed opening
    // leaves the read to fail as it did).
    if (this.db.status === 'opening' && this.db.open !== undefined) {
      const failed = await this.db.open({ passive: true }).then(() => false, () => true)
      // A failed opening says only that it failed; opening once more gives the reason (a folder
      // another process holds locked, one that cannot be made), as the error's cause.
      if (failed) await this.db.open().catch((e: unknown) => { throw closedError(e) })
    }
    const v = await this.dbGet(this.key(NS_VERSION))
    const version = v === undefined ? 1 : v.length === U32_SIZE ? decodeU32(v) : NaN
    if (version === 1) {
      await this._migrate1()
    } else if (version !== SCHEMA_VERSION) {
      throw repoErr('UnsupportedVersion', `repo layout version ${String(version)}, this code reads version ${SCHEMA_VERSION}`)
    }
    this._ok = true
  }

  /**
   * Version 1 -> 2, in one batch with the new version key: each HEAD record (owner -> tip
   * signature) becomes owner -> chain id; a HEAD whose tip is not stored is dropped. The
   * locations are unchanged (version 2 only adds an optional acceptance position).
   */
  private async _migrate1 (): Promise<void> {
    const ops: BatchOp[] = []
    for (const [k, tip] of await this.prefixed(Uint8Array.of(NS_HEAD))) {
      const loc = await this.loc(tip)
      ops.push(loc === undefined ? delOp(this.prefix, k, this.bare) : putOp(this.prefix, k, loc.chainId, this.bare))
    }
    ops.push(putOp(this.prefix, mkKey(NS_VERSION), u32(SCHEMA_VERSION), this.bare))
    await this.db.batch(ops)
  }

  /** Runs `fn` on an open database: `Closed` when it is closing or closed. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const s = this.db.status
    if (s === 'closing' || s === 'closed') throw repoErr('Closed', 'the database is not open')
    try {
      if (!this._ok) await this.open()
      return await fn()
    } catch (e) {
      throw closedError(e)
    }
  }

  // Point read of a root-database key ({@link RepoIo.key}); synchronous where the backend offers
  // it (memory-level, classic-level), which avoids an event-loop turn per read: then the value
  // itself is returned, not a promise (the callers await either; no async frame per read).
  dbGet (key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const db = this.db
    const opts = this._opts as typeof VIEW // undefined: the database's own encodings, 'view'
    if (this._sync && db.status === 'open' && db.getSync !== undefined) return db.getSync(key, opts)
    return db.get(key, opts)
  }

  async dbHas (key: Uint8Array): Promise<boolean> {
    return (await this.dbGet(key)) !== undefined
  }

  /**
   * Point read of local key `ns ‖ a ‖ b` (‖ u32 `h` when `h` >= 0), seeing the pending writes `p`
   * first; a value, or a promise of it (see {@link RepoIo.dbGet}). A synchronous read goes
   * through one scratch key, not a new one: nothing keeps the key once the read has returned.
   * A read that may be deferred (an asynchronous backend, a database still opening) gets its own.
   */
  read (ns: number, a: Uint8Array, b?: Uint8Array, p?: Pending, h = -1): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const db = this.db
    const opts = this._opts as typeof VIEW
    const sync = this._sync && db.status === 'open' && db.getSync !== undefined
    if (p !== undefined && !p.empty) {
      const w = p.lookup(this._key(ns, a, b, h, true))
      if (w !== undefined) return w.value ?? undefined
    }
    if (sync) return (db.getSync as NonNullable<RepoDb['getSync']>)(this._key(ns, a, b, h, true), opts)
    return db.get(this._key(ns, a, b, h, false), opts)
  }

  /** Is block `id` stored (seeing `p` first)? A boolean when the read is synchronous. */
  stored (id: Uint8Array, p?: Pending): boolean | Promise<boolean> {
    const v = this.read(NS_BLOCK_TO_CHAIN, id, undefined, p)
    return v instanceof Promise ? v.then(x => x !== undefined) : v !== undefined
  }

  /** The root-database key of a read; `scratch`: in the scratch key when it fits. */
  private _key (ns: number, a: Uint8Array, b: Uint8Array | undefined, h: number, scratch: boolean): Uint8Array {
    const n = this.prefix.length
    const len = n + 1 + a.length + (b === undefined ? 0 : b.length) + (h < 0 ? 0 : U32_SIZE)
    if (!scratch || len > this._scratch.length) return h < 0 ? dbKey(this.prefix, ns, a, b) : blockKey(this.prefix, a, h)
    const k = this._scratch
    k[n] = ns
    k.set(a, n + 1)
    let o = n + 1 + a.length
    if (b !== undefined) { k.set(b, o); o += b.length }
    if (h >= 0) { k[o] = h >>> 24; k[o + 1] = h >>> 16; k[o + 2] = h >>> 8; k[o + 3] = h }
    return (this._views[len] ??= k.subarray(0, len))
  }

  /** Entries with local keys in [gte, lt) (`lt` undefined: to the end of the sublevel), local keys returned. */
  async range (gte: Uint8Array, lt: Uint8Array | undefined, reverse = false, limit?: number): Promise<Array<[Uint8Array, Uint8Array]>> {
    const end = lt === undefined ? this._end : withPrefix(this.prefix, lt)
    const rows = await this.db.iterator({
      gte: withPrefix(this.prefix, gte),
      ...(end === undefined ? {} : { lt: end }),
      reverse,
      limit: limit ?? -1,
      keyEncoding: 'view',
      valueEncoding: 'view'
    }).all()
    const n = this.prefix.length
    return rows.map(([k, v]) => [k.subarray(n), v])
  }

  /** Entries whose local key starts with `prefix`. */
  async prefixed (prefix: Uint8Array): Promise<Array<[Uint8Array, Uint8Array]>> {
    return this.range(prefix, prefixEnd(prefix))
  }

  async loc (id: Uint8Array, p?: Pending): Promise<BlockLocation | undefined> {
    const v = await this.read(NS_BLOCK_TO_CHAIN, id, undefined, p)
    return v === undefined ? undefined : decodeLocation(v)
  }

  async chain (chainId: Uint8Array, p?: Pending): Promise<ChainInfo | undefined> {
    const v = await this.read(NS_CHAIN_INFO, chainId, undefined, p)
    return v === undefined ? undefined : decodeChain(chainId, v)
  }

  /** The chain the owner's HEAD record names (its tip is the owner's head), seeing the pending writes `p` first. */
  async headChain (owner: Uint8Array, p?: Pending): Promise<ChainInfo | undefined> {
    const chainId = await this.read(NS_HEAD, owner, undefined, p)
    if (chainId === undefined) return undefined
    const info = await this.chain(chainId, p)
    if (info === undefined) throw repoErr('CorruptIndex', 'HEAD names an unknown chain')
    return info
  }

  /** The owner's head: the tip of the chain its HEAD record names, seeing the pending writes `p` first. */
  async head (owner: Uint8Array, p?: Pending): Promise<Uint8Array | undefined> {
    return (await this.headChain(owner, p))?.tip
  }

  /** Blocks of chain `chainId` at heights [from, to], newest first. */
  async segment (chainId: Uint8Array, from: number, to: number): Promise<Block[]> {
    if (to < from) return []
    if (to === from) { // one block (a live fetch, a tip): a point read, not an iterator
      const v = await this.read(NS_BLOCK, chainId, undefined, undefined, from)
      return v === undefined ? [] : [toBlock(v)]
    }
    const rows = await this.range(mkKey(NS_BLOCK, chainId, u32(from)), mkKey(NS_BLOCK, chainId, u32(to + 1)), true)
    return rows.map(r => toBlock(r[1]))
  }
}

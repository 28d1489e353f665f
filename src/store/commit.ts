// Staging and group commit: the effects of accepted blocks wait here, already visible in the
// Memories' caches (later blocks see them), until ONE batch writes them all; on failure the
// caches are restored.
import type { RepoStage } from '../repo/index.js'
import { bytesEqual, latin1 } from '../internal/bytes.js'
import { del, delOp, put, putOp, type BatchOp } from '../internal/level.js'
import type { Memory } from './memory.js'
import type { Txn, Entry, TxnOwner } from './txn.js'
import { NONE, type ObjectId, indexKey, refKey, timerKey, withId } from './keys.js'
import type { StoreEvent } from './types.js'
import type { StoreCore } from './core.js'

const NO_GROUP: { group: Promise<void> | null } = Object.freeze({ group: null })

function ownerKey (owner: TxnOwner, key: Uint8Array): string {
  return owner.name + '\0' + latin1(key)
}

/**
 * @internal effects of accepted blocks not yet written: `old` / `meta` undo them in the caches
 * if the commit fails.
 */
export class Stage {
  readonly rs: RepoStage
  ops: BatchOp[] = []
  readonly old: Map<TxnOwner, Map<ObjectId, Entry | undefined>> = new Map()
  readonly enc: Map<TxnOwner, Map<ObjectId, Uint8Array>> = new Map()
  readonly meta: Map<TxnOwner, { version: number, head: Uint8Array | undefined }> = new Map()
  readonly idx: Map<string, { owner: TxnOwner, key: Uint8Array, blockId: Uint8Array }> = new Map()
  events: StoreEvent[] = []
  /** Ids (latin1) of the staged blocks, dropped from the chain cache if the commit fails. */
  readonly hids: string[] = []
  blocks = 0
  /** Blocks given a seq in this stage. */
  seqs = 0
  /**
   * Group commit: the staged writes of dispatches that ended while other work waited for the
   * lock, left for a later lock holder to write in the same batch. Settled by the `flush`
   * that writes them; never set while nothing is staged.
   */
  private _group: { promise: Promise<void>, resolve: () => void, reject: (err: unknown) => void } | null = null
  private readonly _c: StoreCore

  constructor (c: StoreCore) {
    this._c = c
    this.rs = c.repo.stage()
    this.rs.beforeStrategy = async () => { await this.flush() }
  }

  /** Nothing is staged. */
  get empty (): boolean { return this.blocks === 0 && this.rs._p.empty }

  /** A staged secondary index entry. */
  indexed (owner: TxnOwner, key: Uint8Array): Uint8Array | undefined {
    if (this.idx.size === 0) return undefined
    return this.idx.get(ownerKey(owner, key))?.blockId
  }

  /**
   * Applies a block's transaction to the caches (so later blocks of the run see it) and
   * remembers what it replaced, to undo it if the commit fails.
   */
  add (txn: Txn, encs: Array<[TxnOwner, ObjectId, Uint8Array]>, head: Uint8Array): void {
    const emit = this._c.events.tapped
    for (const [owner, m] of txn.objs) {
      const mem = owner as Memory
      let old = this.old.get(owner)
      if (old === undefined) {
        old = new Map()
        this.old.set(owner, old)
        this.meta.set(owner, { version: mem.version, head: mem.head })
      }
      for (const [id, e] of m) {
        if (!old.has(id)) old.set(id, owner._cache.get(id))
        if (e === null) owner._cache.delete(id)
        else owner._cache.set(id, e)
        if (emit) this.events.push({ event: 'change', root: owner.name, id, value: e === null ? undefined : e.value })
      }
      mem.version++
      mem.head = head
      mem._changed()
      this._c.events.dirty.add(owner.name)
    }
    for (const [owner, id, bytes] of encs) {
      let m = this.enc.get(owner)
      if (m === undefined) { m = new Map(); this.enc.set(owner, m) }
      m.set(id, bytes)
    }
    for (const x of txn.index) this.idx.set(ownerKey(x.owner, x.key), { owner: x.owner, key: x.key, blockId: x.blockId })
    this.blocks++
  }

  /**
   * Commits everything staged in ONE batch (repo operations, state, indices, references,
   * timers, metas, acceptance log), then delivers the staged events. On failure the caches are
   * restored and the error is rethrown.
   */
  async flush (): Promise<void> {
    if (this.empty) return
    const c = this._c
    const ops = this._ops()
    const events = this.events
    const group = this._group
    this._group = null
    try {
      if (ops.length > 0) await c.db.batch(ops)
    } catch (err) {
      group?.reject(err)
      this._undo()
      this.clear()
      throw err
    }
    this._forgetParents()
    this.clear()
    group?.resolve()
    for (const e of events) c.events.emit(e)
  }

  /** The batch: the repo's operations, then each changed object's state, timer and references. */
  private _ops (): BatchOp[] {
    const c = this._c
    const bare = c.bare
    const ops = this.rs.ops
    for (const op of this.ops) ops.push(op)
    for (const [owner, encs] of this.enc) {
      const name = owner._nameBytes
      const state = c.keysOf(owner).state
      const olds = this.old.get(owner)
      for (const [id, bytes] of encs) {
        const e = owner._cache.get(id)
        const old = olds?.get(id)
        if (e === undefined) {
          ops.push(del(withId(state, id), bare))
          if (old !== undefined && Number.isFinite(old.exp)) ops.push(delOp(c.tp, timerKey(old.exp, name, id), bare))
          continue
        }
        ops.push(put(withId(state, id), bytes, bare))
        const oldExp = old?.exp ?? Infinity
        if (oldExp !== e.exp) {
          if (Number.isFinite(oldExp)) ops.push(delOp(c.tp, timerKey(oldExp, name, id), bare))
          if (Number.isFinite(e.exp)) ops.push(putOp(c.tp, timerKey(e.exp, name, id), NONE, bare))
        }
        for (const r of e.roots) {
          if (old === undefined || !old.roots.some(o => bytesEqual(o, r))) ops.push(putOp(c.sp, refKey(r, name, id), NONE, bare))
        }
      }
    }
    for (const owner of this.meta.keys()) ops.push(c.metaOp(owner as Memory, (owner as Memory).version))
    if (this.seqs > 0 && this.meta.size === 0) ops.push(c.lastSeqOp())
    for (const x of this.idx.values()) ops.push(putOp(c.sp, indexKey(x.owner._nameBytes, x.key), x.blockId, bare))
    return ops
  }

  /**
   * Once written, a block's parent is read from the repo if ever needed again: the store's
   * cache of blocks keeps the tips of chains (and what is staged), not every block accepted
   * in the session, which across thousands of simulated peers was most of their memory.
   */
  private _forgetParents (): void {
    const chains = this._c.chains
    for (const hid of this.hids) {
      const l = chains.get(hid)
      if (l === undefined || l.parent === null) continue
      chains.delete(l.phid ?? latin1(l.parent.sig))
    }
  }

  /** Restores the caches, versions and heads the staged blocks changed. */
  private _undo (): void {
    for (const [owner, olds] of this.old) {
      for (const [id, e] of olds) {
        if (e === undefined) owner._cache.delete(id)
        else owner._cache.set(id, e)
      }
      const mem = owner as Memory
      const meta = this.meta.get(owner)
      if (meta !== undefined) { mem.version = meta.version; mem.head = meta.head }
      mem._changed()
    }
    for (const hid of this.hids) this._c.chains.delete(hid)
  }

  clear (): void {
    this.rs.clear()
    this.ops = []
    this.old.clear()
    this.enc.clear()
    this.meta.clear()
    this.idx.clear()
    this.events = []
    this.hids.length = 0
    this.blocks = 0
    this.seqs = 0
  }

  /**
   * Writes what is staged now, or, when other work waits for the lock, joins the group left to
   * it (returned wrapped: an async function would adopt a bare promise and wait for it here).
   */
  async commitOrDefer (): Promise<{ group: Promise<void> | null }> {
    if (this.empty) return NO_GROUP
    if (this._c.lock.pending <= 1) { await this.flush(); return NO_GROUP }
    if (this._group === null) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
      promise.catch(() => {}) // awaited by every member; a failure must not surface as unhandled meanwhile
      this._group = { promise, resolve, reject }
    }
    return { group: this._group.promise }
  }
}

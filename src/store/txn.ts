// The pending effects of one block (or one GC sweep) before they are committed in one batch.
import type { ObjectId } from './keys.js'
import type { RaisedSignal } from './context.js'

/** @internal one stored object, as kept in memory */
export interface Entry {
  /** The value (deep-frozen). */
  value: unknown
  /** Expiry in ms epoch, Infinity for never. */
  exp: number
  /** Block roots (owner pk or chain id) that reference this object. */
  roots: Uint8Array[]
  /** Secondary index entries this object created: [key, block id]. */
  idx: Array<[Uint8Array, Uint8Array]>
}

/** @internal a collection as seen by a transaction */
export interface TxnOwner {
  readonly name: string
  /** @internal */ readonly _nameBytes: Uint8Array
  /** @internal */ readonly _cache: Map<ObjectId, Entry>
}

/** @internal overlay of pending writes */
export class Txn {
  readonly objs: Map<TxnOwner, Map<ObjectId, Entry | null>> = new Map()
  readonly index: Array<{ owner: TxnOwner, key: Uint8Array, blockId: Uint8Array, id: ObjectId }> = []
  readonly signals: RaisedSignal[] = []

  /** Pending entry (null = deleted) or the committed one. */
  read (owner: TxnOwner, id: ObjectId): Entry | undefined {
    const m = this.objs.get(owner)
    if (m !== undefined && m.has(id)) return m.get(id) ?? undefined
    return owner._cache.get(id)
  }

  write (owner: TxnOwner, id: ObjectId, e: Entry | null): void {
    let m = this.objs.get(owner)
    if (m === undefined) { m = new Map(); this.objs.set(owner, m) }
    m.set(id, e)
  }
}

// The peers' databases: memory-level, with every key and value interned process-wide by
// content. Thousands of simulated peers store the same blocks under the same keys; each then
// holds only its tree nodes, and the bytes exist once (with one small buffer object each)
// instead of a buffer, an ArrayBuffer and a backing store per record per peer. Buffers handed
// to memory-level are never written to by it or by the kit, so sharing them is safe.
import { Buffer } from 'node:buffer'
import { MemoryLevel } from 'memory-level'
import type { KernelDb } from '../kernel/index.js'

/**
 * Distinct byte strings stored by the peers of one simulator, by their latin1 text. An entry
 * lives as long as some database holds its buffer (a weak reference): what every peer deleted
 * or overwrote (blocks the store's GC let go, a chain's old head record) is not kept for the
 * whole run. @internal
 */
export class Interner {
  readonly #pool = new Map<string, WeakRef<Buffer>>()
  readonly #gone = new FinalizationRegistry<string>(text => {
    if (this.#pool.get(text)?.deref() === undefined) this.#pool.delete(text)
  })

  /** Distinct byte strings held (entries whose buffer was collected may linger until finalized). */
  get size (): number { return this.#pool.size }

  /** The shared buffer with the bytes of `b`. */
  intern (b: Uint8Array): Buffer {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    const text = buf.toString('latin1')
    let out = this.#pool.get(text)?.deref()
    if (out === undefined) {
      out = Buffer.from(text, 'latin1') // small ones come from Node's shared pool
      this.#pool.set(text, new WeakRef(out))
      this.#gone.register(out, text)
    }
    return out
  }
}

interface Op { type: 'put' | 'del', key: Uint8Array, value?: Uint8Array }

/** A memory-level database whose stored keys and values are interned. @internal */
export function internedDb (interner: Interner): KernelDb {
  class InternedLevel extends MemoryLevel<Uint8Array, Uint8Array> {
    async _put (key: Uint8Array, value: Uint8Array, options: unknown): Promise<void> {
      const put = (MemoryLevel.prototype as unknown as { _put: (k: Uint8Array, v: Uint8Array, o: unknown) => Promise<void> })._put
      return put.call(this, interner.intern(key), interner.intern(value), options)
    }

    async _batch (ops: Op[], options: unknown): Promise<void> {
      const batch = (MemoryLevel.prototype as unknown as { _batch: (o: Op[], opt: unknown) => Promise<void> })._batch
      const mapped = ops.map(op => op.type === 'put'
        ? { type: 'put' as const, key: interner.intern(op.key), value: interner.intern(op.value as Uint8Array) }
        : { type: 'del' as const, key: op.key })
      return batch.call(this, mapped, options)
    }
  }
  // stored as views: the default 'buffer' store wraps every key and value in a Buffer per operation
  return new InternedLevel({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' }) as unknown as KernelDb
}

// Convergence: which blocks honest peers created (the union), and which of them each live
// honest peer holds, kept incrementally from the store's merge events (no polling).
import { toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import type { ChainStatus, PeerInfo } from '../kernel/index.js'

/** What {@link PeerContext.watch} needs of a kernel (a `SimpleKernel` fits). */
export interface Watchable {
  /** The kernel's store: merges are counted, state compared. */
  readonly store: {
    /** Subscribes to accepted blocks. */
    onMerge (cb: (feeds: Feed[], source: unknown) => void): () => void
    /** Every collection's state, by name. */
    readonly state: Record<string, unknown>
  }
  /** Boots the kernel. */
  boot (): Promise<void>
  /** The chains held, compared with what was created. */
  chains (): Promise<ChainStatus[]>
  /** The sync node id, to name the peer a kernel dropped (matched against `PeerInfo.nodeId`). */
  readonly nodeId?: string
  /** The user key (hex), matched against a `PeerInfo.pk` when the protocol gives one. */
  readonly pk?: string
  /** Wrapped (not replaced) to log the peers this kernel drops with an error. */
  ondisconnect (peer: PeerInfo, error: Error | null): void
}

/** Options of {@link PeerContext.watch}. */
export interface WatchOptions {
  /** The state compared across peers (default: `kernel.store.state`). Must be JSON-like. */
  state?: () => unknown
}

const key = (b: Uint8Array): string => String.fromCharCode.apply(null, b as unknown as number[])

/** One watched kernel. @internal */
export class Watch {
  /** Author → tip held. */
  readonly tips: Map<string, string> = new Map()
  held = 0
  readonly state: () => unknown
  off: (() => void) | null = null

  constructor (state: () => unknown) {
    this.state = state
  }
}

/** The union of what honest peers created. @internal */
export class Truth {
  readonly tips: Map<string, string> = new Map()
  created = 0
  /** Told of each block an honest local peer creates (a parallel run's workers share them). */
  oncreated: ((author: string, tip: string, n: number) => void) | null = null

  /** Adds `n` blocks of `author`, up to `tip`, to the union. */
  add (author: string, tip: string, n: number): void {
    this.tips.set(author, tip)
    this.created += n
  }

  /** Subscribes `w` to `kernel`; blocks created locally by an honest peer join the union. */
  attach (w: Watch, kernel: Watchable, honest: boolean): void {
    w.off = kernel.store.onMerge((feeds, source) => {
      for (const feed of feeds) {
        const last = feed.last
        if (last === undefined) continue
        const author = key(last.key)
        const tip = key(last.sig)
        w.tips.set(author, tip)
        w.held += feed.length
        if (source === undefined && honest) {
          this.add(author, tip, feed.length)
          this.oncreated?.(author, tip, feed.length)
        }
      }
    })
    kernel.boot().then(() => kernel.chains()).then(chains => {
      for (const c of chains) {
        w.held += c.height + 1
        const author = key(c.owner)
        if (!w.tips.has(author)) w.tips.set(author, key(c.tip))
      }
    }, () => {})
  }

  /** True when `w` holds every tip of the union. */
  holds (w: Watch): boolean {
    for (const [author, tip] of this.tips) if (w.tips.get(author) !== tip) return false
    return true
  }
}

/** A canonical JSON text (sorted keys) of a state, for comparing states across peers. @internal */
export function canonical (v: unknown): string {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? `"${v}n"` : JSON.stringify(v) ?? 'null'
  if (v instanceof Uint8Array) return `"${toHex(v)}"`
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']'
  if (v instanceof Map) return canonical(Object.fromEntries([...v].map(([k, x]) => [String(k), x])))
  if (v instanceof Set) return canonical([...v].map(canonical).sort())
  const o = v as Record<string, unknown>
  return '{' + Object.keys(o).sort().map(k => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}'
}

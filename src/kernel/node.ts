// The sync engine of one kernel: its node id, its connections (one Peer per wire), duplicate
// resolution, and live gossip that never goes back to where blocks came from (gaps K5, K12).
import { compare, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import { picoWire } from '../net/index.js'
import type { Plug } from '../net/index.js'
import { write } from '../nuro/index.js'
import type { Neuron, Setter } from '../nuro/index.js'
import {
  MAX_BLOCKS_PER_MESSAGE, MAX_MESSAGE_SIZE, MAX_OUTBOUND_BYTES, MAX_QUEUE_BYTES, MAX_QUEUE_MESSAGES, MAX_WANTS,
  NODE_ID_BYTES
} from './constants.js'
import { KernelError } from './errors.js'
import { Peer } from './peer.js'
import type { SummaryEntry } from './protocol.js'
import { summarize } from './sync.js'
import type { BlockSource, PeerInfo, SyncLimits } from './types.js'

/** Default {@link SyncLimits}. */
export const DEFAULT_LIMITS: Readonly<SyncLimits> = Object.freeze({
  maxMessageSize: MAX_MESSAGE_SIZE,
  maxBlocksPerMessage: MAX_BLOCKS_PER_MESSAGE,
  maxQueueBytes: MAX_QUEUE_BYTES,
  maxQueueMessages: MAX_QUEUE_MESSAGES,
  maxOutboundBytes: MAX_OUTBOUND_BYTES,
  maxWants: MAX_WANTS
})

/** Hooks a node reports connection changes to. */
export interface SyncEvents {
  /** A handshake completed and the wire was kept. */
  onconnect? (peer: PeerInfo): void
  /** A kept connection closed (`error` is why, `null` when closed politely). */
  ondisconnect? (peer: PeerInfo, error: Error | null): void
}

/** Options of {@link SyncNode}. */
export interface SyncNodeOptions extends SyncEvents {
  /** Limits, merged over {@link DEFAULT_LIMITS}. */
  limits?: Partial<SyncLimits>
  /** Resolves when the source can be used; messages that need it wait. Defaults to now. */
  ready?: Promise<void>
  /** Node id (16 bytes); random by default. */
  nodeId?: Uint8Array
}

function checkLimits (limits: Partial<SyncLimits> | undefined): SyncLimits {
  const out: SyncLimits = { ...DEFAULT_LIMITS, ...limits }
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`"limits.${k}" expected a positive integer, got ${String(v)}`)
  }
  if (out.maxMessageSize > MAX_MESSAGE_SIZE) throw new RangeError(`"limits.maxMessageSize" is at most ${MAX_MESSAGE_SIZE}`)
  if (out.maxBlocksPerMessage > MAX_BLOCKS_PER_MESSAGE) throw new RangeError(`"limits.maxBlocksPerMessage" is at most ${MAX_BLOCKS_PER_MESSAGE}`)
  return out
}

/**
 * The sync protocol's engine: spawns wires, runs one peer connection per wire, keeps one
 * connection per remote node, and gossips accepted blocks. The kernel owns one.
 */
export class SyncNode {
  /** This node's id (random per instance). */
  readonly nodeId: Uint8Array
  /** Effective limits. */
  readonly limits: SyncLimits
  /** Resolves when the source is usable. */
  readonly ready: Promise<void>
  readonly #source: BlockSource
  readonly #events: SyncEvents
  readonly #peers = new Map<string, Peer>()
  readonly #all = new Set<Peer>()
  readonly #spare = new Set<Plug>()
  readonly #connections: Neuron<PeerInfo[]>
  readonly #setConnections: Setter<PeerInfo[]>
  #closed = false

  /**
   * @param source - where blocks are read and dispatched
   * @param options - limits, readiness, events
   * @throws RangeError on a bad limit or node id
   */
  constructor (source: BlockSource, options: SyncNodeOptions = {}) {
    this.#source = source
    this.limits = checkLimits(options.limits)
    this.ready = options.ready ?? Promise.resolve()
    this.ready.catch(() => {})
    const id = options.nodeId ?? globalThis.crypto.getRandomValues(new Uint8Array(NODE_ID_BYTES))
    if (!(id instanceof Uint8Array) || id.length !== NODE_ID_BYTES) throw new RangeError(`"nodeId" expected ${NODE_ID_BYTES} bytes`)
    this.nodeId = id
    this.#events = options
    const [$c, set] = write<PeerInfo[]>([])
    this.#connections = $c
    this.#setConnections = set
  }

  /** Neuron of the connected peers (after the handshake, duplicates excluded). */
  get $connections (): Neuron<PeerInfo[]> { return this.#connections }

  /** Connected peers now. */
  get peers (): PeerInfo[] { return [...this.#peers.values()].map(p => p.info as PeerInfo) }

  /** Bytes handed to wires by every connection so far (for measurements). */
  get bytesSent (): number {
    let n = this.#sentByClosed
    for (const p of this.#all) n += p.bytesSent
    return n
  }

  #sentByClosed = 0

  /**
   * A plug for one peer connection: open it against another kernel's plug, or put it on a
   * transport (`streamWire(plug, socket)`).
   *
   * @returns the plug
   * @throws KernelError `Closed` after {@link SyncNode.close}
   */
  spawnWire (): Plug {
    if (this.#closed) throw new KernelError('Closed', 'the kernel was halted')
    const [ours, theirs] = picoWire({ timeout: 0 })
    const peer = new Peer(this, ours)
    this.#all.add(peer)
    this.#spare.add(theirs)
    theirs.closed.then(() => this.#spare.delete(theirs), () => {})
    peer.start()
    return theirs
  }

  /**
   * Sends accepted blocks to every connected peer except `source` (the connection they came
   * from), each segment in chain order.
   *
   * @param feeds - accepted segments
   * @param source - the {@link PeerInfo} passed to `ingest` for these blocks, if any
   */
  gossip (feeds: readonly Feed[], source?: unknown): void {
    if (this.#closed || feeds.length === 0) return
    for (const peer of this.#peers.values()) {
      if (peer.info !== source) peer.sendFeeds(feeds)
    }
  }

  /** Closes every wire (a `bye` first) and waits for messages being processed. Idempotent. */
  async close (): Promise<void> {
    this.#closed = true
    const all = [...this.#all]
    for (const p of all) p.close()
    for (const plug of [...this.#spare]) plug.close()
    await Promise.all(all.map(async p => { await p.idle() }))
  }

  // PeerHost

  /** @internal */
  register (peer: Peer): boolean {
    const info = peer.info as PeerInfo
    if (info.nodeId === toHex(this.nodeId)) {
      peer.fail(new KernelError('DuplicatePeer', 'connected to itself'))
      return false
    }
    const existing = this.#peers.get(info.nodeId)
    if (existing !== undefined) {
      // Both sides know both nonces, so both keep the same wire (PROTOCOL.md, Exchange 2).
      if (compare(peer.key as Uint8Array, existing.key as Uint8Array) >= 0) {
        peer.fail(new KernelError('DuplicatePeer', `already connected to ${info.nodeId}`))
        return false
      }
      this.#peers.set(info.nodeId, peer)
      existing.fail(new KernelError('DuplicatePeer', `already connected to ${info.nodeId}`))
      this.#publish()
      return true
    }
    this.#peers.set(info.nodeId, peer)
    this.#publish()
    this.#events.onconnect?.(info)
    return true
  }

  /** @internal */
  unregister (peer: Peer, error: Error | null): void {
    this.#all.delete(peer)
    this.#sentByClosed += peer.bytesSent
    const info = peer.info
    if (info === undefined || this.#peers.get(info.nodeId) !== peer) return
    this.#peers.delete(info.nodeId)
    this.#publish()
    this.#events.ondisconnect?.(info, error)
  }

  /** @internal */
  async summary (): Promise<SummaryEntry[]> {
    return summarize(await this.#source.chains())
  }

  /** @internal */
  query (summary: SummaryEntry[], peer: Peer): Promise<Feed[]> {
    return this.#source.query(summary, peer.info as PeerInfo)
  }

  /** @internal */
  async ingest (feed: Feed, peer: Peer): Promise<Uint8Array | undefined> {
    const { missing } = await this.#source.ingest(feed, peer.info as PeerInfo)
    return missing
  }

  /** @internal */
  upTo (id: Uint8Array): Promise<Feed | undefined> {
    return this.#source.upTo(id)
  }

  #publish (): void {
    this.#setConnections(this.peers)
  }
}

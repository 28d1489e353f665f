// The sync engine of one kernel: its node id, its connections (one Peer per wire), duplicate
// resolution, and live gossip that never goes back to where blocks came from.
import { compare, ed25519, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import { picoWire } from '../net/index.js'
import type { Plug } from '../net/index.js'
import { write } from '../nuro/index.js'
import type { Neuron, Setter } from '../nuro/index.js'
import {
  HANDSHAKE_TIMEOUT, MAX_BLOCKS_PER_MESSAGE, MAX_MESSAGE_SIZE, MAX_NODE_INBOUND_BYTES, MAX_NODE_OUTBOUND_BYTES,
  MAX_OUTBOUND_BYTES, MAX_QUEUE_BYTES, MAX_WANTS, MAX_WANTS_RECEIVED, MAX_REFUSED
} from './constants.js'
import { KernelError } from './errors.js'
import { Peer, chainKey } from './peer.js'
import { encodeBlocks, splitForWire } from './protocol.js'
import type { Summary } from './protocol.js'
import { ReconIndex } from './recon.js'
import { summarize } from './sync.js'
import type { BlockSource, PeerInfo, SyncAnswer, SyncLimits } from './types.js'

/** Default {@link SyncLimits}. */
export const DEFAULT_LIMITS: Readonly<SyncLimits> = Object.freeze({
  maxMessageSize: MAX_MESSAGE_SIZE,
  maxBlocksPerMessage: MAX_BLOCKS_PER_MESSAGE,
  maxQueueBytes: MAX_QUEUE_BYTES,
  maxOutboundBytes: MAX_OUTBOUND_BYTES,
  maxNodeOutboundBytes: MAX_NODE_OUTBOUND_BYTES,
  maxNodeInboundBytes: MAX_NODE_INBOUND_BYTES,
  maxWants: MAX_WANTS,
  maxWantsReceived: MAX_WANTS_RECEIVED,
  maxRefused: MAX_REFUSED,
  handshakeTimeout: HANDSHAKE_TIMEOUT
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
  /**
   * Secret seed (32 bytes) of the node key proven in every handshake; the node id is the hex
   * of its public key. Random per instance by default (a user's tabs and devices are distinct
   * nodes); give one for reproducible runs (the simulator).
   */
  nodeSecret?: Uint8Array
}

function checkLimits (limits: Partial<SyncLimits> | undefined): SyncLimits {
  const out: SyncLimits = { ...DEFAULT_LIMITS, ...limits }
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`"limits.${k}" expected a positive integer, got ${String(v)}`)
  }
  if (out.maxMessageSize > MAX_MESSAGE_SIZE) throw new RangeError(`"limits.maxMessageSize" is at most ${MAX_MESSAGE_SIZE}`)
  if (out.maxQueueBytes < MAX_QUEUE_BYTES) throw new RangeError(`"limits.maxQueueBytes" is at least ${MAX_QUEUE_BYTES} (twice the protocol's largest message)`)
  if (out.maxQueueBytes > 0x0fffffff) throw new RangeError('"limits.maxQueueBytes" is at most 2^28 - 1')
  if (out.maxBlocksPerMessage > MAX_BLOCKS_PER_MESSAGE) throw new RangeError(`"limits.maxBlocksPerMessage" is at most ${MAX_BLOCKS_PER_MESSAGE}`)
  return out
}

/**
 * The sync protocol's engine: spawns wires, runs one peer connection per wire, keeps one
 * connection per remote node, and gossips accepted blocks. The kernel owns one.
 */
export class SyncNode {
  /** This node's key (Ed25519 public key), proven to every peer in the handshake. */
  readonly nodeKey: Uint8Array
  /** This node's id: the hex of its key. */
  readonly nodeId: string
  readonly #seed: Uint8Array
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
  #inbound = 0
  #outbound = 0
  /** Outbound buffers and how many peers hold each: shared gossip is counted once. */
  readonly #held = new Map<Uint8Array, number>()

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
    const seed = options.nodeSecret ?? globalThis.crypto.getRandomValues(new Uint8Array(32))
    if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError('"nodeSecret" expected 32 bytes')
    this.#seed = seed.slice()
    this.nodeKey = ed25519().getPublicKey(this.#seed)
    this.nodeId = toHex(this.nodeKey)
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
    this.#version++ // our chains changed
    if (this.#closed || feeds.length === 0 || this.#peers.size === 0) return
    // Encoded once and shared by every peer's queue (the node's budget counts them once).
    const messages: Uint8Array[] = []
    const { maxBlocksPerMessage, maxMessageSize } = this.limits
    for (const feed of feeds) {
      if (feed.length === 0) continue
      for (const part of splitForWire(feed, maxBlocksPerMessage, maxMessageSize)) messages.push(encodeBlocks(part))
    }
    for (const peer of this.#peers.values()) {
      if (peer.info !== source) peer.sendMessages(messages)
    }
  }

  /** Bytes queued from peers and not processed yet, all connections together. */
  get inboundBytes (): number { return this.#inbound }

  /** Bytes waiting to be sent, all connections together (shared buffers counted once). */
  get outboundBytes (): number { return this.#outbound }

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
    if (info.nodeId === this.nodeId) {
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

  /**
   * Our chains as reconciled, built once and kept while no block is accepted.
   * @internal
   */
  reconIndex (): Promise<ReconIndex> {
    const version = this.#version
    if (this.#index === undefined || this.#index.version !== version) {
      const index = this.#source.chains().then(chains => ReconIndex.from(summarize(chains)))
      index.catch(() => { if (this.#index?.index === index) this.#index = undefined })
      this.#index = { version, index }
    }
    return this.#index.index
  }

  #version = 0
  #index: { version: number, index: Promise<ReconIndex> } | undefined

  /** @internal */
  query (summary: Summary, peer: Peer): SyncAnswer | Promise<SyncAnswer> {
    return this.#source.query(summary, peer.info as PeerInfo)
  }

  /** @internal */
  async ingest (feed: Feed, peer: Peer): Promise<Uint8Array | undefined> {
    const { missing } = await this.#source.ingest(feed, peer.info as PeerInfo)
    return missing
  }

  /** @internal */
  async has (id: Uint8Array): Promise<boolean> {
    return (await this.#source.place(id)) !== undefined
  }

  /**
   * Checks a message's signatures ahead of its turn, when the source can (see
   * {@link BlockSource.verify}); resolves at once otherwise.
   * @internal
   */
  async prepare (feed: Feed): Promise<void> {
    if (this.#source.verify === undefined) return
    await this.ready
    await this.#source.verify(feed)
  }

  /**
   * Answers a `want`: the blocks of the chain of `id` above the height the peer was last sent
   * on that chain, up to `id`. A repeated or covered want costs one index read and sends nothing.
   * @internal
   */
  async answerWant (id: Uint8Array, known: Map<string, number>): Promise<AsyncIterable<Feed> | undefined> {
    const place = await this.#source.place(id)
    if (place === undefined) return undefined
    const k = chainKey(place.chainId)
    const have = known.get(k) ?? -1
    if (place.height <= have) return undefined
    if (!known.has(k) && known.size >= this.limits.maxWantsReceived) return undefined
    known.set(k, place.height)
    return this.#source.range(id, place.height - have, this.limits.maxBlocksPerMessage)
  }

  /** @internal */
  sign (payload: Uint8Array): Uint8Array {
    return ed25519().sign(payload, this.#seed)
  }

  /** @internal */
  verify (sig: Uint8Array, payload: Uint8Array, key: Uint8Array): boolean {
    try {
      return ed25519().verify(sig, payload, key)
    } catch {
      return false // a malformed key is a failed proof
    }
  }

  /**
   * Node-wide accounting; past a budget the connection holding the most is dropped.
   * @internal
   */
  account (inbound: number): void {
    this.#inbound += inbound
    if (inbound > 0 && this.#inbound > this.limits.maxNodeInboundBytes) {
      const worst = this.#largest(p => p.inboxBytes)
      worst?.fail(new KernelError('Flood', `the node holds more than ${this.limits.maxNodeInboundBytes} inbound bytes; this peer the most`))
    }
  }

  /** @internal */
  hold (buf: Uint8Array, delta: 1 | -1): void {
    const n = (this.#held.get(buf) ?? 0) + delta
    if (n <= 0) {
      this.#held.delete(buf)
      this.#outbound -= buf.length
      return
    }
    this.#held.set(buf, n)
    if (n === 1 && delta === 1) {
      this.#outbound += buf.length
      if (this.#outbound > this.limits.maxNodeOutboundBytes) {
        const worst = this.#largest(p => p.outboundBytes)
        worst?.fail(new KernelError('SlowPeer', `the node holds more than ${this.limits.maxNodeOutboundBytes} outbound bytes; this peer the most`))
      }
    }
  }

  #largest (size: (p: Peer) => number): Peer | undefined {
    let worst: Peer | undefined
    for (const p of this.#all) if (!p.closed && (worst === undefined || size(p) > size(worst))) worst = p
    return worst
  }

  #publish (): void {
    this.#setConnections(this.peers)
  }
}

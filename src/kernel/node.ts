// The sync engine of one kernel: its node id, its connections (one Peer per wire), duplicate
// resolution, and live gossip: new heads announced (`have`), blocks fetched once from one peer
// (`fetch`), never sent back to where they came from.
import { compare, ed25519, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import { picoWire } from '../net/index.js'
import type { Plug } from '../net/index.js'
import { write } from '../nuro/index.js'
import type { Neuron, Setter } from '../nuro/index.js'
import {
  FETCH_ALTERNATES, FETCH_TIMEOUT, GOSSIP_DELAY, GOSSIP_INTERVAL, HANDSHAKE_TIMEOUT, MAX_BLOCKS_PER_MESSAGE, MAX_FETCHES,
  MAX_MESSAGE_SIZE, MAX_NODE_FETCHES, MAX_NODE_INBOUND_BYTES, MAX_NODE_OUTBOUND_BYTES, MAX_OUTBOUND_BYTES,
  MAX_QUEUE_BYTES, MAX_WANTS, MAX_WANTS_RECEIVED, MAX_REFUSED
} from './constants.js'
import { KernelError } from './errors.js'
import { Peer, chainKey } from './peer.js'
import type { HeadEntry, Summary } from './protocol.js'
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
  handshakeTimeout: HANDSHAKE_TIMEOUT,
  gossipDelay: GOSSIP_DELAY,
  gossipInterval: GOSSIP_INTERVAL,
  fetchTimeout: FETCH_TIMEOUT,
  maxFetches: MAX_FETCHES
})

/** A chain being fetched: who was asked, when, and who else announced it. */
interface Fetch {
  chainId: Uint8Array
  /** The highest height announced. */
  height: number
  peer: Peer
  /** When it was asked, or last grew (ms). */
  at: number
  alternates: Peer[]
}

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
    const min = k === 'gossipDelay' || k === 'gossipInterval' ? 0 : 1
    if (!Number.isInteger(v) || v < min) throw new RangeError(`"limits.${k}" expected an integer >= ${min}, got ${String(v)}`)
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
  /** Outbound buffers and how many peers hold each: shared buffers are counted once. */
  readonly #held = new Map<Uint8Array, number>()
  /** Chains being fetched, by {@link chainKey}. */
  readonly #fetching = new Map<string, Fetch>()
  /** Heights of our chains as last seen grow, by {@link chainKey} (a cache of `source.head`). */
  #heads = new Map<string, number>()
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  /** When the last announcement round ran (`performance.now()`: monotonic, virtual in the simulator). */
  #lastFlush = -Infinity
  #sweepTimer: ReturnType<typeof setTimeout> | undefined

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
   * Announces accepted blocks (`have`, after `gossipDelay`, in rounds `gossipInterval` apart)
   * to every connected peer except `source` (the connection they came from) and peers known to
   * hold them; a peer fetches what it lacks (PROTOCOL.md, Exchange 6).
   *
   * @param feeds - accepted segments
   * @param source - the {@link PeerInfo} passed to `ingest` for these blocks, if any
   */
  gossip (feeds: readonly Feed[], source?: unknown): void {
    this.#version++ // our chains changed
    if (this.#closed || feeds.length === 0) return
    if (this.#peers.size === 0 && this.#fetching.size === 0) {
      // Nobody to tell: skip the index read per segment; the cached heights may be behind now.
      if (this.#heads.size > 0) this.#heads.clear()
      return
    }
    let from: Peer | undefined
    if (source !== undefined) for (const p of this.#peers.values()) if (p.info === source) from = p
    this.#announce(feeds, from).catch(() => {})
  }

  /** Forgets the cached heights of our chains (after blocks were removed: a rollback, the GC). */
  forgetHeads (): void {
    this.#heads = new Map()
  }

  async #announce (feeds: readonly Feed[], from: Peer | undefined): Promise<void> {
    for (const feed of feeds) {
      const last = feed.last
      if (last === undefined) continue
      const place = await this.#source.place(last.sig)
      if (place === undefined || this.#closed) continue // removed meanwhile
      const k = chainKey(place.chainId)
      this.#cacheHead(k, place.height)
      const f = this.#fetching.get(k)
      if (f !== undefined) {
        if (f.height <= place.height) this.#dropFetch(k, f)
        else f.at = Date.now() // it is coming
      }
      from?.noteHeld(k, place.height)
      for (const peer of this.#peers.values()) {
        if (peer !== from) peer.announce(k, place.chainId, place.height)
      }
    }
    if (this.#flushTimer === undefined && this.#peers.size > 0) {
      // gossipDelay after the first new head, and gossipInterval at least after the last round
      const wait = Math.max(this.limits.gossipDelay, this.#lastFlush + this.limits.gossipInterval - performance.now())
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined
        this.#lastFlush = performance.now()
        for (const peer of this.#peers.values()) peer.flushHaves()
      }, Math.ceil(wait))
    }
  }

  #cacheHead (k: string, height: number): void {
    if (this.#heads.size >= MAX_NODE_FETCHES && !this.#heads.has(k)) this.#heads.clear()
    if ((this.#heads.get(k) ?? -1) < height) this.#heads.set(k, height)
  }

  /** Height of our chain `chainId`, -1 when we hold none. */
  async #headOf (k: string, chainId: Uint8Array): Promise<number> {
    const cached = this.#heads.get(k)
    if (cached !== undefined) return cached
    const head = await this.#source.head(chainId)
    if (head === undefined) return -1
    this.#cacheHead(k, head.height)
    return head.height
  }

  /**
   * A peer's `have`: fetches from it the chains it holds higher than we do, unless another peer
   * is already bringing them (then it is remembered as a fallback).
   * @internal
   */
  async onHave (peer: Peer, entries: readonly HeadEntry[]): Promise<void> {
    const asks: HeadEntry[] = []
    for (const e of entries) {
      const k = chainKey(e.chainId)
      // a cached height needs no turn of the microtask queue (most entries, in live gossip)
      const mine = this.#heads.get(k) ?? await this.#headOf(k, e.chainId)
      if (mine >= 0) peer.noteHeld(k, e.height) // only chains we hold: the peer cannot grow this map
      if (e.height <= mine || peer.closed) continue
      const f = this.#fetching.get(k)
      if (f !== undefined && !f.peer.closed && f.height >= e.height) {
        if (f.peer !== peer && f.alternates.length < FETCH_ALTERNATES && !f.alternates.includes(peer)) f.alternates.push(peer)
        continue
      }
      if (peer.fetches >= this.limits.maxFetches) continue // it will announce the chain again when it grows
      if (f === undefined && this.#fetching.size >= MAX_NODE_FETCHES) continue
      if (f !== undefined) this.#dropFetch(k, f)
      const alternates = f === undefined ? [] : [f.peer, ...f.alternates].filter(p => p !== peer).slice(0, FETCH_ALTERNATES)
      this.#setFetch(k, { chainId: e.chainId, height: e.height, peer, at: Date.now(), alternates })
      asks.push({ chainId: e.chainId, height: mine + 1 })
    }
    peer.fetch(asks)
  }

  #setFetch (k: string, f: Fetch): void {
    this.#fetching.set(k, f)
    f.peer.fetches++
    this.#armSweep()
  }

  /** One timer for the node, and only while chains are being fetched. */
  #armSweep (): void {
    if (this.#sweepTimer !== undefined || this.#fetching.size === 0 || this.#closed) return
    this.#sweepTimer = setTimeout(() => { this.#sweepTimer = undefined; this.#sweep().catch(() => {}) }, this.limits.fetchTimeout)
  }

  #dropFetch (k: string, f: Fetch): void {
    if (this.#fetching.get(k) !== f) return
    this.#fetching.delete(k)
    f.peer.fetches--
  }

  /**
   * Asks another peer for the chains whose fetch went unanswered for `fetchTimeout` or whose
   * peer left (`only`: just those of that peer, at once).
   */
  async #sweep (only?: Peer): Promise<void> {
    const now = Date.now()
    const due: Array<[string, Fetch]> = []
    for (const [k, f] of this.#fetching) {
      if (only !== undefined ? f.peer === only : (f.peer.closed || now - f.at >= this.limits.fetchTimeout)) due.push([k, f])
    }
    const asks = new Map<Peer, HeadEntry[]>()
    for (const [k, f] of due) {
      this.#dropFetch(k, f)
      const alternates = f.alternates.filter(p => !p.closed && p.fetches < this.limits.maxFetches)
      const next = alternates.shift()
      if (next === undefined || this.#closed) continue
      const mine = await this.#headOf(k, f.chainId)
      if (mine >= f.height || this.#fetching.has(k)) continue
      this.#setFetch(k, { ...f, peer: next, at: now, alternates })
      let list = asks.get(next)
      if (list === undefined) asks.set(next, list = [])
      list.push({ chainId: f.chainId, height: mine + 1 })
    }
    for (const [peer, list] of asks) peer.fetch(list)
    this.#armSweep()
  }

  /**
   * Answers a `fetch`: the blocks of `chainId` from height `from` on, less those this connection
   * was already sent or is known to hold (`known`), so each block goes out at most once per
   * connection however often it is asked for.
   * @internal
   */
  async answerFetch (chainId: Uint8Array, from: number, known: Map<string, number>): Promise<AsyncIterable<Feed> | undefined> {
    const head = await this.#source.head(chainId)
    if (head === undefined) return undefined
    const k = chainKey(chainId)
    const start = Math.max(from, (known.get(k) ?? -1) + 1)
    if (head.height < start) return undefined
    known.set(k, head.height) // a chain we hold: the map stays within our chains
    return this.#source.range(head.tip, head.height - start + 1, this.limits.maxBlocksPerMessage)
  }

  /** Bytes queued from peers and not processed yet, all connections together. */
  get inboundBytes (): number { return this.#inbound }

  /** Bytes waiting to be sent, all connections together (shared buffers counted once). */
  get outboundBytes (): number { return this.#outbound }

  /** Closes every wire (a `bye` first) and waits for messages being processed. Idempotent. */
  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#flushTimer)
    clearTimeout(this.#sweepTimer)
    this.#flushTimer = this.#sweepTimer = undefined
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
    if (peer.fetches > 0) this.#sweep(peer).catch(() => {}) // ask others at once
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

  /**
   * What the delta sent on `info`'s connection reads from it: the heights the peer is known to
   * hold by now, and where in our chains to begin (from the connection's own random nonce, so
   * neighbours answering one joining peer begin at different chains). @internal
   */
  deltaView (info: PeerInfo): { held: (chainId: Uint8Array) => number, start: number } | undefined {
    for (const p of this.#peers.values()) {
      if (p.info === info) return { held: id => p.knownHeight(id), start: (((p.nonce[0] as number) << 8) | (p.nonce[1] as number)) / 65536 }
    }
    return undefined
  }

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
    known.set(k, place.height) // a chain we hold: the map stays within our chains
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

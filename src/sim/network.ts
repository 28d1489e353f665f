// The simulated network: a DHT with lookup delay, swarms with hyperswarm 4's surface, and
// connections whose bytes go through a link model (per-peer up/down bandwidth, per-link
// latency, jitter, loss as retransmission delay), in order per direction, as TCP would.
import { EventEmitter } from 'node:events'
import { Duplex } from 'node:stream'
import { toHex } from '../feed/index.js'
import { outgoing } from '../net/frame.js'
import type { Owner } from './queue.js'
import type { Random } from './random.js'

/** A latency: fixed ms, a uniform range `[min, max]`, or a function drawing one from a stream. */
export type Latency = number | readonly [number, number] | ((random: () => number) => number)

/** A peer's link: bandwidth, latency, jitter, loss. Every field optional. */
export interface LinkOptions {
  /** Bandwidth up and down, bytes per virtual second (1 MiB/s). `Infinity` = unlimited. */
  linkRate?: number
  /** Upload bandwidth, bytes/s (default `linkRate`). */
  up?: number
  /** Download bandwidth, bytes/s (default `linkRate`). */
  down?: number
  /** One-way latency of this peer's links, ms (20). A link takes the larger of its two ends'. */
  latency?: Latency
  /** Extra delay per chunk, uniform in [0, jitter] ms (0); delivery stays in order. */
  jitter?: number
  /** Chance (0..1) a chunk needs a retransmission, each costing one retransmission timeout (0). */
  loss?: number
}

/** The resolved link of a peer. @internal */
export interface Profile {
  up: number
  down: number
  latency: Latency
  jitter: number
  loss: number
}

/** A network endpoint: what the network needs of a simulated peer. @internal */
export interface Endpoint {
  readonly id: number
  readonly label: string
  readonly profile: Profile
  readonly incarnation: Owner & { readonly alive: boolean }
  readonly random: Random
  /** The stream of the link's own draws (jitter, loss): apart from `random`, which every worker of a parallel run replays. */
  readonly linkRandom: Random
  upFree: number
  downFree: number
  rx: number
  tx: number
  group: number
}

/** The network's view of the simulator. @internal */
export interface NetHost {
  readonly time: number
  /** Schedules a peer's work (bytes arriving, a writer's backpressure). */
  schedule (delay: number, fn: () => void, owner: Owner | null): void
  /** Schedules the network's own work (lookups, dials, closes): replayed by every worker of a parallel run. */
  control (delay: number, fn: () => void, owner: Owner | null): void
  /** Set in a worker of a parallel run. */
  readonly shard: ShardNet | null
  connectionOpened (conn: Connection): void
  connectionClosed (conn: Connection): void
  nextConnectionId (): number
}

const RTO_MIN = 200

/** A chunk on its way to a peer of another worker (parallel runs). @internal */
export interface Crossing {
  conn: number
  side: 0 | 1
  chunk: Uint8Array | null
  /** When its first byte reaches the receiver's downlink, and the earliest its last byte can arrive. */
  arrive: number
  last: number
}

/**
 * A call of a peer's code that changes the network (a swarm made, a topic or a peer joined or
 * left, a socket destroyed): in a parallel run it takes effect in every worker at the next
 * window edge, so that each worker's copy of the DHT, swarms and connection table stays the same.
 * @internal
 */
export type ControlInput =
  | { k: 'swarm', peer: number, key: Uint8Array, maxPeers: number }
  | { k: 'join', peer: number, swarm: number, topic: Uint8Array, server: boolean, client: boolean }
  | { k: 'leave', peer: number, swarm: number, topic: Uint8Array }
  | { k: 'destroy', peer: number, swarm: number }
  | { k: 'joinPeer', peer: number, swarm: number, key: Uint8Array }
  | { k: 'leavePeer', peer: number, swarm: number, key: Uint8Array }
  | { k: 'sock', peer: number, conn: number, side: 0 | 1, why: string | null }
  | { k: 'down', peer: number }

/** What a worker of a parallel run adds to the network's host. @internal */
export interface ShardNet {
  /** True when the peer runs in this worker. */
  local (id: number): boolean
  /** Records a change made by a local peer's code: `apply` runs here, and the input in every other worker, at the next window edge. */
  input (payload: ControlInput, apply: () => void): void
  /** Hands a chunk to the worker of its receiver. */
  cross (to: number, c: Crossing): void
}

function drawLatency (l: Latency, random: () => number): number {
  if (typeof l === 'number') return l
  if (typeof l === 'function') return Math.max(0, Number(l(random)) || 0)
  return l[0] + random() * (l[1] - l[0])
}

/** One direction of a connection. */
interface Direction {
  last: number
  ended: boolean
  /** Chunks held while the link is partitioned. */
  held: Uint8Array[]
  pending: { time: number, chunks: Array<Uint8Array | null> } | null
}

/** A simulated connection between two peers (two {@link SimSocket} ends). @internal */
export class Connection {
  readonly id: number
  readonly a: Endpoint
  readonly b: Endpoint
  /** The swarm keys of the two ends. */
  readonly aKey: Uint8Array
  readonly bKey: Uint8Array
  readonly topic: Uint8Array | undefined
  readonly latency: number
  readonly #host: NetHost
  readonly #dir: [Direction, Direction]
  /** The sockets, made when first asked for (a parallel run's worker makes only its own peers'). */
  readonly #sockets: [SimSocket | null, SimSocket | null] = [null, null]
  /** Parallel runs: the sides the network has closed (in every worker alike). */
  readonly #gone: [boolean, boolean] = [false, false]
  readonly opened: number
  bytes = 0
  /** Chunks written (both directions): one per socket write, i.e. about one per message frame. */
  writes = 0
  closed = false
  closeReason: string | null = null
  closedBy: 'a' | 'b' | null = null
  /** Set when one end crashed: the other end sees a reset. */
  reset = false
  #open = 2

  constructor (host: NetHost, a: Endpoint, b: Endpoint, aKey: Uint8Array, bKey: Uint8Array, topic: Uint8Array | undefined, id: number) {
    this.id = id
    this.#host = host
    this.a = a
    this.b = b
    this.aKey = aKey
    this.bKey = bKey
    this.topic = topic
    this.opened = host.time
    this.latency = Math.max(drawLatency(a.profile.latency, () => a.random.next()), drawLatency(b.profile.latency, () => b.random.next()))
    this.#dir = [{ last: 0, ended: false, held: [], pending: null }, { last: 0, ended: false, held: [], pending: null }]
  }

  /** The dialling side's socket. */
  get sa (): SimSocket { return this.socket(0) }
  /** The dialled side's socket. */
  get sb (): SimSocket { return this.socket(1) }

  /** The socket of side `s` (made on first use). */
  socket (s: 0 | 1): SimSocket {
    return (this.#sockets[s] ??= new SimSocket(this, s, s === 0 ? this.bKey : this.aKey, this.#host.shard === null))
  }

  /** True while a partition separates the two ends. */
  get blocked (): boolean { return this.a.group !== this.b.group }

  /** Sends `chunk` from side `s`; calls `done` when the sender's uplink may take more. */
  send (s: 0 | 1, chunk: Uint8Array | null, done: () => void): void {
    const src = s === 0 ? this.a : this.b
    const dst = s === 0 ? this.b : this.a
    const now = this.#host.time
    const n = chunk === null ? 0 : chunk.byteLength
    // Pipelined like a TCP stream: the chunk leaves at the sender's upload rate and arrives at
    // the receiver's download rate; the slower end sets the pace; both links are FIFO.
    const start = Math.max(now, src.upFree)
    const up = start + (n * 1000) / src.profile.up
    src.upFree = up
    let delay = this.latency
    if (src.profile.jitter > 0 || dst.profile.jitter > 0) delay += src.linkRandom.next() * Math.max(src.profile.jitter, dst.profile.jitter)
    const loss = Math.max(src.profile.loss, dst.profile.loss)
    if (loss > 0) {
      const rto = Math.max(RTO_MIN, 2 * this.latency)
      while (src.linkRandom.next() < loss) delay += rto
    }
    src.tx += n
    this.bytes += n
    if (chunk !== null) this.writes++
    const shard = this.#host.shard
    if (shard !== null && !shard.local(dst.id)) shard.cross(dst.id, { conn: this.id, side: s, chunk, arrive: start + delay, last: up + delay })
    else this.#receive(s, chunk, start + delay, up + delay)
    // Backpressure: the writer waits while more than 250 ms of data waits on its uplink.
    const backlog = up - now - 250
    if (backlog <= 0) done()
    else this.#host.schedule(Math.ceil(backlog), done, src.incarnation)
  }

  /** A chunk sent by a peer of another worker reaches this one's receiver. */
  arrive (c: Crossing): void {
    if (c.chunk !== null) { this.bytes += c.chunk.byteLength; this.writes++ }
    this.#receive(c.side, c.chunk, c.arrive, c.last)
  }

  /** The receiver's downlink takes a chunk that reaches it at `arrive` (its last byte not before `last`). */
  #receive (s: 0 | 1, chunk: Uint8Array | null, arrive: number, last: number): void {
    const dst = s === 0 ? this.b : this.a
    const now = this.#host.time
    const n = chunk === null ? 0 : chunk.byteLength
    const down = Math.max(Math.max(arrive, dst.downFree) + (n * 1000) / dst.profile.down, last)
    if (chunk !== null) dst.downFree = down
    const dir = this.#dir[s]
    const at = Math.max(Math.ceil(down), dir.last, now)
    dir.last = at
    if (dir.pending !== null && dir.pending.time === at) {
      dir.pending.chunks.push(chunk)
    } else {
      const batch = { time: at, chunks: [chunk] }
      dir.pending = batch
      this.#host.schedule(at - now, () => {
        if (dir.pending === batch) dir.pending = null
        this.#deliver(s, batch.chunks)
      }, dst.incarnation)
    }
  }

  #deliver (s: 0 | 1, chunks: Array<Uint8Array | null>): void {
    const dst = this.socket(s === 0 ? 1 : 0)
    const dir = this.#dir[s]
    if (this.blocked) { for (const c of chunks) dir.held.push(c as Uint8Array); return }
    for (const c of chunks) {
      if (dst.destroyed) return
      if (c === null) { dir.ended = true; dst.push(null); continue }
      ;(s === 0 ? this.b : this.a).rx += c.byteLength
      dst.push(c)
    }
  }

  /** Re-delivers what a partition held back, once the partition healed. */
  heal (): void {
    for (const s of [0, 1] as const) {
      const dir = this.#dir[s]
      if (dir.held.length === 0) continue
      const held = dir.held.splice(0)
      const dst = s === 0 ? this.b : this.a
      const at = Math.max(this.#host.time + Math.ceil(this.latency), dir.last)
      dir.last = at
      this.#host.schedule(at - this.#host.time, () => this.#deliver(s, held), dst.incarnation)
    }
  }

  /** Side `s`'s socket was destroyed (by its peer's code, or as the network closed it). */
  socketDestroyed (s: 0 | 1, why: string | null): void {
    const shard = this.#host.shard
    if (shard === null) { this.destroyedSide(s, why); return }
    if (this.#gone[s]) return // the network closed it: every worker knows already
    shard.input({ k: 'sock', peer: (s === 0 ? this.a : this.b).id, conn: this.id, side: s, why }, () => this.shut(s, why))
  }

  /** Side `s` was destroyed: the other side learns it after the bytes in flight. */
  destroyedSide (s: 0 | 1, why: string | null): void {
    const reason = this.#closing(s, why)
    const other = this.socket(s === 0 ? 1 : 0)
    const dst = s === 0 ? this.b : this.a
    const dir = this.#dir[s]
    const at = Math.max(this.#host.time + Math.ceil(this.latency), dir.last)
    this.#host.schedule(at - this.#host.time, () => { destroyWith(other, reason) }, dst.incarnation)
  }

  #closing (s: 0 | 1, why: string | null): string | null {
    const reason = this.reset ? 'ECONNRESET' : why
    if (this.closedBy === null) { this.closedBy = s === 0 ? 'a' : 'b'; this.closeReason = reason }
    return reason
  }

  /**
   * Parallel runs: side `s` is closed, in every worker at the same virtual time; the other side
   * closes one latency later (its socket, where it runs, after the bytes in flight to it).
   */
  shut (s: 0 | 1, why: string | null): void {
    if (this.#gone[s]) return
    this.#gone[s] = true
    const reason = this.#closing(s, why)
    const o = s === 0 ? 1 : 0
    this.#host.control(Math.ceil(this.latency), () => {
      if (!this.#gone[o]) {
        this.#gone[o] = true
        const sock = this.#sockets[o]
        if (sock !== null && !sock.destroyed) {
          const wait = Math.max(0, this.#dir[s].last - this.#host.time)
          this.#host.schedule(wait, () => { destroyWith(sock, reason) }, null)
        }
      }
      if (!this.closed) { this.closed = true; this.#host.connectionClosed(this) }
    }, null)
  }

  /** A socket emitted `close`. */
  socketClosed (): void {
    if (--this.#open > 0 || this.closed) return
    this.closed = true
    this.#host.connectionClosed(this)
  }

  /** The other side's endpoint. */
  other (e: Endpoint): Endpoint { return e === this.a ? this.b : this.a }
}

/** Destroys `socket` as a remote close would: an error when the close had a reason. */
function destroyWith (socket: SimSocket, reason: string | null): void {
  if (socket.destroyed) return
  if (reason === null) socket.destroy()
  else socket.destroy(Object.assign(new Error('connection reset by peer'), { code: 'ECONNRESET' }))
}

/**
 * One end of a simulated connection: a Node `Duplex` (like hyperswarm's encrypted stream).
 * Writes leave through the peer's uplink and arrive after the link's delay, in order.
 */
export class SimSocket extends Duplex {
  /** The remote peer's swarm public key. */
  readonly remotePublicKey: Uint8Array
  readonly #conn: Connection
  readonly #side: 0 | 1

  /** @internal */
  constructor (conn: Connection, side: 0 | 1, remotePublicKey: Uint8Array, countClose = true) {
    super({ allowHalfOpen: true })
    this.#conn = conn
    this.#side = side
    this.remotePublicKey = remotePublicKey
    if (countClose) this.once('close', () => conn.socketClosed())
  }

  /** The connection id (as in the log). */
  get connectionId (): number { return this.#conn.id }

  /** Node stream internals: bytes written go through the link model. @internal */
  override _write (chunk: Uint8Array, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#conn.closed) { cb(); return }
    // a copy, as a socket's bytes would arrive in buffers of their own; carved from the
    // transports' slab like Node's Buffer pool (one backing store per write cost more than the
    // copy). The kit's framing hands the bytes on as views and Modem56 copies what it delivers.
    const copy = outgoing(chunk.byteLength)
    copy.set(chunk)
    this.#conn.send(this.#side, copy, () => cb())
  }

  /** Node stream internals: the end goes to the other side in order. @internal */
  override _final (cb: (err?: Error | null) => void): void {
    this.#conn.send(this.#side, null, () => {})
    cb()
  }

  /** Node stream internals: bytes are pushed as they arrive. @internal */
  override _read (): void {}

  /** Node stream internals: a destroyed side resets the other. @internal */
  override _destroy (err: Error | null, cb: (err: Error | null) => void): void {
    this.#conn.socketDestroyed(this.#side, err === null ? null : (err as { code?: string }).code ?? err.message)
    cb(err)
  }
}

/** Options of a simulated swarm (hyperswarm's constructor options; others are ignored). */
export interface SimSwarmOptions {
  /** Most connections (default: the launch option `maxConnections`, else 8). */
  maxPeers?: number
}

/** hyperswarm's PeerInfo, as the simulated swarm hands it out. */
export interface SimPeerInfo {
  /** The remote peer's swarm key. */
  readonly publicKey: Uint8Array
  /** Topics this connection was found through (empty for a client-side dial). */
  readonly topics: Uint8Array[]
  /** Whether we dialled (true) or were dialled (false). */
  readonly client: boolean
}

/** What a swarm needs from the simulator. @internal */
export interface SwarmHost extends NetHost {
  readonly dht: SimDht
  /** Delay of one DHT lookup or announce, ms. */
  lookupDelay (random: Random): number
  /** Delay before re-looking up after losing a connection, ms. */
  retryDelay (random: Random): number
}

interface TopicEntry {
  readonly key: Uint8Array
  readonly servers: Set<SwarmCore>
  readonly hungry: Set<SwarmCore>
}

/** The simulated DHT: who announces which topic. @internal */
export class SimDht {
  readonly topics: Map<string, TopicEntry> = new Map()
  /** Live swarms by public key (hex): what `joinPeer` dials. */
  readonly swarms: Map<string, SwarmCore> = new Map()

  entry (key: Uint8Array): TopicEntry {
    const hex = toHex(key)
    let e = this.topics.get(hex)
    if (e === undefined) this.topics.set(hex, e = { key, servers: new Set(), hungry: new Set() })
    return e
  }

  remove (s: SwarmCore): void {
    const hex = toHex(s.publicKey)
    if (this.swarms.get(hex) === s) this.swarms.delete(hex)
    for (const [hex, e] of this.topics) {
      e.servers.delete(s)
      e.hungry.delete(s)
      if (e.servers.size === 0 && e.hungry.size === 0) this.topics.delete(hex)
    }
  }
}

/** A discovery session, as `join()` returns it (hyperswarm's PeerDiscovery). */
export interface SimDiscovery {
  /** The topic (32 bytes). */
  readonly topic: Uint8Array
  /** Announcing the topic (server mode). */
  readonly isServer: boolean
  /** Looking peers up on the topic (client mode). */
  readonly isClient: boolean
  /** Resolves once the topic was announced and looked up (after the DHT's lookup delay). */
  flushed (): Promise<void>
  /** Changes the modes (when given) and announces and looks up again; resolves once done. */
  refresh (options?: { server?: boolean, client?: boolean }): Promise<void>
  /** Leaves the topic. */
  destroy (): Promise<void>
}

/** The engine behind one {@link SimSwarm}. @internal */
export class SwarmCore {
  readonly endpoint: Endpoint
  readonly publicKey: Uint8Array
  readonly maxPeers: number
  readonly conns: Map<number, Connection> = new Map()
  readonly #joined: Map<string, { key: Uint8Array, server: boolean, client: boolean }> = new Map()
  readonly #host: SwarmHost
  readonly #emit: (socket: SimSocket, info: SimPeerInfo) => void
  readonly #dialing: Set<number> = new Set()
  readonly #recent: Map<number, { until: number, strikes: number }> = new Map()
  #pending = 0
  #out = 0
  readonly #mine: Set<number> = new Set()
  #waiters: Array<() => void> = []
  #retry = false
  /** Peers dialled directly (`joinPeer`), by public key hex: kept connected until `leavePeer`. */
  readonly #explicit: Map<string, Uint8Array> = new Map()
  /** Explicit peers with a reconnection attempt scheduled. */
  readonly #explicitRetry: Set<string> = new Set()
  /** Called when connections or dials change (the swarm's `update` event). */
  onupdate: () => void = () => {}
  destroyed = false
  /** Its place among its peer's swarms (how the workers of a parallel run name it). */
  index = 0
  /** False for a parallel run's copy of another worker's peer's swarm. */
  readonly local: boolean

  /**
   * @param local - false for the copy that a worker of a parallel run keeps of another
   *   worker's peer's swarm: it takes part in discovery and dials, and makes no sockets
   */
  constructor (host: SwarmHost, endpoint: Endpoint, publicKey: Uint8Array, maxPeers: number, emit: (socket: SimSocket, info: SimPeerInfo) => void, local = true) {
    this.local = local
    this.#host = host
    this.endpoint = endpoint
    this.publicKey = publicKey
    this.maxPeers = maxPeers
    this.#emit = emit
    if (host.shard === null) this.register()
  }

  /** Makes the swarm findable by its key (at once, or in a parallel run at the window edge). */
  register (): void {
    this.#host.dht.swarms.set(toHex(this.publicKey), this)
  }

  /** Runs a change made by the peer's code now, or in a parallel run at the next window edge in every worker. */
  #gated<T> (input: ControlInput, apply: () => T | Promise<T>): Promise<T> {
    const shard = this.#host.shard
    if (shard === null) return Promise.resolve(apply())
    return new Promise<T>((resolve, reject) => shard.input(input, () => {
      try { resolve(apply()) } catch (err) { reject(err) }
    }))
  }

  /** Dials in progress. */
  get connecting (): number { return this.#dialing.size }

  get load (): number { return this.conns.size + this.#dialing.size }
  /** Connections this side dialled (and dials in progress). */
  get outgoing (): number { return this.#out + this.#dialing.size }
  /**
   * Most connections this side dials: half of maxPeers, the rest is left for peers that dial
   * us. Without the split, early peers fill up among themselves and form closed cliques.
   */
  get dialQuota (): number { return Math.max(1, Math.ceil(this.maxPeers / 2)) }
  /** Wants to dial more. */
  get wants (): boolean { return this.load < this.maxPeers && this.outgoing < this.dialQuota }
  get alive (): boolean { return !this.destroyed && this.endpoint.incarnation.alive }

  join (key: Uint8Array, server: boolean, client: boolean): Promise<void> {
    return this.#gated({ k: 'join', peer: this.endpoint.id, swarm: this.index, topic: key, server, client }, () => this.joinNow(key, server, client))
  }

  /** @internal joins now (a parallel run's input, applied). */
  joinNow (key: Uint8Array, server: boolean, client: boolean): Promise<void> {
    const hex = toHex(key)
    this.#joined.set(hex, { key, server, client })
    return this.#lookup(key, server, client)
  }

  leave (key: Uint8Array): Promise<void> {
    return this.#gated({ k: 'leave', peer: this.endpoint.id, swarm: this.index, topic: key }, () => { this.leaveNow(key) })
  }

  /** @internal leaves now (a parallel run's input, applied). */
  leaveNow (key: Uint8Array): void {
    const hex = toHex(key)
    this.#joined.delete(hex)
    const e = this.#host.dht.topics.get(hex)
    e?.servers.delete(this)
    e?.hungry.delete(this)
  }

  #lookup (key: Uint8Array, server: boolean, client: boolean): Promise<void> {
    this.#pending++
    return new Promise(resolve => {
      this.#host.control(this.#host.lookupDelay(this.endpoint.random), () => {
        this.#settle()
        resolve()
        if (!this.alive || !this.#joined.has(toHex(key))) return
        const entry = this.#host.dht.entry(key)
        if (server && !entry.servers.has(this)) {
          entry.servers.add(this)
          for (const h of [...entry.hungry]) if (h !== this) h.offer(this, entry.key)
        }
        if (client) {
          const candidates = this.endpoint.random.shuffle([...entry.servers].filter(s => s !== this))
          for (const c of candidates) {
            if (!this.wants) break
            void this.dial(c, entry.key)
          }
          // Only a peer that found nobody waits for announcements (as a periodic re-lookup
          // would find them); others leave their free slots to peers that come later, so the
          // graph keeps growing forward in time instead of closing into full cliques.
          if (this.load === 0) entry.hungry.add(this)
          else entry.hungry.delete(this)
        }
      }, this.endpoint.incarnation)
    })
  }

  /** A peer announced a topic we look up while we have no connection at all. */
  offer (server: SwarmCore, key: Uint8Array): void {
    if (!this.alive) return
    if (this.load > 0 || !this.wants) { this.#host.dht.entry(key).hungry.delete(this); return }
    void this.dial(server, key)
  }

  #connectedTo (other: SwarmCore): boolean {
    if (this.#dialing.has(other.endpoint.id) || other.#dialing.has(this.endpoint.id)) return true
    for (const c of this.conns.values()) if (c.other(this.endpoint) === other.endpoint) return true
    return false
  }

  /**
   * Dials `remote` (found on `topic`, or directly when `topic` is undefined: `joinPeer`, which
   * also ignores the back-off and the dial quota); resolves true once connected.
   */
  dial (remote: SwarmCore, topic: Uint8Array | undefined): Promise<boolean> {
    const rid = remote.endpoint.id
    const direct = topic === undefined
    const recent = this.#recent.get(rid)
    if (!direct && recent !== undefined && recent.until > this.#host.time) return Promise.resolve(false)
    if (!remote.alive || remote === this || this.#connectedTo(remote) || remote.load >= remote.maxPeers) return Promise.resolve(false)
    if (remote.endpoint.group !== this.endpoint.group) return Promise.resolve(false)
    this.#dialing.add(rid)
    this.#pending++
    this.onupdate()
    const rtt = 2 * Math.max(drawLatency(this.endpoint.profile.latency, () => this.endpoint.random.next()), 1)
    return new Promise(resolve => {
      this.#host.control(Math.ceil(rtt), () => {
        this.#dialing.delete(rid)
        this.#settle()
        resolve(this.#connect(remote, topic))
        this.onupdate()
      }, this.endpoint.incarnation)
    })
  }

  #connect (remote: SwarmCore, topic: Uint8Array | undefined): boolean {
    if (!this.alive || !remote.alive || remote.load >= remote.maxPeers || this.conns.size >= this.maxPeers) return false
    if (topic !== undefined && this.#out >= this.dialQuota) return false
    if (remote.endpoint.group !== this.endpoint.group || this.#connectedTo(remote)) return false
    const conn = new Connection(this.#host, this.endpoint, remote.endpoint, this.publicKey, remote.publicKey, topic, this.#host.nextConnectionId())
    this.conns.set(conn.id, conn)
    this.#mine.add(conn.id)
    this.#out++
    remote.conns.set(conn.id, conn)
    this.#host.connectionOpened(conn)
    if (this.local) this.#emit(conn.sa, { publicKey: remote.publicKey, topics: topic === undefined ? [] : [topic], client: true })
    this.#host.control(0, () => {
      if (!remote.local) return
      if (remote.alive) remote.#emit(conn.sb, { publicKey: this.publicKey, topics: [], client: false })
      else conn.sb.destroy()
    }, remote.endpoint.incarnation)
    return true
  }

  /** Keeps a direct connection to the swarm with `publicKey` (hyperswarm's `joinPeer`). */
  joinPeer (publicKey: Uint8Array): void {
    const key = publicKey.slice()
    void this.#gated({ k: 'joinPeer', peer: this.endpoint.id, swarm: this.index, key }, () => { this.joinPeerNow(key) })
  }

  /** @internal keeps a direct connection now (a parallel run's input, applied). */
  joinPeerNow (key: Uint8Array): void {
    const hex = toHex(key)
    if (this.destroyed || hex === toHex(this.publicKey) || this.#explicit.has(hex)) return
    this.#explicit.set(hex, key)
    this.#attempt(hex)
  }

  /** Stops reconnecting to `publicKey` (an open connection stays). */
  leavePeer (publicKey: Uint8Array): void {
    const key = publicKey.slice()
    void this.#gated({ k: 'leavePeer', peer: this.endpoint.id, swarm: this.index, key }, () => { this.leavePeerNow(key) })
  }

  /** @internal stops reconnecting now (a parallel run's input, applied). */
  leavePeerNow (key: Uint8Array): void {
    this.#explicit.delete(toHex(key))
  }

  /** One attempt at an explicit peer; another after the retry delay while not connected. */
  #attempt (hex: string): void {
    if (!this.alive || !this.#explicit.has(hex)) return
    const remote = this.#host.dht.swarms.get(hex)
    if (remote !== undefined && this.#connectedTo(remote)) return
    const retry = (): void => {
      if (!this.alive || !this.#explicit.has(hex) || this.#explicitRetry.has(hex)) return
      this.#explicitRetry.add(hex)
      this.#host.control(this.#host.retryDelay(this.endpoint.random), () => {
        this.#explicitRetry.delete(hex)
        this.#attempt(hex)
      }, this.endpoint.incarnation)
    }
    if (remote === undefined || !remote.alive) { retry(); return }
    void this.dial(remote, undefined).then(ok => { if (!ok) retry() })
  }

  /** A connection of ours closed: forget it, back off from that peer, look for another. */
  closed (conn: Connection): void {
    this.conns.delete(conn.id)
    if (this.#mine.delete(conn.id)) this.#out--
    this.onupdate()
    if (!this.alive) return
    const otherKey = toHex(conn.other(this.endpoint) === conn.a ? conn.aKey : conn.bKey)
    if (this.#explicit.has(otherKey)) this.#attempt(otherKey)
    const other = conn.other(this.endpoint).id
    const prev = this.#recent.get(other)
    const strikes = (prev?.strikes ?? 0) + (this.#host.time - conn.opened < 60_000 ? 1 : 0)
    this.#recent.set(other, { until: this.#host.time + 5_000 * 2 ** Math.min(strikes, 8), strikes })
    if (this.#retry) return
    this.#retry = true
    this.#host.control(this.#host.retryDelay(this.endpoint.random), () => {
      this.#retry = false
      if (!this.alive || !this.wants) return
      for (const t of this.#joined.values()) if (t.client) void this.#lookup(t.key, false, true)
    }, this.endpoint.incarnation)
  }

  /** After a partition healed: look up every joined topic again. */
  rejoin (): void {
    if (!this.alive || !this.wants) return
    for (const t of this.#joined.values()) void this.#lookup(t.key, t.server, t.client)
  }

  flush (): Promise<void> {
    if (this.#pending === 0) return Promise.resolve()
    return new Promise(resolve => this.#waiters.push(resolve))
  }

  #settle (): void {
    if (--this.#pending > 0) return
    for (const w of this.#waiters.splice(0)) w()
  }

  /**
   * The peer's own `swarm.destroy()`: now, or in a parallel run (where only the peer's worker
   * runs its code) at the next window edge in every worker.
   */
  close (): Promise<void> {
    return this.#gated({ k: 'destroy', peer: this.endpoint.id, swarm: this.index }, () => { this.destroy(false) })
  }

  /**
   * Destroys every connection (`abrupt`: resets, as a crash would). Called by the simulator (a
   * crash or a stop, which every worker of a parallel run makes alike) or for {@link close}.
   */
  destroy (abrupt: boolean): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#host.dht.remove(this)
    const shared = this.#host.shard !== null
    for (const c of [...this.conns.values()]) {
      const side = c.a === this.endpoint ? 0 : 1
      if (abrupt) c.reset = true // our end just vanishes; the other end sees a reset
      if (shared) c.shut(side, null) // a parallel run: closed in every worker alike
      if (shared && !this.local) continue // the socket is in another worker
      const mine = c.socket(side)
      if (!mine.destroyed) mine.destroy()
    }
    for (const w of this.#waiters.splice(0)) w()
  }
}

/**
 * A swarm with hyperswarm 4's API over the simulated network: `join(topic, { server, client })`
 * returns a discovery with `flushed()`, `refresh()` and `destroy()`; `leave`, `joinPeer`,
 * `leavePeer`, `status`, `topics`, `flush`, `destroy`; `connections`, `peers`, `connecting`;
 * `connection` events `(socket, peerInfo)` and `update` events. Get the class bound to a peer
 * from its context (`peer.Swarm`).
 */
export class SimSwarm extends EventEmitter {
  /** This swarm's key pair (the public key only: connections are not really encrypted). */
  readonly keyPair: {
    /** This swarm's public key. */
    publicKey: Uint8Array
  }
  /** Open connections. */
  readonly connections: Set<SimSocket> = new Set()
  /** Connected peers: public key (hex) → the peer info of the connection. */
  readonly peers: Map<string, SimPeerInfo> = new Map()
  readonly #core: SwarmCore
  readonly #discoveries: Map<string, SimDiscovery> = new Map()

  /** @internal */
  constructor (factory: (emit: (socket: SimSocket, info: SimPeerInfo) => void) => SwarmCore) {
    super()
    this.#core = factory((socket, info) => {
      const hex = toHex(info.publicKey)
      this.connections.add(socket)
      this.peers.set(hex, info)
      socket.once('close', () => {
        this.connections.delete(socket)
        if (this.peers.get(hex) === info) this.peers.delete(hex)
        this.emit('update')
      })
      this.emit('connection', socket, info)
      this.emit('update')
    })
    this.#core.onupdate = () => { this.emit('update') }
    this.keyPair = { publicKey: this.#core.publicKey }
  }

  /** The most connections this swarm keeps. */
  get maxPeers (): number { return this.#core.maxPeers }

  /** Connection attempts in progress. */
  get connecting (): number { return this.#core.connecting }

  /** True once destroyed. */
  get destroyed (): boolean { return this.#core.destroyed }

  /**
   * Joins a topic: announce it (`server`, true) and/or look peers up on it (`client`, true).
   *
   * @param topic - 32-byte key
   * @param options - `server`, `client`
   * @returns the discovery session
   */
  join (topic: Uint8Array, options: { server?: boolean, client?: boolean } = {}): SimDiscovery {
    if (!(topic instanceof Uint8Array) || topic.length !== 32) throw new TypeError('"topic" expected a 32-byte key')
    let server = options.server !== false
    let client = options.client !== false
    if (!server && !client) throw new TypeError('join() needs server or client')
    const hex = toHex(topic)
    const key = topic.slice()
    const core = this.#core
    const start = (): Promise<void> => core.destroyed ? Promise.resolve() : core.join(key, server, client)
    let done = start()
    const discovery: SimDiscovery = {
      topic: key,
      get isServer () { return server },
      get isClient () { return client },
      flushed: () => done,
      refresh: (opts = {}) => {
        server = opts.server ?? server
        client = opts.client ?? client
        if (!server && !client) return this.leave(key)
        core.leave(key).catch(() => {})
        done = start()
        return done
      },
      destroy: () => this.leave(key)
    }
    this.#discoveries.set(hex, discovery)
    return discovery
  }

  /** Stops announcing and looking up `topic` (connections stay). */
  leave (topic: Uint8Array): Promise<void> {
    this.#discoveries.delete(toHex(topic))
    return this.#core.leave(topic)
  }

  /**
   * Connects directly to the swarm with `publicKey` and reconnects whenever that connection
   * is lost, until {@link SimSwarm.leavePeer}.
   *
   * @param publicKey - the remote swarm's public key (32 bytes)
   */
  joinPeer (publicKey: Uint8Array): void {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('"publicKey" expected a 32-byte key')
    this.#core.joinPeer(publicKey)
  }

  /**
   * Stops reconnecting to `publicKey`; an open connection to it stays.
   *
   * @param publicKey - the remote swarm's public key (32 bytes)
   */
  leavePeer (publicKey: Uint8Array): void {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('"publicKey" expected a 32-byte key')
    this.#core.leavePeer(publicKey)
  }

  /**
   * The discovery session of `topic`, if joined.
   *
   * @param topic - 32-byte key
   * @returns the session, or undefined
   */
  status (topic: Uint8Array): SimDiscovery | undefined {
    return this.#discoveries.get(toHex(topic))
  }

  /** The discovery sessions of every joined topic. */
  topics (): IterableIterator<SimDiscovery> {
    return this.#discoveries.values()
  }

  /** Resolves once pending lookups and connection attempts have settled. */
  flush (): Promise<void> { return this.#core.flush() }

  /** Closes every connection and leaves every topic. */
  async destroy (): Promise<void> {
    this.#discoveries.clear()
    await this.#core.close()
  }
}

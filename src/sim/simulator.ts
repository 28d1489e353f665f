// The simulator: one event queue in virtual time, peers launched with an init function, a
// simulated DHT and network, scripted faults, convergence metrics and an ndjson log.
import { ed25519, setEd25519 } from '../feed/index.js'
import { bytesEqual, latin1 } from '../internal/bytes.js'
import type { Ed25519 } from '../feed/index.js'
import type { KernelDb } from '../kernel/index.js'
import { Interner, internedDb } from './db.js'
import { parseDuration } from './duration.js'
import { SimError, simError } from './errors.js'
import { formatEvent } from './log.js'
import type { LogEvent, MetricsLogEvent } from './log.js'
import { createHash } from 'node:crypto'
import { SimDht, SimSwarm, SwarmCore } from './network.js'
import type { Connection, ControlInput, Crossing, Latency, LinkOptions, Profile, ShardNet, SimSwarmOptions } from './network.js'
import { pack, unpack } from './shard.js'
import type { Counts, ShardLink, StampedInput, WindowIn } from './shard.js'
import { EventQueue } from './queue.js'
import type { Owner, SimEvent } from './queue.js'
import { Random } from './random.js'
import { drain, install, real, uninstall } from './runtime.js'
import { Truth, Watch, canonical } from './track.js'
import type { Watchable, WatchOptions } from './track.js'

/** Options of {@link Simulator}. */
export interface SimulatorOptions {
  /** Seed of every random stream (0). The same scenario and seed give the same log. */
  seed?: number
  /** When set, overrides the `until` given to `run()` (the CLI's `--until`). */
  until?: number | string
  /** Virtual time between two `metrics` events and `ontick` calls (1s). */
  interval?: number | string
  /** Delay of a DHT lookup or announce, ms (fixed, `[min, max]` or a function; default [100, 500]). */
  lookupDelay?: Latency
  /** Receives each log line (ndjson, without the newline). */
  out?: (line: string) => void
  /** Receives each log event as an object (live view, report). */
  onevent?: (event: LogEvent) => void
  /** Wall-clock time (ms since the epoch) of virtual time 0, as `Date.now()` sees it (2023-11-14T22:13:20Z). */
  epoch?: number
  /** Cap on how fast virtual time runs: virtual ms per real ms (default: as fast as possible). */
  speed?: number
  /** @internal This simulator is one worker of a parallel run (`runParallel`). */
  shard?: ShardLink
}

/** Options of {@link Simulator.launch}: the peer's link, connection limit, clock and role. */
export interface LaunchOptions extends LinkOptions {
  /** Most connections of the peer's swarms (8; `swarmOptions.maxPeers` overrides it). */
  maxConnections?: number
  /** Clock skew, ms: the peer's `Date.now()` and `performance.now()` run this far ahead (or behind). */
  skew?: number
  /** Virtual time at which the peer starts (now). */
  at?: number | string
  /** False for an adversary: its blocks do not count in the union, nor does it in convergence (true). */
  honest?: boolean
}

/** A peer's init function: sets the peer up (kernel, modem, timers). `end()` marks it finished. */
export type PeerInit = (peer: PeerContext, end: (error?: Error | null) => void) => void | Promise<void>

/** Options of {@link Simulator.run}. */
export interface RunOptions {
  /** Virtual time at which the run stops (10m), unless the simulator's `until` overrides it. */
  until?: number | string
  /**
   * Stop as soon as every live honest peer converged, at least one block was created, and no
   * `peer.setTimeout` timer, scripted action or launch is pending (true).
   */
  stopWhenConverged?: boolean
}

/** What {@link Simulator.run} resolves to. */
export interface RunResult {
  /** Virtual time at the end, ms. */
  time: number
  /** Why the run ended: converged, reached `until`, or nothing left to do. */
  reason: 'converged' | 'until' | 'idle'
  /** Every live honest peer converged at the end. */
  converged: boolean
  /** Last convergence (0..1). */
  convergence: number
  /** Events processed. */
  events: number
  /** Errors logged by peers (uncaught exceptions, unhandled rejections, failing timers). */
  errors: number
}

/** A peer's state. */
export type PeerState = 'pending' | 'up' | 'stopped' | 'crashed' | 'ended'

interface Incarnation extends Owner {
  alive: boolean
  readonly skew: number
  readonly rng: Random
  readonly n: number
  timers: number
  /** The init function has not settled yet. */
  booting: boolean
  readonly swarms: SwarmCore[]
  readonly stops: Array<() => unknown>
  readonly abort: AbortController
}

const DEFAULT_LINK: Profile = { up: 1 << 20, down: 1 << 20, latency: 20, jitter: 0, loss: 0 }
const DEFAULT_EPOCH = 1_700_000_000_000
/** Events run per batch of immediates. */
const BATCH = 256

/** A swarm class with hyperswarm 4's API, bound to one simulated peer. */
export type SimSwarmClass = new (options?: SimSwarmOptions) => SimSwarm

/**
 * The context handed to a peer's init function: its swarm class, storage, identity, clock,
 * randomness and reporting. Everything lives in virtual time.
 */
export interface PeerContext {
  /** Peer number (1, 2, ... in launch order). */
  readonly id: number
  /** Launch name. */
  readonly name: string
  /** Launch options. */
  readonly opts: Readonly<LaunchOptions>
  /** 0 at first start, +1 at each restart. */
  readonly incarnation: number
  /** The simulator. */
  readonly sim: Simulator
  /** A swarm class with hyperswarm 4's API, bound to this peer: `new Modem56(peer.Swarm, peer.swarmOptions)`. */
  readonly Swarm: SimSwarmClass
  /** Options for `Swarm` (empty: the launch options already apply). */
  readonly swarmOptions: SimSwarmOptions
  /** A 32-byte identity secret derived from the seed and the peer id (same across restarts). */
  readonly secret: Uint8Array
  /** Aborted when the peer stops or crashes. */
  readonly abortSignal: AbortSignal
  /** The peer's database `name` (memory-level, binary keys and values); kept across restarts. */
  db (name?: string): KernelDb
  /** The peer's random stream: a float in [0, 1). */
  random (): number
  /** Runs `fn` after `ms` of virtual time; returns a function that cancels it. */
  setTimeout (fn: () => void, ms: number): () => void
  /** `handler()` runs at each metrics interval; fields of the object it returns go into a `peer tick` event. */
  ontick (handler: () => Record<string, unknown> | void): void
  /** Logs a `custom` event `name` with `payload`. */
  signal (name: string, payload?: Record<string, unknown>): void
  /** Tracks a kernel for convergence (its blocks and state). Call it once per kernel. */
  watch (kernel: Watchable, options?: WatchOptions): void
  /** `fn` runs (and is awaited) when the peer is stopped gracefully (`peer.stop()`). */
  onstop (fn: () => unknown): void
  /** Marks the peer finished (with an error, logged). It stays in the network until stopped. */
  end (error?: Error | null): void
  /** Virtual time, ms. */
  now (): number
}

/** A launched peer, as the scenario sees it: state, counters, faults. */
export class Peer {
  /** Peer number. */
  readonly id: number
  /** Launch name. */
  readonly name: string
  /** Launch options. */
  readonly opts: Readonly<LaunchOptions>
  /** False for an adversary. */
  readonly honest: boolean
  /** Bytes received, in total. */
  rx = 0
  /** Bytes sent, in total. */
  tx = 0
  /** @internal */ upFree = 0
  /** @internal */ downFree = 0
  /** @internal */ group = 0
  /** @internal */ profile: Profile
  /** @internal */ readonly random: Random
  /** @internal */ readonly linkRandom: Random
  /** @internal */ incarnation: Incarnation
  /** @internal */ readonly dbs: Map<string, KernelDb> = new Map()
  /** @internal */ readonly watches: Watch[] = []
  /** @internal */ readonly ticks: Array<() => Record<string, unknown> | void> = []
  /** @internal */ lastRx = 0
  /** @internal */ lastTx = 0
  /** @internal */ readonly init: PeerInit
  /** Current state. */
  state: PeerState = 'pending'
  #skew: number
  readonly #sim: Simulator

  /** @internal */
  constructor (sim: Simulator, id: number, name: string, opts: LaunchOptions, init: PeerInit, random: Random) {
    this.#sim = sim
    this.id = id
    this.name = name
    this.opts = opts
    this.init = init
    this.random = random
    this.linkRandom = random.fork('link')
    this.honest = opts.honest !== false
    this.#skew = opts.skew ?? 0
    this.profile = profileOf(DEFAULT_LINK, opts, `peer ${id}`)
    this.incarnation = this.#incarnation(-2)
    this.incarnation.alive = false
  }

  /** A label for messages: `peer 3 (name)`. */
  get label (): string { return `peer ${this.id} (${this.name})` }

  /** True while running. */
  get alive (): boolean { return this.incarnation.alive }

  /** Open connections. */
  get connections (): number {
    let n = 0
    for (const s of this.incarnation.swarms) n += s.conns.size
    return n
  }

  /** Clock skew, ms (settable at any time; logged as a fault). */
  get skew (): number { return this.#skew }
  /** Sets the clock skew (ms), logged as a fault. */
  set skew (ms: number) {
    if (!Number.isFinite(ms)) throw simError('BadOption', `"skew" expected a number of ms, got ${String(ms)}`)
    this.#skew = ms
    this.#sim.scripted('skew')
    this.#sim.logShared({ t: this.#sim.time, type: 'fault', event: 'skew', peer: this.id, skew: ms })
  }

  /** Changes the peer's link (bandwidth, latency, jitter, loss) from now on: a slow or flaky link. */
  setLink (link: LinkOptions): void {
    this.#sim.scripted('setLink')
    const profile = profileOf(this.profile, link, this.label)
    this.#sim.checkWindow(profile.latency, this.label)
    this.profile = profile
    this.#sim.logShared({ t: this.#sim.time, type: 'fault', event: 'link', peer: this.id, link: { ...link, latency: typeof link.latency === 'function' ? 'function' : link.latency } })
  }

  /** Crashes the peer now: timers die, connections reset, what was not committed to its db is lost. */
  crash (): void {
    this.#sim.scripted('crash')
    if (!this.alive) return
    this.#sim.logShared({ t: this.#sim.time, type: 'peer', event: 'crash', peer: this.id, name: this.name })
    this.#down('crashed', true)
  }

  /**
   * Stops the peer gracefully: aborts `abortSignal`, awaits its `onstop` handlers (in virtual
   * time), then closes what is left.
   */
  async stop (): Promise<void> {
    this.#sim.scripted('stop')
    if (!this.alive) return
    const inc = this.incarnation
    this.#sim.logShared({ t: this.#sim.time, type: 'peer', event: 'stop', peer: this.id, name: this.name })
    const onstop = async (): Promise<void> => {
      inc.abort.abort()
      for (const fn of inc.stops.splice(0)) {
        try { await fn() } catch (err) { this.#sim.peerError(this, err) }
      }
    }
    const down = (): void => { if (this.incarnation === inc) this.#down('stopped', false) }
    if (this.#sim.shard !== null) { await this.#sim.stopEverywhere(this.id, onstop, down); return }
    await onstop()
    down()
  }

  /** Starts a stopped or crashed peer again: a new incarnation runs init with the same disk and identity. */
  restart (): void {
    this.#sim.scripted('restart')
    if (this.alive) return
    this.#sim.logShared({ t: this.#sim.time, type: 'peer', event: 'restart', peer: this.id, name: this.name })
    this.#sim.start(this)
  }

  /** @internal */
  next (): Incarnation {
    this.incarnation = this.#incarnation(this.incarnation.n)
    this.state = 'up'
    return this.incarnation
  }

  #incarnation (prev: number): Incarnation {
    const n = prev + 1
    const peer = this // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      alive: true,
      get skew () { return peer.#skew },
      rng: this.random.fork(`runtime:${n}`),
      n,
      timers: 0,
      booting: true,
      swarms: [],
      stops: [],
      abort: new AbortController()
    }
  }

  #down (state: PeerState, abrupt: boolean): void {
    const inc = this.incarnation
    inc.alive = false
    if (!inc.abort.signal.aborted) inc.abort.abort()
    this.#sim.dropTimers(inc)
    for (const s of inc.swarms) s.destroy(abrupt)
    for (const w of this.watches.splice(0)) w.off?.()
    this.state = state
  }
}

function positive (v: unknown, what: string, label: string): number {
  if (typeof v !== 'number' || !(v > 0)) throw simError('BadOption', `${label}: "${what}" expected a positive number, got ${String(v)}`)
  return v
}

function profileOf (base: Profile, o: LinkOptions, label: string): Profile {
  const p = { ...base }
  if (o.linkRate !== undefined) p.up = p.down = positive(o.linkRate, 'linkRate', label)
  if (o.up !== undefined) p.up = positive(o.up, 'up', label)
  if (o.down !== undefined) p.down = positive(o.down, 'down', label)
  if (o.latency !== undefined) {
    const l = o.latency
    const ok = (typeof l === 'number' && l >= 0) || typeof l === 'function' || (Array.isArray(l) && l.length === 2 && l[0] >= 0 && l[1] >= l[0])
    if (!ok) throw simError('BadOption', `${label}: "latency" expected ms, [min, max] or a function, got ${String(l)}`)
    p.latency = l
  }
  if (o.jitter !== undefined) { if (!(o.jitter >= 0)) throw simError('BadOption', `${label}: "jitter" expected ms >= 0`); p.jitter = o.jitter }
  if (o.loss !== undefined) { if (!(o.loss >= 0 && o.loss < 1)) throw simError('BadOption', `${label}: "loss" expected a number in [0, 1)`); p.loss = o.loss }
  return p
}

function errorInfo (err: unknown): { message: string, code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' ? { message: err.message, code } : { message: err.message }
  }
  return { message: String(err) }
}

/**
 * A discrete-event swarm simulator in virtual time.
 *
 * @example
 * ```ts
 * const sim = new Simulator({ seed: 7 })
 * for (let i = 0; i < 50; i++) {
 *   sim.launch('peer', { latency: [20, 120] }, async peer => {
 *     const kernel = new MyKernel(peer.db(), { secret: peer.secret })
 *     await kernel.boot()
 *     peer.watch(kernel)
 *     const modem = new Modem56(peer.Swarm, peer.swarmOptions)
 *     await modem.join('my-app', () => kernel.spawnWire())
 *     peer.setTimeout(() => { void kernel.createBlock('tick', { n: 1 }) }, peer.random() * 10_000)
 *   })
 * }
 * const result = await sim.run({ until: '10m' })
 * ```
 */
export class Simulator {
  /** The seed. */
  readonly seed: number
  /** Wall-clock ms of virtual time 0. */
  readonly epoch: number
  /** Every launched peer, by launch order. */
  readonly peers: Peer[] = []
  /** @internal */ readonly queue: EventQueue = new EventQueue()
  /** @internal */ readonly dht: SimDht = new SimDht()
  /** @internal Keys and values of every peer's database, each stored once. */
  readonly interner: Interner = new Interner()
  /** @internal */ readonly rng: Random
  /** @internal */ current: Incarnation | null = null
  /** Last metrics logged. */
  metrics: MetricsLogEvent | null = null
  /** @internal In a worker of a parallel run: which peers run here, and where changes and bytes go. */
  readonly shard: ShardNet | null
  /** The network's own events: the event queue itself, or in a parallel run a queue of their own, replayed alike by every worker. */
  readonly #control: EventQueue
  readonly #link: ShardLink | undefined
  /** Parallel runs: what this worker sends at the next window edge. */
  #inputs: StampedInput[] = []
  readonly #applies: Map<number, () => void> = new Map()
  #inputCount = 0
  #crossings: Crossing[][] = []
  #outEvents: LogEvent[] = []
  #created: Array<[string, string, number]> = []
  #ids: Array<[string, number]> = []
  /** Parallel runs: peers being stopped, taken down when the owner's input is applied. */
  readonly #downs: Map<number, () => void> = new Map()
  readonly #opts: SimulatorOptions
  readonly #interval: number
  readonly #lookup: Latency
  readonly #scriptRng: Random
  readonly #listeners: Array<(ev: LogEvent) => void> = []
  readonly #truth: Truth = new Truth()
  /** Parallel runs: the window, ms (0 until the run starts). */
  #window = 0
  readonly #nodes: Map<string, Peer> = new Map()
  readonly #conns: Map<number, Connection> = new Map()
  #time = 0
  #connIds = 1
  #bytesMark = 0
  #pendingScript = 0
  #pendingLaunch = 0
  #running = false
  #started = false
  #done = false
  #stop: RunResult['reason'] | null = null
  #failure: Error | null = null
  #errors = 0
  #events = 0

  /**
   * A simulator with its own virtual clock and seeded randomness.
   * @param opts - seed, until override, interval, lookup delay, outputs, epoch, speed
   */
  constructor (opts: SimulatorOptions = {}) {
    const seed = opts.seed ?? 0
    if (!Number.isSafeInteger(seed)) throw simError('BadOption', `"seed" expected an integer, got ${String(seed)}`)
    if (opts.until !== undefined) parseDuration(opts.until, 'until')
    if (opts.speed !== undefined && !(opts.speed > 0)) throw simError('BadOption', `"speed" expected a positive number, got ${String(opts.speed)}`)
    this.seed = seed
    this.#opts = opts
    this.epoch = opts.epoch ?? DEFAULT_EPOCH
    this.#interval = Math.max(1, parseDuration(opts.interval ?? 1000, 'interval'))
    this.#lookup = opts.lookupDelay ?? [100, 500]
    profileOf(DEFAULT_LINK, { latency: this.#lookup }, 'lookupDelay')
    this.rng = new Random(seed).fork('sim')
    this.#scriptRng = new Random(seed).fork('script')
    if (opts.onevent !== undefined) this.#listeners.push(opts.onevent)
    const link = opts.shard
    this.#link = link
    if (link === undefined) {
      this.shard = null
      this.#control = this.queue
    } else {
      if (opts.speed !== undefined) throw simError('BadOption', '"speed" is not supported in a parallel run (workers > 1)')
      this.#control = new EventQueue()
      for (let i = 0; i < link.count; i++) this.#crossings.push([])
      this.#truth.oncreated = (author, tip, n) => { this.#created.push([author, tip, n]) }
      const local = (id: number): boolean => (id - 1) % link.count === link.index
      this.shard = {
        local,
        input: (input: ControlInput, apply: () => void) => {
          const n = this.#inputCount++
          this.#applies.set(n, apply)
          this.#inputs.push({ t: this.#time, shard: link.index, n, input })
        },
        cross: (to: number, c: Crossing) => { (this.#crossings[(to - 1) % link.count] as Crossing[]).push(c) }
      }
    }
  }

  /**
   * @internal In a parallel run, a fault must come from the scenario (its own code or a
   * scripted action), which every worker runs alike, not from one peer's code.
   */
  scripted (what: string): void {
    if (this.shard !== null && this.current !== null) throw simError('BadOption', `${what}() from a peer's own code is not supported in a parallel run (workers > 1): script it with sim.at()`)
  }

  /** @internal Logs what every worker of a parallel run does alike, once (in the first worker). */
  logShared (ev: LogEvent): void {
    if (this.#logsShared) this.log(ev)
  }

  /** @internal A parallel run's window is the least latency: a link may not go below it. */
  checkWindow (latency: Latency, label: string): void {
    if (this.#window > 0 && minLatency(latency, label) < this.#window) {
      throw simError('BadOption', `${label}: a latency below the parallel run's window of ${this.#window} ms`)
    }
  }

  /**
   * @internal A stop in a parallel run: where the peer runs, its `onstop` handlers run first;
   * then every worker takes it down at the same window edge, and `stop()` resolves there in each.
   */
  stopEverywhere (id: number, onstop: () => Promise<void>, down: () => void): Promise<void> {
    const shard = this.shard as ShardNet
    return new Promise<void>(resolve => {
      const apply = (): void => { this.#downs.delete(id); down(); resolve() }
      this.#downs.set(id, apply)
      if (shard.local(id)) void onstop().then(() => { shard.input({ k: 'down', peer: id }, apply) })
    })
  }

  /** True when peer `id` runs in this process (always, unless this is a worker of a parallel run). */
  #local (id: number): boolean {
    return this.shard === null || this.shard.local(id)
  }

  /** True for the worker that logs what every worker replays (the first). */
  get #logsShared (): boolean {
    return this.#link === undefined || this.#link.index === 0
  }

  /** Virtual time, ms. */
  get time (): number { return this.#time }

  /** The scenario's own random stream: a float in [0, 1) (seeded; independent of the peers'). */
  random (): number { return this.#scriptRng.next() }

  /** Adds a listener for every log event (live view, report, tests). */
  onevent (listener: (event: LogEvent) => void): void {
    this.#listeners.push(listener)
  }

  /** Logs an event (the simulator's own, or a scenario's `custom` one). */
  log (ev: LogEvent): void {
    if (this.#done) return
    if (this.#link !== undefined) this.#outEvents.push(ev) // the coordinator merges the workers' logs
    else if (this.#opts.out !== undefined) this.#opts.out(formatEvent(ev))
    for (const l of this.#listeners) l(ev)
  }

  /**
   * Launches a peer: `init(peer, end)` runs at the launch time (now, or `opts.at`) in the
   * peer's context. Shortened forms: `launch(init)`, `launch(name, init)`, `launch(opts, init)`.
   *
   * @returns the peer's handle (faults, counters)
   * @throws SimError `BadOption`; `Running` after the run ended
   */
  launch (name: string, opts: LaunchOptions, init: PeerInit): Peer
  launch (name: string, init: PeerInit): Peer
  launch (opts: LaunchOptions, init: PeerInit): Peer
  launch (init: PeerInit): Peer
  launch (a: string | LaunchOptions | PeerInit, b?: LaunchOptions | PeerInit, c?: PeerInit): Peer {
    const name = typeof a === 'string' ? a : 'peer'
    const opts = (typeof a === 'object' ? a : typeof b === 'object' ? b : {}) as LaunchOptions
    const init = (typeof a === 'function' ? a : typeof b === 'function' ? b : c) as PeerInit | undefined
    if (typeof init !== 'function') throw simError('BadOption', 'launch() expected an init function')
    if (this.#done) throw simError('Running', 'launch() after the run ended')
    const id = this.peers.length + 1
    const peer = new Peer(this, id, name, opts, init, new Random(this.seed).fork(`peer:${id}`))
    if (opts.maxConnections !== undefined && !(Number.isInteger(opts.maxConnections) && opts.maxConnections > 0)) {
      throw simError('BadOption', `${peer.label}: "maxConnections" expected a positive integer`)
    }
    const at = opts.at === undefined ? this.#time : parseDuration(opts.at, 'at')
    if (this.#running) this.checkWindow(peer.profile.latency, peer.label)
    this.peers.push(peer)
    if (this.#logsShared) this.log({ t: this.#time, type: 'peer', event: 'launch', peer: id, name, honest: peer.honest })
    this.#pendingLaunch++
    this.#control.push(Math.max(at, this.#time), () => { this.#pendingLaunch--; this.start(peer) }, null)
    return peer
  }

  /** Runs `fn` at virtual time `time` (a scripted fault or action). */
  at (time: number | string, fn: () => unknown): void {
    const t = parseDuration(time, 'at')
    this.#pendingScript++
    this.#control.push(Math.max(t, this.#time), () => {
      this.#pendingScript--
      Promise.resolve().then(fn).catch((err: unknown) => this.#fail(simError('ScenarioFailed', `action at ${t} ms: ${errorInfo(err).message}`, err)))
    }, null)
  }

  /** Runs `fn` after `ms` of virtual time from now. */
  after (ms: number | string, fn: () => unknown): void {
    this.at(this.#time + parseDuration(ms, 'after'), fn)
  }

  /**
   * Splits the network: peers in different groups can no longer reach each other (bytes in
   * flight wait, new connections and lookups across groups fail). Peers not listed form one
   * more group together.
   */
  partition (groups: ReadonlyArray<ReadonlyArray<Peer | number>>): void {
    this.scripted('partition')
    for (const p of this.peers) p.group = 0
    const out: number[][] = []
    groups.forEach((g, i) => {
      out.push([])
      for (const x of g) {
        const p = typeof x === 'number' ? this.peers[x - 1] : x
        if (p === undefined) throw simError('BadOption', `partition(): no peer ${String(x)}`)
        p.group = i + 1
        out[i]?.push(p.id)
      }
    })
    this.logShared({ t: this.#time, type: 'fault', event: 'partition', groups: out })
  }

  /** Ends a partition: held bytes are delivered and peers can find each other again. */
  heal (): void {
    this.scripted('heal')
    for (const p of this.peers) p.group = 0
    this.logShared({ t: this.#time, type: 'fault', event: 'heal' })
    for (const c of this.#conns.values()) c.heal()
    for (const p of this.peers) {
      if (!p.alive) continue
      for (const s of p.incarnation.swarms) s.rejoin()
    }
  }

  /** Open connections. */
  get connections (): number { return this.#conns.size }

  /**
   * Runs the simulation until `until`, until every honest peer converged (see
   * {@link RunOptions.stopWhenConverged}), or until nothing is left to do.
   *
   * @returns the outcome; check `converged`
   * @throws SimError `PeerInitFailed` (naming the peer), `ScenarioFailed`, `Running`, `BadOption`
   */
  async run (opts: RunOptions = {}): Promise<RunResult> {
    if (this.#running) throw simError('Running', 'run() while running')
    if (this.#done) throw simError('Running', 'run() after the run ended')
    const until = parseDuration(this.#opts.until ?? opts.until ?? '10m', 'until')
    const stopWhenConverged = opts.stopWhenConverged !== false
    if (!install(this)) throw simError('Running', 'another simulation runs in this process')
    this.#running = true
    const base = ed25519()
    setEd25519(memoized(base))
    const onerror = (err: unknown): void => { this.#errors++; this.peerError(null, err) }
    process.on('unhandledRejection', onerror)
    process.on('uncaughtException', onerror)
    const wall0 = real.now()
    const speed = this.#opts.speed
    try {
      if (this.#link !== undefined) return await this.#runShard(this.#link, until, stopWhenConverged)
      if (!this.#started) {
        this.#started = true
        this.log({ t: this.#time, type: 'sim', event: 'start', seed: this.seed, until, interval: this.#interval })
        this.#scheduleMetrics(stopWhenConverged)
      }
      let reason: RunResult['reason'] | null = null
      // Runs the next event; false once the run must end (reason set) or fail.
      const step = (): boolean => {
        if (this.#failure !== null) return false
        if (this.#stop !== null) { reason = this.#stop; return false }
        for (;;) {
          const ev = this.queue.peek()
          if (ev === undefined) { this.#time = until; reason = 'idle'; return false } // nothing can happen any more
          if (ev.time > until) { this.#time = until; reason = 'until'; return false }
          this.queue.pop()
          if (ev.cancelled || (ev.owner !== null && !ev.owner.alive)) continue
          this.#fire(ev)
          return true
        }
      }
      while (reason === null && this.#failure === null) {
        if (speed !== undefined) {
          const next = this.queue.peek()
          const ahead = next === undefined ? 0 : next.time / speed - (real.now() - wall0)
          if (ahead > 1) await new Promise(resolve => real.setTimeout(resolve, ahead))
          step()
          await drain()
          continue
        }
        // A batch of immediates, one event each: Node runs every nextTick and microtask between
        // two immediate callbacks, so each event's consequences settle before the next event,
        // without a trip through the event loop's poll phase per event.
        await new Promise<void>(resolve => {
          let left = BATCH
          let going = true
          const one = (): void => {
            if (going) going = step()
            if (--left === 0) resolve()
          }
          for (let i = 0; i < BATCH; i++) real.setImmediate(one)
        })
        this.current = null
      }
      this.current = null
      if (this.#failure !== null) throw this.#failure
      reason ??= 'idle'
      this.#logStats()
      const m = this.#measure()
      const result: RunResult = { time: this.#time, reason, converged: m.convergence === 1 && m.created > 0, convergence: m.convergence, events: this.#events, errors: this.#errors }
      this.log({ t: this.#time, type: 'sim', event: 'end', reason, converged: result.converged, convergence: m.convergence })
      return result
    } catch (err) {
      const e = err instanceof SimError ? err : simError('ScenarioFailed', errorInfo(err).message, err)
      this.log({ t: this.#time, type: 'sim', event: 'end', reason: 'error', converged: false, convergence: this.metrics?.convergence ?? 0 })
      throw e
    } finally {
      this.current = null
      this.#done = true
      this.#running = false
      process.removeListener('unhandledRejection', onerror)
      process.removeListener('uncaughtException', onerror)
      setEd25519(base)
      uninstall(this)
    }
  }

  // ── internals (network and runtime hosts) ───────────────────────────────────────────────

  /** @internal */
  schedule (delay: number, fn: () => void, owner: Owner | null): void {
    this.queue.push(this.#time + Math.max(0, Math.ceil(delay)), fn, owner)
  }

  /** @internal */
  control (delay: number, fn: () => void, owner: Owner | null): void {
    this.#control.push(this.#time + Math.max(0, Math.ceil(delay)), fn, owner)
  }

  /** @internal */
  nextConnectionId (): number { return this.#connIds++ }

  /** @internal */
  lookupDelay (random: Random): number {
    const l = this.#lookup
    if (typeof l === 'number') return l
    if (typeof l === 'function') return Math.max(0, l(() => random.next()))
    return l[0] + random.next() * (l[1] - l[0])
  }

  /** @internal */
  retryDelay (random: Random): number {
    return 1000 + random.next() * 2000
  }

  /** @internal */
  connectionOpened (conn: Connection): void {
    this.#conns.set(conn.id, conn)
    if (this.#local(conn.a.id)) this.log({ t: this.#time, type: 'conn', event: 'open', id: conn.id, a: conn.a.id, b: conn.b.id, latency: Math.round(conn.latency) })
  }

  /** @internal */
  connectionClosed (conn: Connection): void {
    if (!this.#conns.delete(conn.id)) return
    const by = conn.closedBy === 'a' ? conn.a.id : conn.closedBy === 'b' ? conn.b.id : null
    if (this.#local(conn.a.id)) this.log({ t: this.#time, type: 'conn', event: 'close', id: conn.id, a: conn.a.id, b: conn.b.id, bytes: conn.bytes, writes: conn.writes, by, reason: conn.closeReason })
    for (const e of [conn.a, conn.b]) {
      for (const s of (e as Peer).incarnation.swarms) if (s.conns.has(conn.id)) s.closed(conn)
    }
  }

  /** @internal Drops an incarnation's pending user timers from the count. */
  dropTimers (inc: Incarnation): void {
    inc.timers = 0
  }

  /** @internal Logs a peer's error (attributed to the running peer when known). */
  peerError (peer: Peer | null, err: unknown): void {
    const info = errorInfo(err)
    const who = peer ?? (this.current === null ? null : this.#peerOf(this.current))
    this.log({ t: this.#time, type: 'sim', event: 'error', code: info.code ?? 'Error', message: info.message, ...(who === null ? {} : { peer: who.id, name: who.name }) })
  }

  #peerOf (inc: Incarnation): Peer | null {
    for (const p of this.peers) if (p.incarnation === inc) return p
    return null
  }

  #fail (err: Error): void {
    this.#failure ??= err
  }

  /** @internal Starts (or restarts) a peer: a new incarnation runs init in its context. */
  start (peer: Peer): void {
    const inc = peer.next()
    if (!this.#local(peer.id)) { inc.booting = false; return } // another worker runs it
    const prev = this.current
    this.current = inc
    this.log({ t: this.#time, type: 'peer', event: 'up', peer: peer.id, name: peer.name, incarnation: inc.n })
    let ended = false
    const end = (error?: Error | null): void => {
      if (ended) return
      ended = true
      peer.state = 'ended'
      this.log({ t: this.#time, type: 'peer', event: 'end', peer: peer.id, name: peer.name, error: error === undefined || error === null ? null : errorInfo(error) })
    }
    const ctx = this.#context(peer, inc, end)
    try {
      const r = peer.init(ctx, end)
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(() => { inc.booting = false }, (err: unknown) => { inc.booting = false; this.#initFailed(peer, err) })
      } else {
        inc.booting = false
      }
    } catch (err) {
      inc.booting = false
      this.#initFailed(peer, err)
    } finally {
      this.current = prev
    }
  }

  #initFailed (peer: Peer, err: unknown): void {
    const info = errorInfo(err)
    this.log({ t: this.#time, type: 'sim', event: 'error', code: 'PeerInitFailed', message: info.message, peer: peer.id, name: peer.name })
    this.#fail(simError('PeerInitFailed', `${peer.label} init failed: ${info.message}`, err))
  }

  #context (peer: Peer, inc: Incarnation, end: (error?: Error | null) => void): PeerContext {
    const sim = this // eslint-disable-line @typescript-eslint/no-this-alias
    const keys = peer.random.fork(`swarm-keys:${inc.n}`)
    const secret = new Random(this.seed).fork(`secret:${peer.id}`).bytes(32)
    const random = peer.random.fork(`user:${inc.n}`)
    const maxDefault = peer.opts.maxConnections ?? 8
    const Swarm = class extends SimSwarm {
      constructor (options: SimSwarmOptions = {}) {
        super(emit => {
          const key = keys.bytes(32)
          const maxPeers = options.maxPeers ?? maxDefault
          const core = new SwarmCore(sim, peer, key, maxPeers, (socket, info) => {
            if (!inc.alive) { socket.destroy(); return }
            emit(socket, info)
          })
          core.index = inc.swarms.push(core) - 1
          if (sim.shard !== null) sim.shard.input({ k: 'swarm', peer: peer.id, key, maxPeers }, () => { core.register() })
          if (!inc.alive) core.destroy(true)
          return core
        })
      }
    }
    return {
      id: peer.id,
      name: peer.name,
      opts: peer.opts,
      incarnation: inc.n,
      sim,
      Swarm,
      swarmOptions: {},
      secret,
      abortSignal: inc.abort.signal,
      db (name = 'default') {
        let db = peer.dbs.get(name)
        if (db === undefined) {
          db = internedDb(sim.interner)
          peer.dbs.set(name, db)
        } else if (db.status === 'closed') {
          void db.open().catch(() => {})
        }
        return db
      },
      random: () => random.next(),
      setTimeout (fn, ms) {
        if (typeof fn !== 'function') throw new TypeError('"fn" expected a function')
        inc.timers++
        let pending = true
        const ev = sim.queue.push(sim.time + Math.max(0, Math.ceil(Number(ms) || 0)), () => {
          pending = false
          inc.timers--
          fn()
        }, inc)
        return () => { if (pending && inc.alive) { pending = false; inc.timers--; ev.cancelled = true } }
      },
      ontick (handler) { peer.ticks.push(handler) },
      signal (name, payload = {}) {
        sim.log({ ...payload, t: sim.time, type: 'custom', name: String(name), peer: peer.id })
      },
      watch (kernel, options = {}) {
        const w = new Watch(options.state ?? (() => kernel.store.state))
        peer.watches.push(w)
        sim.#truth.attach(w, kernel, peer.honest)
        sim.#observeDrops(peer, kernel)
      },
      onstop (fn) { inc.stops.push(fn) },
      end,
      now: () => sim.time
    }
  }

  /** Logs `peer drop` when `kernel` closes a peer's wire with an error (an attacker dropped). */
  #observeDrops (peer: Peer, kernel: Watchable): void {
    for (const k of ['nodeId', 'pk'] as const) {
      let id: string | undefined
      try { id = kernel[k] } catch { id = undefined } // pk throws before boot
      if (typeof id === 'string') this.#nodeId(id, peer)
    }
    kernel.boot().then(() => { if (typeof kernel.pk === 'string') this.#nodeId(kernel.pk, peer) }).catch(() => {})
    const original = kernel.ondisconnect.bind(kernel)
    kernel.ondisconnect = (info, error) => {
      original(info, error)
      if (error === null || !peer.alive) return
      const ids = info as { nodeId?: string, pk?: string }
      const remote = this.#nodes.get(ids.nodeId ?? '') ?? this.#nodes.get(ids.pk ?? '')
      const e = errorInfo(error)
      this.log({ t: this.#time, type: 'peer', event: 'drop', peer: peer.id, remote: remote?.id ?? null, code: e.code ?? 'Error', message: e.message })
    }
  }

  /** Names `peer` by a kernel id; in a parallel run, in every worker. */
  #nodeId (id: string, peer: Peer): void {
    this.#nodes.set(id, peer)
    if (this.#link !== undefined) this.#ids.push([id, peer.id])
  }

  #scheduleMetrics (stopWhenConverged: boolean): void {
    this.queue.push(this.#time + this.#interval, () => {
      const m = this.#measure()
      this.metrics = m
      this.log(m)
      this.#ticks()
      if (stopWhenConverged && m.convergence === 1 && m.created > 0 && this.#quiet()) this.#stop = 'converged'
      if (this.queue.size > 0) this.#scheduleMetrics(stopWhenConverged) // else: nothing left to happen
    }, null)
  }

  #quiet (): boolean {
    if (this.#pendingScript > 0 || this.#pendingLaunch > 0) return false
    for (const p of this.peers) if (p.alive && (p.incarnation.timers > 0 || p.incarnation.booting)) return false
    return true
  }

  /** Calls the `ontick` handlers of the live peers run here, and logs their `tick` events. */
  #ticks (): void {
    for (const p of this.peers) {
      if (!p.alive || p.ticks.length === 0 || !this.#local(p.id)) continue
      const prev = this.current
      this.current = p.incarnation
      const ev: LogEvent = { t: this.#time, type: 'peer', event: 'tick', peer: p.id, name: p.name, rx: p.rx - p.lastRx, tx: p.tx - p.lastTx, connections: p.connections }
      for (const h of p.ticks) {
        try { Object.assign(ev, h() ?? {}) } catch (err) { this.peerError(p, err) }
      }
      this.current = prev
      p.lastRx = p.rx
      p.lastTx = p.tx
      this.log(ev)
    }
  }

  /** Logs the bytes of each open connection (at the end of a run). */
  #logStats (): void {
    for (const c of this.#conns.values()) {
      if (this.#local(c.a.id)) this.log({ t: this.#time, type: 'conn', event: 'stats', id: c.id, a: c.a.id, b: c.b.id, bytes: c.bytes, writes: c.writes })
    }
  }

  /** Counts the peers run here: live, honest, holding every block, and the states of those that do. */
  #tally (): Omit<Counts, 't' | 'connections' | 'created' | 'states' | 'quiet'> & { states: Map<string, number> } {
    let peers = 0
    let honest = 0
    let heads = 0
    let held = 0
    let tx = 0
    const states = new Map<string, number>()
    for (const p of this.peers) {
      if (!this.#local(p.id)) continue
      tx += p.tx
      if (!p.alive) continue
      peers++
      if (!p.honest || p.watches.length === 0) continue
      honest++
      let ok = true
      for (const w of p.watches) { held += w.held; if (!this.#truth.holds(w)) ok = false }
      if (!ok) continue
      heads++
      let d = ''
      for (const w of p.watches) {
        try { d += canonical(w.state()) } catch { d += '?' }
      }
      states.set(d, (states.get(d) ?? 0) + 1)
    }
    return { peers, honest, heads, held, tx, states }
  }

  #measure (): MetricsLogEvent {
    const { peers, honest, heads, held, tx, states } = this.#tally()
    let best = 0
    for (const n of states.values()) best = Math.max(best, n)
    const ev = metricsEvent({ t: this.#time, peers, honest, heads, held, tx, connections: this.#conns.size, created: this.#truth.created, best }, this.#bytesMark)
    this.#bytesMark = tx
    return ev
  }

  /** What this worker's peers look like now (their states as digests), for the coordinator. */
  #partial (quiet: boolean): Counts {
    const { states, ...counts } = this.#tally()
    const digests = new Map<string, number>()
    for (const [d, n] of states) {
      const h = createHash('sha256').update(d).digest('base64')
      digests.set(h, (digests.get(h) ?? 0) + n)
    }
    return { t: this.#time, ...counts, connections: this.#conns.size, created: this.#truth.created, states: [...digests], quiet }
  }

  // ── parallel runs (a worker's side; the coordinator is in parallel.ts) ─────────────────

  /**
   * A worker's run: windows as long as the least link latency (nothing a peer does reaches a
   * peer of another worker sooner), each ended by an exchange with the coordinator, which
   * decides when to stop.
   */
  async #runShard (link: ShardLink, until: number, stopWhenConverged: boolean): Promise<RunResult> {
    const W = this.#window = windowOf(this.peers, this.#interval)
    this.#started = true
    let edge = this.#time
    let partial: Counts | null = null
    for (;;) {
      edge += W
      await this.#runBefore(Math.min(edge, until + 1))
      const failure = this.#failure === null ? null : { code: this.#failure instanceof SimError ? this.#failure.code : 'ScenarioFailed', message: this.#failure.message }
      const reply = await link.exchange({
        edge,
        window: W,
        until,
        converge: stopWhenConverged,
        inputs: this.#inputs,
        parcels: this.#crossings.map(l => l.length === 0 ? null : pack(l)),
        events: this.#outEvents,
        created: this.#created,
        ids: this.#ids,
        partial,
        next: this.#nextTime(),
        failure
      })
      this.#inputs = []
      this.#crossings = this.#crossings.map(() => [])
      this.#outEvents = []
      this.#created = []
      this.#ids = []
      partial = null
      if (reply.stop === 'failed') throw this.#failure ?? simError('ScenarioFailed', 'another worker of the parallel run failed')
      this.#time = Math.min(edge, until)
      await this.#applyIn(link, reply)
      if (reply.stop !== null) break
      if (edge % this.#interval === 0) {
        partial = this.#partial(this.#quiet())
        this.#ticks()
      }
    }
    this.#logStats()
    const result = await link.finish({ events: this.#outEvents, partial: this.#partial(true), count: this.#events, errors: this.#errors })
    this.#outEvents = []
    return result
  }

  /** Runs every event before `limit`, the network's first at equal times, in batches of immediates. */
  async #runBefore (limit: number): Promise<void> {
    let going = true
    while (going && this.#failure === null) {
      await new Promise<void>(resolve => {
        let left = BATCH
        const one = (): void => {
          if (going) going = this.#stepBefore(limit)
          if (--left === 0) resolve()
        }
        for (let i = 0; i < BATCH; i++) real.setImmediate(one)
      })
    }
    this.current = null
  }

  #stepBefore (limit: number): boolean {
    for (;;) {
      const c = this.#control.peek()
      const d = this.queue.peek()
      const q = c === undefined ? this.queue : d === undefined || c.time <= d.time ? this.#control : this.queue
      const ev = q.peek()
      if (ev === undefined || ev.time >= limit || this.#failure !== null) return false
      q.pop()
      if (ev.cancelled || (ev.owner !== null && !ev.owner.alive)) continue
      this.#fire(ev)
      return true
    }
  }

  /** Runs one event as its peer's (an error it throws is logged as that peer's). */
  #fire (ev: SimEvent): void {
    this.#time = ev.time
    this.current = ev.owner as Incarnation | null
    this.#events++
    try {
      ev.fn()
    } catch (err) {
      this.#errors++
      this.peerError(this.current === null ? null : this.#peerOf(this.current), err)
    }
  }

  #nextTime (): number | null {
    const c = this.#control.peek()
    const d = this.queue.peek()
    if (c === undefined) return d === undefined ? null : d.time
    return d === undefined ? c.time : Math.min(c.time, d.time)
  }

  /** Applies what the other workers sent: the union's new blocks, peer ids, network changes, bytes. */
  async #applyIn (link: ShardLink, reply: WindowIn): Promise<void> {
    for (const [author, tip, n] of reply.created) this.#truth.add(author, tip, n)
    for (const [id, n] of reply.ids) {
      const p = this.peers[n - 1]
      if (p !== undefined) this.#nodes.set(id, p)
    }
    for (const { shard, n, input } of reply.inputs) {
      const peer = this.peers[input.peer - 1] ?? null
      // a stop is the scenario's (what follows `await peer.stop()` is scripted); the rest the peer's
      this.current = input.k === 'down' ? null : peer?.incarnation ?? null
      try {
        if (shard !== link.index) this.#applyInput(input)
        else {
          const apply = this.#applies.get(n)
          this.#applies.delete(n)
          apply?.()
        }
      } catch (err) {
        this.#errors++
        this.peerError(peer, err)
      }
      await drain() // what the peer's code does next settles before the next change
    }
    this.current = null
    for (const p of reply.parcels) {
      for (const c of unpack(p)) {
        const conn = this.#conns.get(c.conn)
        if (conn !== undefined) conn.arrive(c)
      }
    }
  }

  /** Replays a change that a peer of another worker made. */
  #applyInput (input: ControlInput): void {
    const peer = this.peers[input.peer - 1]
    if (peer === undefined) return
    const swarms = peer.incarnation.swarms
    switch (input.k) {
      case 'swarm': {
        const core = new SwarmCore(this, peer, input.key, input.maxPeers, () => {}, false)
        core.index = swarms.push(core) - 1
        core.register()
        return
      }
      case 'join': swarms[input.swarm]?.joinNow(input.topic, input.server, input.client).catch(() => {}); return
      case 'leave': swarms[input.swarm]?.leaveNow(input.topic); return
      case 'destroy': swarms[input.swarm]?.destroy(false); return
      case 'joinPeer': swarms[input.swarm]?.joinPeerNow(input.key); return
      case 'leavePeer': swarms[input.swarm]?.leavePeerNow(input.key); return
      case 'sock': this.#conns.get(input.conn)?.shut(input.side, input.why); return
      case 'down': this.#downs.get(input.peer)?.()
    }
  }
}

/**
 * @internal A `metrics` event from counts; `mark` is the bytes total of the last one.
 */
export function metricsEvent (m: Omit<Counts, 'states' | 'quiet'> & { best: number }, mark: number): MetricsLogEvent {
  const share = (n: number): number => m.honest === 0 ? 0 : Math.round((n / m.honest) * 10000) / 10000
  return {
    t: m.t,
    type: 'metrics',
    peers: m.peers,
    honest: m.honest,
    connections: m.connections,
    bytes: m.tx - mark,
    bytesTotal: m.tx,
    created: m.created,
    held: m.held,
    heads: share(m.heads),
    convergence: share(m.best)
  }
}

/** The least one-way latency of a link profile, for a parallel run's window. */
function minLatency (l: Latency, label: string): number {
  if (typeof l === 'number') return l
  if (typeof l === 'function') throw simError('BadOption', `${label}: a parallel run needs latencies given as ms or [min, max], not as a function`)
  return l[0]
}

/** The window of a parallel run: the least latency of any peer's links, at most, and a divisor of the metrics interval. */
function windowOf (peers: readonly Peer[], interval: number): number {
  let min = DEFAULT_LINK.latency as number
  if (peers.length > 0) min = Math.min(...peers.map(p => minLatency(p.profile.latency, p.label)))
  if (!Number.isInteger(interval)) throw simError('BadOption', `a parallel run needs a whole number of ms as its metrics interval, got ${interval}`)
  let w = Math.floor(min)
  if (w < 1) throw simError('BadOption', 'a parallel run needs every link latency to be at least 1 ms')
  while (interval % w !== 0) w--
  return w
}

/**
 * An Ed25519 backend that verifies each (public key, signature, message) once per process: the
 * memo is found by the signature and holds the public key and message it was checked with, so
 * a hit needs all three byte strings (the whole block) to match, never the signature alone.
 * Signing and key derivation go to `base`; no async verification (it would use the thread pool).
 */
function memoized (base: Ed25519): Ed25519 {
  interface Checked { pk: Uint8Array, msg: Uint8Array, ok: boolean }
  const memo = new Map<string, Checked[]>()
  let size = 0
  return {
    name: `${base.name}+sim-memo`,
    getPublicKey: seed => base.getPublicKey(seed),
    sign: (msg, seed) => base.sign(msg, seed),
    verify (sig, msg, pk) {
      const k = latin1(sig)
      let list = memo.get(k)
      if (list !== undefined) {
        for (const c of list) if (bytesEqual(c.msg, msg) && bytesEqual(c.pk, pk)) return c.ok
      }
      const ok = base.verify(sig, msg, pk)
      if (size >= 1 << 20) { memo.clear(); size = 0; list = undefined }
      if (list === undefined) memo.set(k, list = [])
      list.push({ pk: pk.slice(), msg: msg.slice(), ok }) // copies: views would keep whole messages alive
      size++
      return ok
    }
  }
}

import { DEFAULT_HANDSHAKE_TIMEOUT } from './constants.js'
import { modemError } from './errors.js'
import { Session } from './session.js'
import type { JoinedTopic, SessionHost } from './session.js'
import { toHex, topicKey } from './topic.js'
import type { JoinOptions, ModemOptions, SpawnWire, SwarmClass, SwarmLike, SwarmPeerInfo, SwarmSocket } from './types.js'

/**
 * Turns the connections of a swarm into wires, per topic.
 *
 * Every swarm connection carries a framed stream (net's stream transport) with a small channel
 * protocol: each side announces its topics (blinded per connection, so a peer learns only the
 * topics it shares), and each topic both sides joined becomes a channel whose plug comes from
 * that topic's `spawnWire`. Several topics at once share one connection per peer (hyperswarm
 * keeps a single connection per pair of peers whatever the topics).
 *
 * @example
 * ```ts
 * import Hyperswarm from 'hyperswarm'
 * const modem = new Modem56(Hyperswarm, {})
 * const leave = await modem.join('picostack', () => kernel.spawnWire())
 * // ...
 * await modem.destroy()
 * ```
 */
export class Modem56<O = unknown> {
  /** The swarm this modem built from the injected class. */
  readonly swarm: SwarmLike
  readonly #topics: Map<string, JoinedTopic> = new Map()
  readonly #sessions: Set<Session> = new Set()
  readonly #options: ModemOptions
  readonly #host: SessionHost
  readonly #onconnection: (socket: SwarmSocket, info: SwarmPeerInfo) => void
  #nextIndex = 0
  #destroying: Promise<void> | null = null

  /**
   * @param SwarmClass - a swarm constructor (hyperswarm's default export, or a simulator's)
   * @param swarmOptions - passed to `new SwarmClass(swarmOptions)`, e.g. `{ dht }` or `{ bootstrap }`
   * @param options - the modem's own options: `onerror`, `handshakeTimeout`, `transport`
   * @throws TypeError when `SwarmClass` is not a constructor
   */
  constructor (SwarmClass: SwarmClass<O>, swarmOptions?: O, options: ModemOptions = {}) {
    if (typeof SwarmClass !== 'function') throw new TypeError('"SwarmClass" expected a swarm constructor')
    if (options.onerror !== undefined && typeof options.onerror !== 'function') throw new TypeError('"onerror" expected a function')
    this.#options = options
    this.swarm = new SwarmClass(swarmOptions ?? ({} as O))
    const topics = this.#topics
    const sessions = this.#sessions
    this.#host = {
      topics: () => topics.values(),
      report: err => { options.onerror?.(err) },
      removed: session => { sessions.delete(session) }
    }
    this.#onconnection = (socket, info) => this.#connect(socket, info)
    this.swarm.on('connection', this.#onconnection)
  }

  /** Keys of the topics joined, in join order. */
  get topics (): Uint8Array[] {
    return [...this.#topics.values()].map(t => t.key.slice())
  }

  /** Number of open swarm connections. */
  get connections (): number {
    return this.#sessions.size
  }

  /** True once {@link Modem56.destroy} was called. */
  get destroyed (): boolean {
    return this.#destroying !== null
  }

  /**
   * Joins a topic: announces it and looks up peers on it; every peer on it gets a wire whose
   * local plug comes from `spawnWire`. Several topics may be joined at once, each with its own
   * `spawnWire`. Joining a topic already joined only replaces its `spawnWire` (for later peers).
   *
   * @param topic - a name (hashed with SHA-256 of its UTF-8 bytes) or a 32-byte key
   * @param spawnWire - makes a fresh unopened plug per peer, e.g. `() => kernel.spawnWire()`
   * @param options - `flush` (await `flushed()`, default true), `server`, `client`, `signal`
   * @returns a function that leaves the topic
   * @throws TypeError on a bad topic or spawnWire; ModemError `Destroyed` after destroy, `Aborted` when `signal` aborts the flush
   */
  async join (topic: string | Uint8Array, spawnWire: SpawnWire, options: JoinOptions = {}): Promise<() => Promise<void>> {
    const key = topicKey(topic)
    if (typeof spawnWire !== 'function') throw new TypeError('"spawnWire" expected a function')
    if (this.destroyed) throw modemError('Destroyed', 'join() on a destroyed modem')
    const hex = toHex(key)
    const leave = (): Promise<void> => this.leave(key)
    const existing = this.#topics.get(hex)
    if (existing !== undefined) {
      existing.spawnWire = spawnWire
      return leave
    }
    const swarmOptions: { server?: boolean, client?: boolean } = {}
    if (options.server !== undefined) swarmOptions.server = options.server
    if (options.client !== undefined) swarmOptions.client = options.client
    const discovery = this.swarm.join(key, swarmOptions)
    const joined: JoinedTopic = { key, hex, index: this.#nextIndex++, spawnWire, discovery }
    this.#topics.set(hex, joined)
    for (const session of this.#sessions) session.topicAdded(joined)
    if (options.flush !== false) await abortable(discovery.flushed(), options.signal)
    return leave
  }

  /**
   * Announces and looks up a joined topic again now, instead of at the swarm's next periodic
   * refresh (hyperswarm's comes every 10 to 12 minutes): for a node that started while the DHT
   * did not answer, say. A swarm whose discovery has no `refresh()` only waits for `flushed()`.
   *
   * @param topic - the name or key given to `join`
   * @param options - `signal` aborts the wait (the topic stays joined)
   * @returns true once the swarm reports the topic announced and looked up; false when it
   *   reports a failure (hyperswarm: the DHT query failed, e.g. no DHT node answered)
   * @throws ModemError `NotJoined` for a topic not joined, `Destroyed` after destroy, `Aborted` when `signal` aborts the wait
   */
  async refresh (topic: string | Uint8Array, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const key = topicKey(topic)
    if (this.destroyed) throw modemError('Destroyed', 'refresh() on a destroyed modem')
    const joined = this.#topics.get(toHex(key))
    if (joined === undefined) throw modemError('NotJoined', 'refresh() of a topic that is not joined')
    const { discovery } = joined
    // hyperswarm rejects when it joins a refresh under way that fails: a failure too
    const done = (discovery.refresh === undefined ? discovery.flushed() : discovery.refresh()).then(ok => ok !== false, () => false)
    return await abortable(done, options.signal)
  }

  /**
   * Leaves a topic: stops announcing and looking it up and closes its channels (each peer's
   * plug closes with `Disconnected`). Connections stay open for other topics. No-op for a
   * topic not joined.
   *
   * @param topic - the name or key given to `join`
   * @returns resolves once the swarm left the topic
   */
  async leave (topic: string | Uint8Array): Promise<void> {
    const key = topicKey(topic)
    const joined = this.#topics.get(toHex(key))
    if (joined === undefined) return
    this.#topics.delete(joined.hex)
    for (const session of this.#sessions) session.topicRemoved(joined)
    if (!this.destroyed) await this.swarm.leave(key)
  }

  /**
   * Waits until the swarm's pending discovery and connection attempts have settled
   * (hyperswarm `flush()`); resolves at once for a swarm without `flush`.
   *
   * @returns resolves when flushed
   */
  async flushed (): Promise<void> {
    await this.swarm.flush?.()
  }

  /**
   * Closes every connection and channel, then destroys the swarm. Idempotent.
   *
   * @returns resolves when the swarm is destroyed
   */
  destroy (): Promise<void> {
    this.#destroying ??= (async () => {
      this.swarm.removeListener('connection', this.#onconnection)
      for (const topic of [...this.#topics.values()]) {
        this.#topics.delete(topic.hex)
        for (const session of this.#sessions) session.topicRemoved(topic)
      }
      for (const session of [...this.#sessions]) session.close()
      await this.swarm.destroy()
    })()
    return this.#destroying
  }

  #connect (socket: SwarmSocket, info: SwarmPeerInfo): void {
    if (this.destroyed) { socket.destroy(); return }
    const details: { remotePublicKey?: Uint8Array, client: boolean } = { client: info?.client === true }
    const remote = socket.remotePublicKey ?? info?.publicKey
    if (remote !== undefined) details.remotePublicKey = remote
    const options: { handshakeTimeout: number, transport?: NonNullable<ModemOptions['transport']> } = {
      handshakeTimeout: this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
    }
    if (this.#options.transport !== undefined) options.transport = this.#options.transport
    this.#sessions.add(new Session(this.#host, socket, details, options))
  }
}

async function abortable<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await promise
  if (signal.aborted) throw modemError('Aborted', 'the signal aborted the wait', signal.reason)
  let onabort: (() => void) | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      onabort = () => reject(modemError('Aborted', 'the signal aborted the wait', signal.reason))
      signal.addEventListener('abort', onabort, { once: true })
    })])
  } finally {
    if (onabort !== undefined) signal.removeEventListener('abort', onabort)
  }
}

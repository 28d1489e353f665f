import type { DuplexLike, Plug, TransportOptions } from '../net/index.js'

/** What a topic's `spawnWire` is told about the peer it makes a plug for. */
export interface ChannelInfo {
  /** The topic's 32-byte key. */
  topic: Uint8Array
  /** The peer's swarm public key, when the swarm gives one (hyperswarm does). */
  remotePublicKey?: Uint8Array
  /** True when this side dialled the connection. */
  client: boolean
}

/**
 * Makes the plug for one peer on one topic, e.g. `() => kernel.spawnWire()`. Called once per
 * peer per topic channel; the plug must not be opened yet.
 */
export type SpawnWire = (info: ChannelInfo) => Plug

/** A connection as a swarm hands it out: a Duplex stream, already encrypted (hyperswarm 4). */
export interface SwarmSocket extends DuplexLike {
  /** The peer's public key (hyperswarm's Noise stream), when known. */
  readonly remotePublicKey?: Uint8Array
}

/** The details a swarm passes with each connection (hyperswarm's PeerInfo). */
export interface SwarmPeerInfo {
  /** The peer's public key. */
  readonly publicKey?: Uint8Array
  /** Topics that brought the peer (often empty on the accepting side). */
  readonly topics?: readonly Uint8Array[]
  /** True when we dialled the peer. */
  readonly client?: boolean
}

/** The handle `swarm.join()` returns (hyperswarm's PeerDiscovery session). */
export interface SwarmDiscovery {
  /** Resolves once the topic has been announced / looked up (hyperswarm: false when the DHT query failed). */
  flushed (): Promise<unknown>
  /**
   * Optional: announces and looks the topic up again now. Hyperswarm resolves true when the DHT
   * query completed and false when it failed.
   */
  refresh? (): Promise<unknown>
}

/**
 * The part of a swarm Modem56 uses. Hyperswarm 4 fits; so can a simulator.
 */
export interface SwarmLike {
  /** Listens for new peer connections. */
  on (event: 'connection', listener: (socket: SwarmSocket, info: SwarmPeerInfo) => void): unknown
  /** Stops listening for peer connections. */
  removeListener (event: 'connection', listener: (socket: SwarmSocket, info: SwarmPeerInfo) => void): unknown
  /** Announces and/or looks up a 32-byte topic. */
  join (topic: Uint8Array, options?: { server?: boolean, client?: boolean }): SwarmDiscovery
  /** Stops announcing and looking up a topic. */
  leave (topic: Uint8Array): Promise<unknown>
  /** Optional: waits until pending discovery and connection attempts have settled. */
  flush? (): Promise<unknown>
  /** Closes every connection and the DHT. */
  destroy (): Promise<unknown>
}

/** A swarm constructor, e.g. hyperswarm's default export. */
export type SwarmClass<O> = new (options: O) => SwarmLike

/** Options of {@link Modem56} (its own, not the swarm's). */
export interface ModemOptions {
  /** Told about peer protocol errors, handshake timeouts and failing `spawnWire` calls. Nothing is logged. */
  onerror?: (error: Error) => void
  /** Ms a connection may go without the peer's HELLO before it is closed (30 000; `0` = forever). */
  handshakeTimeout?: number
  /** Options of the framed stream transport under every connection (`maxFrameSize`, `timeout`, `idleTimeout`). */
  transport?: TransportOptions
}

/** Options of {@link Modem56.join}. */
export interface JoinOptions {
  /** Await the discovery's `flushed()` (true). With `false`, `join` resolves at once. */
  flush?: boolean
  /** Announce ourselves on the topic (true). */
  server?: boolean
  /** Look up peers on the topic (true). */
  client?: boolean
  /** Aborts the wait for `flushed()` (rejects `Aborted`; the topic stays joined). */
  signal?: AbortSignal
}

import type { Feed } from '../feed/index.js'
import type { Summary } from './protocol.js'
import type { LocalChain } from './sync.js'

/** Limits of the sync protocol, per connection and per node (defaults in `constants.ts`, PROTOCOL.md). */
export interface SyncLimits {
  /** Largest message accepted, bytes (4 MiB). */
  maxMessageSize: number
  /** Most blocks in one `blocks` message, sent or accepted (1024). */
  maxBlocksPerMessage: number
  /**
   * Receive window announced in `hello`: most bytes of a peer's messages (each charged 64 bytes
   * more than its length) queued and unprocessed; more is a `Flood` (8 MiB + 128, the minimum).
   */
  maxQueueBytes: number
  /** Most bytes waiting to go out to one peer before it is dropped as too slow (16 MiB). */
  maxOutboundBytes: number
  /** Most bytes waiting to go out to all peers together, distinct buffers counted once (128 MiB). */
  maxNodeOutboundBytes: number
  /** Most bytes queued from all peers together; past it the largest queue is dropped (64 MiB). */
  maxNodeInboundBytes: number
  /** Most orphan messages on one connection waiting on unanswered wants; more is a `Flood` (1024). */
  maxWants: number
  /** Most `want` requests a peer may send on one connection; more is a `Flood` (4096). */
  maxWantsReceived: number
  /**
   * Most blocks of one connection the store refuses (a rule's rejection, a stranger appending
   * to an owned chain ...; forks are judged as equivocation instead); more is a `Flood` (256).
   * A peer running the same rules never sends a block they refuse.
   */
  maxRefused: number
  /** Milliseconds a connection has to complete `hello` and `auth` (10 000). */
  handshakeTimeout: number
  /**
   * Milliseconds new heads wait before they are announced in one `have` per peer (50; 0 is
   * allowed): fewer messages against latency per hop.
   */
  gossipDelay: number
  /**
   * Milliseconds at least between two announcement rounds (250; 0 is allowed): under steady
   * traffic new heads are announced together every `gossipInterval`, when quiet after
   * `gossipDelay`.
   */
  gossipInterval: number
  /** Milliseconds a `fetch` may go unanswered before another peer that announced the chain is asked (3 000). */
  fetchTimeout: number
  /** Most chains fetched from one peer and not received yet; its further `have`s are ignored meanwhile (4096). */
  maxFetches: number
}

/** A connected peer, as listed by `$connections()`. */
export interface PeerInfo {
  /**
   * The peer's node id: the hex of the node key it proved in the handshake (64 characters).
   * Random per kernel instance unless `nodeSecret` is given; not the user's key.
   */
  nodeId: string
  /** When the handshake completed (ms since the epoch). */
  since: number
}

/** What became of blocks received from a peer. */
export interface IngestResult {
  /** Accepted segments, in chain order. */
  accepted: Feed[]
  /** A block id whose chain the peer should send (the missing parent of a stashed orphan). */
  missing?: Uint8Array
}

/** Where a stored block sits, for answering `want`. */
export interface BlockPlace {
  /** Id of the chain (branch) that holds it. */
  chainId: Uint8Array
  /** Its height. */
  height: number
}

/** What a peer's summary is answered with: chain segments, each chain in order. */
export type SyncAnswer = AsyncIterable<Feed> | Iterable<Feed>

/**
 * Where the sync engine reads and writes blocks; the kernel implements it over its repo and
 * store. Gossip flows back through {@link SyncNode.gossip}.
 */
export interface BlockSource {
  /** Every chain held (O(chains) work, no chain walks). */
  chains (): Promise<LocalChain[]>
  /** Where block `id` sits; `undefined` when not stored. */
  place (id: Uint8Array): Promise<BlockPlace | undefined>
  /** The tip and height of chain `chainId` (64 bytes); `undefined` when not held. One index read. */
  head (chainId: Uint8Array): Promise<LocalChain | undefined>
  /**
   * The `count` blocks that end with block `id`, oldest first, in feeds of at most `maxBlocks`
   * blocks (a long range is never held whole).
   */
  range (id: Uint8Array, count: number, maxBlocks: number): AsyncIterable<Feed>
  /**
   * Decides what a peer whose summary was received lacks; read lazily as the peer drains.
   * @throws anything: the connection is closed with it
   */
  query (summary: Summary, peer: PeerInfo): SyncAnswer | Promise<SyncAnswer>
  /**
   * Verifies and dispatches blocks received from `peer`; gossip of what is accepted must name
   * `peer` (this very object) as its source so the blocks never go back to it.
   * @throws KernelError `InvalidBlocks` when they do not verify (the peer is dropped)
   */
  ingest (feed: Feed, peer: PeerInfo): Promise<IngestResult>
  /**
   * Optional: checks the signatures of a peer's message ahead of {@link BlockSource.ingest}
   * (marking its blocks verified), so the next message is checked while this one is written.
   * @throws KernelError `InvalidBlocks` when one does not verify (the peer is dropped when the
   *   message's turn comes)
   */
  verify? (feed: Feed): Promise<void>
}

import type { Feed } from '../feed/index.js'
import type { SummaryEntry } from './protocol.js'
import type { LocalChain } from './sync.js'

/** Limits of the sync protocol, per connection (defaults in `constants.ts`). */
export interface SyncLimits {
  /** Largest message accepted, bytes (4 MiB). */
  maxMessageSize: number
  /** Most blocks in one `blocks` message, sent or accepted (1024). */
  maxBlocksPerMessage: number
  /** Most inbound bytes queued on a connection before it counts as a flood (16 MiB). */
  maxQueueBytes: number
  /** Most inbound messages queued on a connection before it counts as a flood (4096). */
  maxQueueMessages: number
  /** Most bytes waiting to go out to one peer before it is dropped as too slow (64 MiB). */
  maxOutboundBytes: number
  /** Most `want` requests sent on one connection (1024). */
  maxWants: number
}

/** A connected peer, as listed by `$connections()`. */
export interface PeerInfo {
  /** The peer's node id (hex, 32 characters): random per kernel instance, not the user key. */
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

/**
 * Where the sync engine reads and writes blocks; the kernel implements it over its repo and
 * store. Gossip flows back through {@link SyncNode.gossip}.
 */
export interface BlockSource {
  /** Every chain held (O(chains) work, no chain walks). */
  chains (): Promise<LocalChain[]>
  /** The blocks of a chain from height `from` to its tip, in order; `undefined` when unknown. */
  segment (chainId: Uint8Array, from: number): Promise<Feed | undefined>
  /** The chain from its genesis up to block `id`; `undefined` when unknown. */
  upTo (id: Uint8Array): Promise<Feed | undefined>
  /**
   * Decides what a peer whose summary was received lacks.
   * @throws anything: the connection is closed with it
   */
  query (summary: SummaryEntry[], peer: PeerInfo): Promise<Feed[]>
  /**
   * Dispatches blocks received from `peer`; gossip of what is accepted must name `peer` (this
   * very object) as its source so the blocks never go back to it.
   * @throws KernelError `InvalidBlocks` when they do not verify (the peer is dropped)
   */
  ingest (feed: Feed, peer: PeerInfo): Promise<IngestResult>
}

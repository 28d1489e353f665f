/**
 * `picostack/kernel`: {@link SimpleKernel}, the application core that owns a database, a repo,
 * a store and the delta sync protocol (PROTOCOL.md) spoken over `picostack/net` wires.
 *
 * @example
 * ```ts
 * const alice = new SimpleKernel(); await alice.boot()
 * const bob = new SimpleKernel(); await bob.boot()
 * alice.spawnWire().open(bob.spawnWire())
 * ```
 *
 * @packageDocumentation
 */
export { SimpleKernel } from './kernel.js'
export type { KernelDb, KernelOptions, ChainStatus } from './kernel.js'
export { KernelError } from './errors.js'
export type { KernelErrorCode } from './errors.js'
export { SyncNode, DEFAULT_LIMITS } from './node.js'
export type { SyncNodeOptions, SyncEvents } from './node.js'
export type { BlockPlace, BlockSource, IngestResult, PeerInfo, SyncAnswer, SyncLimits } from './types.js'
export {
  Summary, authPayload, decodeMessage, encodeAck, encodeAuth, encodeBlocks, encodeBye, encodeHello, encodeSummary,
  encodeWant, splitForWire
} from './protocol.js'
export type { Message, SummaryEntry, HeadEntry, DecodeLimits } from './protocol.js'
export { summarize, planSync, collectDelta } from './sync.js'
export type { LocalChain, SyncNeed, ChainReader } from './sync.js'
export { Answers, encodeRecon } from './recon.js'
export type { Recon, QueryNode, ReplyNode, ReconNode, ReconEntry } from './recon.js'
export { workerVerifier, defaultVerifier, setDefaultVerifier } from './verify-pool.js'
export type { WorkerVerifierOptions } from './verify-pool.js'
export {
  PROTOCOL_VERSION, MAX_MESSAGE_SIZE, MAX_BLOCKS_PER_MESSAGE, MAX_SUMMARY_ENTRIES, MAX_QUEUE_BYTES,
  MAX_OUTBOUND_BYTES, MAX_NODE_OUTBOUND_BYTES, MAX_NODE_INBOUND_BYTES, MAX_WANTS, MAX_WANTS_RECEIVED, MAX_REFUSED,
  HANDSHAKE_TIMEOUT, MESSAGE_OVERHEAD, RECON_SUMMARY_MAX, RECON_LIST_MAX, RECON_MAX_NODES, RECON_MAX_QUERIES,
  VERIFY_AHEAD_BYTES
} from './constants.js'

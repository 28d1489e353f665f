/**
 * picostack: a toolkit for peer-to-peer application cores ("blockends").
 *
 * The root module re-exports the concepts an application uses: feeds and keys, wires and
 * hubs, the repo, the store and its collections, the kernel, the modem, and nuro (as the
 * `nuro` namespace, its operators having short names). Helpers, codecs and tuning knobs
 * (byte utilities, varints, frame and protocol codecs, counters, the Ed25519 backend switch)
 * stay on their subpath: `picostack/feed`, `picostack/net`, `picostack/repo`,
 * `picostack/store`, `picostack/kernel`, `picostack/modem`, `picostack/nuro`.
 *
 * @example
 * ```ts no-run
 * import { SimpleKernel, Feed, signPair, Hub } from 'picostack'
 * import { au8, varintEncode } from 'picostack/feed' // helpers: from their subpath
 * ```
 *
 * @packageDocumentation
 */
export { PicoError, isPicoError } from './errors.js'

// feed: signed chains of blocks and their keys (hex strings or 32/64 bytes in; hex out)
export { Feed, Block, FeedError, signPair, getPublicKey, generatePrivateKey, toHex, fromHex } from './feed/index.js'
export type { FeedInput, FeedErrorCode, SignPair } from './feed/index.js'

// nuro: reactive neurons
export * as nuro from './nuro/index.js'
export type { Neuron } from './nuro/index.js'

// net: wires, hubs and transports
export { picoWire, Hub, spliceWires, streamWire, fromStream, wsWire, fromWebSocket, NetError } from './net/index.js'
export type {
  Plug, Handler, Reply, Answer, SendOptions, WireOptions, HubOptions, TransportOptions, StreamOptions,
  WebSocketOptions, WebSocketLike, DuplexLike, NetErrorCode
} from './net/index.js'

// repo: blocks of many feeds in one abstract-level database
export { Repo, RepoError, toDot } from './repo/index.js'
export type { RepoDb, RepoOptions, MergeStrategy, RepoErrorCode } from './repo/index.js'

// store: the block engine and its collections
export { Store, Memory, DiffMemory, StoreError, decodeBlock, encodeBody } from './store/index.js'
export type {
  StoreOptions, DispatchOptions, DispatchResult, Rejected, GcOptions, SliceSpec, Slice, FilterContext,
  ReducerContext, ComputeContext, ValidateContext, ObjectId, DecodedBlock, StoreErrorCode
} from './store/index.js'

// kernel: db + repo + store + the sync protocol
export { SimpleKernel, KernelError } from './kernel/index.js'
export type { KernelDb, KernelOptions, ChainStatus, PeerInfo, SyncLimits, KernelErrorCode } from './kernel/index.js'

// modem: hyperswarm topics to wires
export { Modem56, ModemError } from './modem/index.js'
export type { ModemOptions, JoinOptions, SpawnWire, ChannelInfo, SwarmClass, ModemErrorCode } from './modem/index.js'

/** Version of the sync protocol spoken by this kernel (PROTOCOL.md). */
export const PROTOCOL_VERSION = 4
/** Message type bytes. */
export const MSG_HELLO = 0x01
/** Chain summary. */
export const MSG_SUMMARY = 0x02
/** A feed segment of one chain. */
export const MSG_BLOCKS = 0x03
/** Request for the chain up to a block id. */
export const MSG_WANT = 0x04
/** Goodbye with a reason code. */
export const MSG_BYE = 0x05
/** Proof of the node key: a signature over both nonces and both keys. */
export const MSG_AUTH = 0x06
/** Flow control: bytes of the peer's messages processed since the last ack. */
export const MSG_ACK = 0x07
/** Set reconciliation of chain heads: a query or the reply to one. */
export const MSG_RECON = 0x08
/** Live gossip: the heights the sender now holds of some chains (announced, not pushed). */
export const MSG_HAVE = 0x09
/** Asks for the blocks of some chains from a height on (the answer to a `have`). */
export const MSG_FETCH = 0x0a
/** Most chains in one `have` or `fetch` message. */
export const MAX_HEADS_PER_MESSAGE = 1024
/** Bytes of a chain id in `have` and `fetch` (the whole id: the receiver looks the chain up by it). */
export const CHAIN_ID_BYTES = 64
/**
 * Milliseconds new heads wait before they are announced (one `have` per peer carries every
 * chain that grew meanwhile): the price of fewer messages is this much latency per hop.
 */
export const GOSSIP_DELAY = 50
/**
 * Milliseconds at least between two announcement rounds of a node. A node that hears of new
 * blocks all the time (a busy swarm) announces them together every this many ms instead of
 * every {@link GOSSIP_DELAY}; a quiet one still announces its first new head after GOSSIP_DELAY.
 */
export const GOSSIP_INTERVAL = 250
/**
 * Milliseconds a `fetch` may go unanswered before the chain is asked of another peer that
 * announced it (a peer that withholds only delays a block, and only by this much per try).
 */
export const FETCH_TIMEOUT = 3000
/** Most chains asked of one peer and not received yet; its further announcements are ignored. */
export const MAX_FETCHES = 4096
/** Most chains being fetched by one node at once (all peers). */
export const MAX_NODE_FETCHES = 65_536
/** Most other peers remembered per chain being fetched, to ask when the first does not answer. */
export const FETCH_ALTERNATES = 4
/** Largest message accepted or sent. */
export const MAX_MESSAGE_SIZE: number = 4 * 1024 * 1024
/** Most blocks in one `blocks` message. */
export const MAX_BLOCKS_PER_MESSAGE = 1024
/** Most chains in one `summary` received (one is sent only up to {@link RECON_SUMMARY_MAX}). */
export const MAX_SUMMARY_ENTRIES = 100_000
/** Most chains a node lists in one `summary`; with more it reconciles with `recon` messages. */
export const RECON_SUMMARY_MAX = 256
/** Most entries listed in one `recon` node. */
export const RECON_LIST_MAX = 32
/** Most nodes in one `recon` message (a reply answers every node of its query). */
export const RECON_MAX_NODES = 1024
/** Deepest `recon` node, in nibbles of the 16-byte chain id prefix. */
export const RECON_MAX_DEPTH = 32
/** Most `recon` queries (a `summary` included) a peer may send on one connection. */
export const RECON_MAX_QUERIES = 256
/** Longest `bye` reason in bytes. */
export const MAX_BYE_REASON = 256
/** Bytes of a chain id kept in a summary entry. */
export const SUMMARY_CHAIN_BYTES = 16
/** Bytes of a tip id kept in a summary entry. */
export const SUMMARY_TIP_BYTES = 8
/** Bytes of a node key (an Ed25519 public key; the node id is its hex). */
export const NODE_KEY_BYTES = 32
/** Bytes of a per-wire nonce. */
export const NONCE_BYTES = 16
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64
/** What an `auth` signature covers first (domain separation from block signatures). */
export const AUTH_DOMAIN = 'picostack/sync/2/auth'
/**
 * Bytes each queued message is charged on top of its length, for the bookkeeping it costs
 * (so a flood of tiny messages is bounded like a flood of big ones).
 */
export const MESSAGE_OVERHEAD = 64
/**
 * Receive window: most bytes (charged with {@link MESSAGE_OVERHEAD}) of a peer's messages
 * queued and not yet processed. A sender keeps at most the window the peer announced in flight
 * without an `ack`; crossing it is a flood. Twice the largest message, so sends pipeline.
 */
export const MAX_QUEUE_BYTES: number = 2 * (MAX_MESSAGE_SIZE + MESSAGE_OVERHEAD)
/** Most bytes waiting to be sent to one peer before it is dropped as too slow (16 MiB). */
export const MAX_OUTBOUND_BYTES: number = 16 * 1024 * 1024
/** Most bytes waiting to be sent to all peers together (distinct buffers counted once; 128 MiB). */
export const MAX_NODE_OUTBOUND_BYTES: number = 128 * 1024 * 1024
/** Most bytes queued from all peers together before the largest queue is dropped (64 MiB). */
export const MAX_NODE_INBOUND_BYTES: number = 64 * 1024 * 1024
/** Most orphan messages on one connection waiting on wants the peer has not answered; more is a `Flood`. */
export const MAX_WANTS = 1024
/** Most `want` requests a peer may send on one connection. */
export const MAX_WANTS_RECEIVED = 4096
/** Most blocks of one connection the rules refuse (forks aside); more is a `Flood`. */
export const MAX_REFUSED = 256
/** Milliseconds a new connection has to complete `hello` and `auth` (10 s). */
export const HANDSHAKE_TIMEOUT = 10_000
/** Blocks verified between two yields to the event loop while ingesting. */
export const VERIFY_SLICE = 64
/**
 * Bytes of a peer's queued `blocks` messages whose signatures are checked ahead of their turn
 * (beyond the one being processed, at least one message): the depth of the verification
 * pipeline, inside the receive window.
 */
export const VERIFY_AHEAD_BYTES: number = 1024 * 1024
/**
 * Most blocks of a peer's message dispatched under one hold of the store's lock: a large
 * message is dispatched in slices, so other peers' blocks interleave with it.
 */
export const INGEST_SLICE = 128
/** `bye` codes (PROTOCOL.md). */
export const BYE_CLOSED = 0
/** The peer speaks another protocol version. */
export const BYE_VERSION = 1
/** Grammar or limit broken. */
export const BYE_PROTOCOL = 2
/** Blocks that do not parse, link or verify. */
export const BYE_INVALID_BLOCKS = 3
/** Inbound limits exceeded. */
export const BYE_FLOOD = 4
/** A second wire to the same peer. */
export const BYE_DUPLICATE = 5
/** The `auth` signature did not verify. */
export const BYE_AUTH = 6
/** The handshake did not complete in time. */
export const BYE_HANDSHAKE_TIMEOUT = 7
/** The peer did not read what we sent (our outbound queue for it overflowed). */
export const BYE_SLOW = 8

/** Version of the sync protocol spoken by this kernel (PROTOCOL.md). */
export const PROTOCOL_VERSION = 1
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
/** Largest message accepted or sent. */
export const MAX_MESSAGE_SIZE: number = 4 * 1024 * 1024
/** Most blocks in one `blocks` message. */
export const MAX_BLOCKS_PER_MESSAGE = 1024
/** Most chains in one summary. */
export const MAX_SUMMARY_ENTRIES = 100_000
/** Longest `bye` reason in bytes. */
export const MAX_BYE_REASON = 256
/** Bytes of a chain id kept in a summary entry. */
export const SUMMARY_CHAIN_BYTES = 16
/** Bytes of a tip id kept in a summary entry. */
export const SUMMARY_TIP_BYTES = 8
/** Bytes of a node id. */
export const NODE_ID_BYTES = 16
/** Bytes of a per-wire nonce. */
export const NONCE_BYTES = 8
/** Most bytes of inbound messages queued on one connection before it counts as a flood. */
export const MAX_QUEUE_BYTES: number = 16 * 1024 * 1024
/** Most inbound messages queued on one connection before it counts as a flood. */
export const MAX_QUEUE_MESSAGES = 4096
/** Most bytes waiting to be sent to one peer before it is dropped as too slow. */
export const MAX_OUTBOUND_BYTES: number = 64 * 1024 * 1024
/** Most distinct `want` requests sent on one connection. */
export const MAX_WANTS = 1024
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

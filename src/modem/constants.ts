/** Version byte of the channel protocol carried in HELLO (see {@link encodeChannelMessage}). */
export const CHANNEL_PROTOCOL_VERSION: number = 1
/** Default ms a new connection may stay without the peer's HELLO before it is closed (`HandshakeTimeout`). */
export const DEFAULT_HANDSHAKE_TIMEOUT: number = 30_000
/** Most topics one HELLO may announce; a longer list is a `ProtocolError`. */
export const MAX_TOPICS: number = 1024
/** Bytes of the per-connection nonce that blinds topic announcements. */
export const NONCE_SIZE: number = 16
/** Bytes of a topic key and of a blinded topic token. */
export const TOPIC_SIZE: number = 32

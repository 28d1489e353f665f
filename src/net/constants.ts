/** Default time (ms) a sender waits for a reply before it rejects with `Timeout`. */
export const DEFAULT_TIMEOUT: number = 30_000
/** Default time (ms) a hub waits for a wire's loose end to be opened before closing it with `NodeTimedout`. */
export const DEFAULT_OPEN_TIMEOUT: number = 30_000
/**
 * Default largest packet (header + payload, bytes) a transport accepts: 16 MiB. A listener for
 * a protocol with a smaller message limit should pass that limit (plus the 9-byte header) as
 * `maxFrameSize`: a larger announced frame then closes the connection with `FrameTooLarge`.
 */
export const DEFAULT_MAX_FRAME_SIZE: number = 16 * 1024 * 1024
/**
 * Default silence (ms) after which a transport closes a connection with `PeerTimeout`: not a
 * single byte from the peer (a pong counts). Each side sends a ping when it has sent nothing for
 * half of it, so an idle but honest peer stays connected.
 */
export const DEFAULT_IDLE_TIMEOUT: number = 30_000
/**
 * Default time (ms) a peer has, from the moment the connection opens, to send its first complete
 * frame (any packet, a ping included); past it the connection closes with `HandshakeTimeout`.
 * Until its own first frame, a transport pings after half of it.
 */
export const DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT: number = 10_000
/**
 * Default time (ms) within which a frame whose first byte has arrived must be complete (the
 * length prefix included), plus one second per `DEFAULT_MIN_FRAME_RATE` bytes of it received;
 * past it the connection closes with `FrameTimeout`, so a peer that drips a frame one byte at a
 * time cannot hold the connection.
 */
export const DEFAULT_FRAME_TIMEOUT: number = 20_000
/**
 * Default rate (bytes per second) that earns a frame in progress more time beyond
 * `DEFAULT_FRAME_TIMEOUT`: 16 KiB/s (about 130 kbit/s), so a large frame on a slow but honest
 * link completes while a drip does not.
 */
export const DEFAULT_MIN_FRAME_RATE: number = 16 * 1024
/** Default WebSocket `bufferedAmount` (bytes) above which sends wait. */
export const DEFAULT_WS_HIGH_WATER: number = 1024 * 1024
/**
 * Default bytes queued for a peer (not yet taken by the OS) above which a transport stops
 * reading from that peer until they drain: twice `maxFrameSize`, i.e. 32 MiB for the default
 * frame size (a transport that cannot pause its source closes with `SlowPeer` instead).
 */
export const DEFAULT_MAX_WRITE_BUFFER_FRAMES: number = 2
/** Default most connections a `ConnectionGate` admits at once. */
export const DEFAULT_MAX_CONNECTIONS: number = 256
/** Default most connections a `ConnectionGate` admits at once from one address (one /64 for IPv6). */
export const DEFAULT_MAX_PER_ADDRESS: number = 16

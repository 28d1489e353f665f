/** Default time (ms) a sender waits for a reply before it rejects with `Timeout`. */
export const DEFAULT_TIMEOUT: number = 30_000
/** Default time (ms) a hub waits for a wire's loose end to be opened before closing it with `NodeTimedout`. */
export const DEFAULT_OPEN_TIMEOUT: number = 30_000
/** Default largest packet (header + payload, bytes) a transport accepts: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE: number = 16 * 1024 * 1024
/** Default silence (ms) from a peer that owes replies after which a transport closes with `PeerTimeout` (a ping is sent halfway). */
export const DEFAULT_IDLE_TIMEOUT: number = 30_000
/** Default WebSocket `bufferedAmount` (bytes) above which sends wait. */
export const DEFAULT_WS_HIGH_WATER: number = 1024 * 1024

/**
 * `picostack/net`: wires, conversations, a hub, and transports.
 *
 * A **wire** is a connected pair of plugs. What one plug posts reaches the other plug's handler,
 * and a send that expects a reply resolves to `[answer, replyTo]`, so two ends can hold a
 * conversation of any length as a chain of promises. Every wait has a timeout and an optional
 * `AbortSignal`; closing either end rejects every pending wait with a typed {@link NetError}.
 *
 * A **transport** carries a plug's conversations over a real connection with the same semantics:
 * {@link streamWire}/{@link fromStream} over any Node Duplex (TCP, Unix socket, hyperswarm) with
 * length-prefixed frames, {@link wsWire}/{@link fromWebSocket} over any standard WebSocket.
 * A {@link Hub} gathers many wires behind one handler (or repeats messages between them).
 * Every transport bounds what a hostile peer can cost (idle, handshake and frame timeouts, frame
 * size, write buffer); {@link limitConnections} caps a listener's connections per address.
 *
 * Messages are `Uint8Array` only, in memory as on every transport.
 *
 * @example
 * ```ts
 * const hub = new Hub({ onmessage: async (msg, reply) => { await reply?.(msg) } }) // echo
 * net.createServer(socket => streamWire(hub.createWire(), socket)).listen(port)
 * const plug = fromStream(net.connect(port, '127.0.0.1'))
 * await plug.open(() => {})
 * const [echo] = await plug.postMessage(new Uint8Array([1, 2, 3]), true)
 * ```
 *
 * @packageDocumentation
 */
export type { Answer, Handler, Plug, Reply, SendOptions, WireOptions } from './types.js'
export { NetError } from './errors.js'
export type { NetErrorCode } from './errors.js'
export {
  DEFAULT_FRAME_TIMEOUT, DEFAULT_TRANSPORT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_PER_ADDRESS, DEFAULT_MAX_WRITE_BUFFER_FRAMES, DEFAULT_MIN_FRAME_RATE, DEFAULT_OPEN_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_WS_HIGH_WATER
} from './constants.js'
export { ConnectionGate, limitConnections } from './gate.js'
export type { ConnectionGateOptions, GatedServer, GateSocket, UpgradingServer } from './gate.js'
export { picoWire, isPlug } from './wire.js'
export { spliceWires } from './relay.js'
export { Hub } from './hub.js'
export type { HubOptions, NodeFilter, SurveyItem, SurveyOptions } from './hub.js'
export type { TransportOptions } from './connection.js'
export { streamWire, fromStream } from './stream.js'
export type { DuplexLike, StreamOptions } from './stream.js'
export { wsWire, fromWebSocket } from './websocket.js'
export type { WebSocketLike, WebSocketEventLike, WebSocketOptions } from './websocket.js'
export { FrameDecoder, HEADER_SIZE, LENGTH_SIZE, MIN_BODY, decodePacket, encodeFrame, encodePacket } from './frame.js'
export type { Packet, FrameDecoderOptions } from './frame.js'
export { joinTabs, DEFAULT_MAX_TABS } from './tabs.js'
export type { TabMesh, TabMeshOptions, BroadcastChannelLike, BroadcastChannelClass, LifecycleTarget } from './tabs.js'
export type { MeshPeer, MeshTransport, SpawnPlug, PeerListener, LeaveListener } from './mesh.js'
export { SignalRelay, DEFAULT_SIGNAL_MAX_MESSAGE, DEFAULT_SIGNAL_MAX_PEERS, DEFAULT_SIGNAL_MAX_ROOMS, DEFAULT_SIGNAL_RATE, DEFAULT_SIGNAL_BURST, DEFAULT_SIGNAL_JOIN_TIMEOUT, DEFAULT_SIGNAL_PING_INTERVAL } from './signal-relay.js'
export type { SignalRelayOptions, SignalRelayStats, SignalSocket } from './signal-relay.js'
export { SIGNAL_CLOSE_CODES } from './signal-protocol.js'
export type { SignalCloseName, SignalData, SignalHello, SignalDescription, SignalCandidate } from './signal-protocol.js'
export { rtcWire, joinRtc, loopbackCandidate, DEFAULT_RTC_CHUNK_SIZE } from './rtc.js'
export type {
  RtcWireOptions, RtcMesh, RtcMeshOptions, DataChannelLike, DataChannelEventLike, PeerConnectionLike, PeerConnectionClass, PeerConnectionConfig,
  SessionDescriptionLike, SctpTransportLike, IceServer, IceCandidateLike, SignalWebSocketLike, SignalWebSocketClass
} from './rtc.js'

/**
 * `picostack/modem`: Modem56, a hyperswarm (or simulator) topic → wires bridge
 * (several topics at once, injectable swarm, no console output).
 *
 * @example
 * ```ts
 * import Hyperswarm from 'hyperswarm'
 * import { Modem56 } from 'picostack/modem'
 * const modem = new Modem56(Hyperswarm, {}, { onerror: err => report(err) })
 * await modem.join('picostack', () => kernel.spawnWire())
 * await modem.join('other-app', () => other.spawnWire())
 * ```
 *
 * @packageDocumentation
 */
export { Modem56 } from './modem.js'
export { ModemError } from './errors.js'
export type { ModemErrorCode } from './errors.js'
export { topicKey } from './topic.js'
export { encodeChannelMessage, decodeChannelMessage } from './channel.js'
export type { Announcement, ChannelMessage } from './channel.js'
export { CHANNEL_PROTOCOL_VERSION, DEFAULT_HANDSHAKE_TIMEOUT, MAX_TOPICS } from './constants.js'
export type { ChannelInfo, JoinOptions, ModemOptions, SpawnWire, SwarmClass, SwarmDiscovery, SwarmLike, SwarmPeerInfo, SwarmSocket } from './types.js'

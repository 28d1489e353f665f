import { outgoing } from '../net/frame.js'
import { CHANNEL_PROTOCOL_VERSION, MAX_TOPICS, NONCE_SIZE, TOPIC_SIZE } from './constants.js'
import { modemError } from './errors.js'

/** Message kinds of the channel protocol (spec: README "modem", PROTOCOL below). */
export const HELLO = 1
export const ADD = 2
export const REMOVE = 3
export const CLOSE = 4
export const DATA = 5

/** One announced topic: the sender's channel index and its blinded token. */
export interface Announcement {
  /** The sender's own number for the topic. */
  index: number
  /** SHA-256(sender nonce ‖ topic key). */
  token: Uint8Array
}

/**
 * A message of the channel protocol that multiplexes topic channels over one swarm connection.
 *
 * ```
 * HELLO  = 01 version:u8 nonce:16 count:u16 (index:u32 token:32){count}
 * ADD    = 02 index:u32 token:32         the sender joined a topic
 * REMOVE = 03 index:u32                  the sender left the topic of that index
 * CLOSE  = 04 index:u32                  the sender closed that topic's channel
 * DATA   = 05 index:u32 payload          first message of a conversation on that channel
 * ```
 * Integers are big-endian; `index` is the sender's own number for a topic; `token` is
 * SHA-256(sender nonce ‖ topic key). Replies travel on the conversation, not in this framing.
 */
export type ChannelMessage =
  | {
    /** First message on a connection: the sender's topics. */
    type: 'hello'
    /** Channel protocol version. */
    version: number
    /** The sender's per-connection nonce (16 bytes). */
    nonce: Uint8Array
    /** The topics the sender joined. */
    topics: Announcement[]
  }
  | {
    /** The sender joined a topic. */
    type: 'add'
    /** The sender's number for the topic. */
    index: number
    /** SHA-256(sender nonce ‖ topic key). */
    token: Uint8Array
  }
  | {
    /** The sender left a topic. */
    type: 'remove'
    /** The sender's number for the topic. */
    index: number
  }
  | {
    /** The sender's application closed the topic's channel. */
    type: 'close'
    /** The sender's number for the topic. */
    index: number
  }
  | {
    /** A message on the topic's channel (the first of a conversation). */
    type: 'data'
    /** The sender's number for the topic. */
    index: number
    /** The channel's message. */
    payload: Uint8Array
  }

function checkIndex (index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new RangeError(`"index" expected a u32, got ${index}`)
}

function checkBytes (name: string, bytes: Uint8Array, size: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== size) throw new TypeError(`"${name}" expected ${size} bytes`)
}

/**
 * Encodes one channel message (measure, allocate once, write).
 *
 * @param msg - the message
 * @returns its bytes
 * @throws RangeError/TypeError on an out-of-range index, wrong-sized nonce/token or too many topics
 */
export function encodeChannelMessage (msg: ChannelMessage): Uint8Array {
  let out: Uint8Array
  switch (msg.type) {
    case 'hello': {
      checkBytes('nonce', msg.nonce, NONCE_SIZE)
      if (msg.topics.length > MAX_TOPICS) throw new RangeError(`"topics" expected at most ${MAX_TOPICS}, got ${msg.topics.length}`)
      out = new Uint8Array(2 + NONCE_SIZE + 2 + msg.topics.length * (4 + TOPIC_SIZE))
      const view = new DataView(out.buffer)
      out[0] = HELLO
      out[1] = msg.version
      out.set(msg.nonce, 2)
      view.setUint16(2 + NONCE_SIZE, msg.topics.length)
      let at = 4 + NONCE_SIZE
      for (const { index, token } of msg.topics) {
        checkIndex(index)
        checkBytes('token', token, TOPIC_SIZE)
        view.setUint32(at, index)
        out.set(token, at + 4)
        at += 4 + TOPIC_SIZE
      }
      return out
    }
    case 'add':
      checkIndex(msg.index)
      checkBytes('token', msg.token, TOPIC_SIZE)
      out = new Uint8Array(5 + TOPIC_SIZE)
      out.set(msg.token, 5)
      break
    case 'remove':
    case 'close':
      checkIndex(msg.index)
      out = new Uint8Array(5)
      break
    case 'data':
      checkIndex(msg.index)
      out = new Uint8Array(5 + msg.payload.byteLength)
      out.set(msg.payload, 5)
      break
    default:
      throw new TypeError('"msg" expected a channel message')
  }
  out[0] = msg.type === 'add' ? ADD : msg.type === 'remove' ? REMOVE : msg.type === 'close' ? CLOSE : DATA
  writeIndex(out, msg.index)
  return out
}

/** Writes a channel index big-endian at byte 1 (no DataView per message). */
function writeIndex (out: Uint8Array, index: number): void {
  out[1] = index >>> 24
  out[2] = (index >>> 16) & 0xff
  out[3] = (index >>> 8) & 0xff
  out[4] = index & 0xff
}

/**
 * A DATA message in bytes carved from the transports' shared slab: for a message handed straight
 * to the connection's framing, which copies it, never kept (Modem56's relay of a channel's
 * messages). The index is one of our own. @internal
 */
export function encodeDataForTransport (index: number, payload: Uint8Array): Uint8Array {
  const out = outgoing(5 + payload.byteLength)
  out[0] = DATA
  writeIndex(out, index)
  out.set(payload, 5)
  return out
}

const bad = (detail: string): Error => modemError('ProtocolError', detail)

/**
 * Decodes one channel message; every length is checked.
 *
 * @param bytes - a message received on a swarm connection
 * @returns the message (`payload` of DATA is a view into `bytes`)
 * @throws ModemError `ProtocolError` on an unknown kind, a wrong length or an unsupported version
 */
export function decodeChannelMessage (bytes: Uint8Array): ChannelMessage {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw bad('empty message')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const kind = bytes[0]
  if (kind === HELLO) {
    if (bytes.byteLength < 4 + NONCE_SIZE) throw bad('short HELLO')
    const version = bytes[1] as number
    if (version !== CHANNEL_PROTOCOL_VERSION) throw bad(`unsupported channel protocol version ${version}`)
    const count = view.getUint16(2 + NONCE_SIZE)
    if (count > MAX_TOPICS) throw bad(`HELLO announces ${count} topics, more than ${MAX_TOPICS}`)
    if (bytes.byteLength !== 4 + NONCE_SIZE + count * (4 + TOPIC_SIZE)) throw bad('HELLO length does not match its topic count')
    const topics: Announcement[] = []
    for (let i = 0, at = 4 + NONCE_SIZE; i < count; i++, at += 4 + TOPIC_SIZE) {
      topics.push({ index: view.getUint32(at), token: bytes.slice(at + 4, at + 4 + TOPIC_SIZE) })
    }
    return { type: 'hello', version, nonce: bytes.slice(2, 2 + NONCE_SIZE), topics }
  }
  if (bytes.byteLength < 5) throw bad('short message')
  const index = view.getUint32(1)
  switch (kind) {
    case ADD:
      if (bytes.byteLength !== 5 + TOPIC_SIZE) throw bad('ADD of wrong length')
      return { type: 'add', index, token: bytes.slice(5) }
    case REMOVE:
    case CLOSE:
      if (bytes.byteLength !== 5) throw bad('REMOVE/CLOSE of wrong length')
      return { type: kind === REMOVE ? 'remove' : 'close', index }
    case DATA:
      return { type: 'data', index, payload: bytes.subarray(5) }
    default:
      throw bad(`unknown message kind ${String(kind)}`)
  }
}

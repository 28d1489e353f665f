import { sha256 } from '@noble/hashes/sha2.js'
import { TOPIC_SIZE } from './constants.js'

const utf8 = new TextEncoder()

/**
 * The 32-byte swarm key of a topic: a string is hashed (SHA-256 of its UTF-8 bytes, as the
 * original Modem56 did), a 32-byte `Uint8Array` is used as is (copied).
 *
 * @param topic - a topic name or a 32-byte key
 * @returns the 32-byte key
 * @throws TypeError when `topic` is neither a string nor a 32-byte Uint8Array
 * @example
 * ```ts
 * topicKey('picostack') // sha256('picostack')
 * ```
 */
export function topicKey (topic: string | Uint8Array): Uint8Array {
  if (typeof topic === 'string') return sha256(utf8.encode(topic))
  if (topic instanceof Uint8Array) {
    if (topic.byteLength !== TOPIC_SIZE) throw new TypeError(`"topic" expected a string or ${TOPIC_SIZE} bytes, got ${topic.byteLength} bytes`)
    return topic.slice()
  }
  throw new TypeError('"topic" expected a string or a Uint8Array')
}

/**
 * The blinded token that announces `key` on one connection: SHA-256(nonce ‖ key). A peer can
 * recognise it only for topics it knows itself, so announcing a topic reveals nothing to
 * peers that are not on it. @internal
 */
export function topicToken (nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const input = new Uint8Array(nonce.byteLength + key.byteLength)
  input.set(nonce)
  input.set(key, nonce.byteLength)
  return sha256(input)
}

/** Lower-case hex of bytes. @internal */
export { toHex } from '../feed/index.js'

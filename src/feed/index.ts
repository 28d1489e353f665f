/**
 * The signed binary feed: a chain of Ed25519-signed blocks in one buffer, byte-compatible
 * with picofeed v8.
 *
 * @example
 * ```ts
 * import { Feed, signPair } from 'picostack/feed'
 * const { sk } = signPair()
 * const feed = new Feed()
 * feed.append('hello', sk)
 * const received = Feed.from(feed.buffer) // verifies every signature
 * console.log(received.last?.body)
 * ```
 *
 * @packageDocumentation
 */
export { Feed, feedFrom, isFeed } from './feed.js'
export type { FeedInput, MergeCallback } from './feed.js'
export { Block, isBlock } from './block.js'
export { FeedError } from './errors.js'
export type { FeedErrorCode } from './errors.js'
export { signPair, getPublicKey, generatePrivateKey } from './keys.js'
export type { SignPair } from './keys.js'
export { au8, toHex, fromHex, s2b, b2s, cmp, compare, cpy, toU8, hexdump } from './bytes.js'
export { varintEncode, varintDecode, varintLength, VARINT_MAX } from './varint.js'
export { PIC0, HDR_AUTHOR, HDR_PSIG, SIG_SIZE, KEY_SIZE, ZERO_PARENT, symFeed, symBlock, symInspect } from './constants.js'
export { counters } from './counters.js'
export { ed25519, setEd25519, nobleEd25519 } from './ed25519.js'
export type { Ed25519 } from './ed25519.js'
export { defaultBatchVerifier, backendBatchVerifier, webCryptoBatchVerifier } from './batch.js'
export type { BatchVerifier, VerifyItem } from './batch.js'

import { frameTooLarge, protocolError } from './errors.js'

/*
 * Packet grammar (spec/net.md §4.1, widened: 32-bit ports so they never run out, gaps N3):
 *
 *   packet = dst:u32be src:u32be flags:u8 payload:*
 *   frame  = length:u32be packet            (byte streams only; length = packet size)
 *
 * dst   0 = a new message; else the receiver's port awaiting this reply
 * src   0 = no reply expected; else the sender's port for the reply to this packet
 * flags bit 0 REPLY  (reply expected; set exactly when src != 0)
 *       bit 1 ERROR  (dst != 0, src = 0: the conversation at dst failed; payload = UTF-8 "code\nmessage")
 *       bit 2 PING   (dst = src = 0, empty: the receiver answers PONG)
 *       bit 3 PONG   (dst = src = 0, empty)
 * Any other bit, or any other combination, is a ProtocolError.
 */

/** Bytes of the packet header. */
export const HEADER_SIZE = 9
/** Bytes of a stream frame's length prefix. */
export const LENGTH_SIZE = 4
/** Flag: the sender expects a reply. */
export const REPLY = 1
/** Flag: error answer. */
export const ERROR = 2
/** Flag: liveness probe. */
export const PING = 4
/** Flag: answer to a probe. */
export const PONG = 8
/** Largest port number. */
export const MAX_PORT = 0xffffffff

/** A decoded packet; `payload` is a view into the packet. */
export interface Packet {
  dst: number
  src: number
  flags: number
  payload: Uint8Array
}

/** Writes a header at `offset`. */
export function writeHeader (buf: Uint8Array, offset: number, dst: number, src: number, flags: number): void {
  buf[offset] = dst >>> 24
  buf[offset + 1] = dst >>> 16
  buf[offset + 2] = dst >>> 8
  buf[offset + 3] = dst
  buf[offset + 4] = src >>> 24
  buf[offset + 5] = src >>> 16
  buf[offset + 6] = src >>> 8
  buf[offset + 7] = src
  buf[offset + 8] = flags
}

function readU32 (buf: Uint8Array, offset: number): number {
  return ((buf[offset] as number) * 0x1000000) + (((buf[offset + 1] as number) << 16) | ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number))
}

/** A plain `Uint8Array` view of `bytes` (a Node `Buffer` is a subclass with other `slice` semantics): no copy. */
export function plain (bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Encodes one packet (no length prefix: for message-based transports). */
export function encodePacket (dst: number, src: number, flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.byteLength)
  writeHeader(out, 0, dst, src, flags)
  out.set(payload, HEADER_SIZE)
  return out
}

/** Encodes one length-prefixed frame (for byte streams). */
export function encodeFrame (dst: number, src: number, flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_SIZE + HEADER_SIZE + payload.byteLength)
  writeFrameHeader(out, dst, src, flags, payload.byteLength)
  out.set(payload, LENGTH_SIZE + HEADER_SIZE)
  return out
}

/** Writes length prefix + header into the first 13 bytes of `out`. */
export function writeFrameHeader (out: Uint8Array, dst: number, src: number, flags: number, payloadLength: number): void {
  const length = HEADER_SIZE + payloadLength
  out[0] = length >>> 24
  out[1] = length >>> 16
  out[2] = length >>> 8
  out[3] = length
  writeHeader(out, LENGTH_SIZE, dst, src, flags)
}

/**
 * Decodes and validates one packet.
 *
 * @throws NetError `ProtocolError` for a short packet, unknown flags or an invalid combination
 */
export function decodePacket (packet: Uint8Array): Packet {
  if (packet.byteLength < HEADER_SIZE) throw protocolError(`packet of ${packet.byteLength} bytes is shorter than its ${HEADER_SIZE}-byte header`)
  const dst = readU32(packet, 0)
  const src = readU32(packet, 4)
  const flags = packet[8] as number
  const payload = packet.subarray(HEADER_SIZE)
  switch (flags) {
    case 0:
    case REPLY:
      if ((flags === REPLY) !== (src !== 0)) throw protocolError(`reply flag ${flags} does not match source port ${src}`)
      break
    case ERROR:
      if (dst === 0 || src !== 0) throw protocolError('error packet needs a destination port and no source port')
      break
    case PING:
    case PONG:
      if (dst !== 0 || src !== 0 || payload.byteLength !== 0) throw protocolError('ping/pong packet must be empty and portless')
      break
    default:
      throw protocolError(`unknown flags 0x${flags.toString(16)}`)
  }
  return { dst, src, flags, payload }
}

/**
 * Splits a byte stream into length-prefixed packets, whatever the chunk boundaries.
 * Bounds every length it reads: a frame above `maxFrameSize` fails before any of it is buffered.
 */
export class FrameDecoder {
  readonly #max: number
  readonly #prefix = new Uint8Array(LENGTH_SIZE)
  #prefixFilled = 0
  #body: Uint8Array | null = null
  #bodyFilled = 0
  #failed = false

  /** @param maxFrameSize - largest packet (header + payload) accepted */
  constructor (maxFrameSize: number) {
    this.#max = maxFrameSize
  }

  /** Bytes of an unfinished frame held (non-zero at end of stream = truncated). */
  get buffered (): number {
    return this.#body === null ? this.#prefixFilled : LENGTH_SIZE + this.#bodyFilled
  }

  /**
   * Feeds a chunk; calls `onpacket` for every complete packet, in order. A packet that lies whole
   * inside `chunk` is a view of it; others are fresh copies.
   *
   * @throws NetError `FrameTooLarge` (length above the maximum) or `ProtocolError` (length below
   * the header size); the decoder then refuses further input
   */
  push (chunk: Uint8Array, onpacket: (packet: Uint8Array) => void): void {
    if (this.#failed) throw protocolError('decoder already failed')
    let i = 0
    const n = chunk.byteLength
    while (i < n) {
      if (this.#body === null) {
        if (this.#prefixFilled === 0 && n - i >= LENGTH_SIZE) {
          const length = readU32(chunk, i)
          this.#check(length)
          i += LENGTH_SIZE
          if (n - i >= length) { // whole packet in this chunk: no copy
            onpacket(chunk.subarray(i, i + length))
            i += length
            continue
          }
          this.#body = new Uint8Array(length)
          this.#bodyFilled = 0
          continue
        }
        while (this.#prefixFilled < LENGTH_SIZE && i < n) this.#prefix[this.#prefixFilled++] = chunk[i++] as number
        if (this.#prefixFilled < LENGTH_SIZE) return
        const length = readU32(this.#prefix, 0)
        this.#prefixFilled = 0
        this.#check(length)
        this.#body = new Uint8Array(length)
        this.#bodyFilled = 0
      }
      const body = this.#body
      const take = Math.min(body.byteLength - this.#bodyFilled, n - i)
      body.set(chunk.subarray(i, i + take), this.#bodyFilled)
      this.#bodyFilled += take
      i += take
      if (this.#bodyFilled === body.byteLength) {
        this.#body = null
        this.#bodyFilled = 0
        onpacket(body)
      }
    }
  }

  #check (length: number): void {
    if (length > this.#max) { this.#failed = true; throw frameTooLarge(length, this.#max) }
    if (length < HEADER_SIZE) { this.#failed = true; throw protocolError(`frame length ${length} is shorter than the ${HEADER_SIZE}-byte header`) }
  }
}

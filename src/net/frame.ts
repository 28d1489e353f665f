import { frameTooLarge, protocolError } from './errors.js'

/*
 * Packet grammar (the original's, widened to 32-bit ports so they never run out):
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

const EMPTY = new Uint8Array(0)

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
  /** The destination channel id. */
  dst: number
  /** The source channel id. */
  src: number
  /** The header flag bits. */
  flags: number
  /** The packet body. */
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

/** Regions up to this size come from a shared slab. */
const SLAB_SIZE = 64 * 1024
const SLAB_MAX = 16 * 1024
let slab = new Uint8Array(SLAB_SIZE)
let slabUsed = 0

/**
 * `n` bytes to build an outgoing frame in: small ones are carved from a shared slab (as Node's
 * Buffer pool does), so a message costs no backing-store allocation of its own. Memory is never
 * reused: a full slab is dropped and lives on while any of its regions does. For bytes handed to
 * a transport (or arriving from the simulator's links), never built for an application to keep.
 * @internal
 */
export function outgoing (n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n)
  if (n > SLAB_SIZE - slabUsed) { slab = new Uint8Array(SLAB_SIZE); slabUsed = 0 }
  const out = slab.subarray(slabUsed, slabUsed + n)
  slabUsed = (slabUsed + n + 7) & ~7
  return out
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

/** Bytes of a stream frame's length prefix and packet header together. */
const FRAME_HEAD = LENGTH_SIZE + HEADER_SIZE

/** Checks a header's port/flag combination for a payload of `size` bytes. */
function checkShape (dst: number, src: number, flags: number, size: number): void {
  switch (flags) {
    case 0:
    case REPLY:
      if ((flags === REPLY) !== (src !== 0)) throw protocolError(`reply flag ${flags} does not match source port ${src}`)
      return
    case ERROR:
      if (dst === 0 || src !== 0) throw protocolError('error packet needs a destination port and no source port')
      return
    case PING:
    case PONG:
      if (dst !== 0 || src !== 0 || size !== 0) throw protocolError('ping/pong packet must be empty and portless')
      return
    default:
      throw protocolError(`unknown flags 0x${flags.toString(16)}`)
  }
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
  checkShape(dst, src, flags, packet.byteLength - HEADER_SIZE)
  return { dst, src, flags, payload: packet.subarray(HEADER_SIZE) }
}

/**
 * Frames up to this size (bytes) are reassembled in one buffer of their size, allocated with
 * their first payload bytes (a socket reads 64 KiB at a time). Larger ones are gathered piece by
 * piece as they arrive and joined once complete, so a partial frame never holds much more than
 * what the peer sent: a header alone reserves nothing.
 */
export const MIN_BODY: number = 64 * 1024
/** Pieces of a large frame at least this long (and at least half their chunk's buffer) are kept as they are: views of their chunks. */
const KEEP_MIN = 4 * 1024
/** Smaller pieces are copied into accumulators of at most this size, and at most the size of what came before them. */
const ACC_MAX = 64 * 1024

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The decoder may write into the chunks it is given (default false). With it, a large frame
   * that begins in a chunk owning its whole `ArrayBuffer` (as Node sockets emit them) and does
   * not end there is reassembled inside that buffer instead of a fresh one: its first bytes are
   * moved to the buffer's start and the next chunks appended after them — unless a packet
   * handed out earlier is a view of that chunk. Only for chunks nothing else reads.
   */
  reuseChunks?: boolean
}

/**
 * Splits a byte stream into length-prefixed packets, whatever the chunk boundaries, and validates
 * each packet's header. Bounds every length it reads: a frame above `maxFrameSize` fails before
 * any of it is buffered.
 */
export class FrameDecoder {
  readonly #max: number
  readonly #reuse: boolean
  /** Length prefix and header of a frame whose first 13 bytes came in several chunks. */
  readonly #head = new Uint8Array(FRAME_HEAD)
  #headFilled = 0
  #dst = 0
  #src = 0
  #flags = 0
  /** Payload size of the frame being reassembled; -1 while reading a head. */
  #size = -1
  /** The buffer a frame up to {@link MIN_BODY} (or one reassembled in place) is completed in. */
  #body: Uint8Array = EMPTY
  #bodyFilled = 0
  /** The chunk buffer `#body` lies in when reassembling in place (reuseChunks). */
  #reused: ArrayBufferLike | null = null
  /** A larger frame's payload so far, in order: views of chunks, filled accumulators. */
  #parts: Uint8Array[] = []
  /** The accumulator small pieces are copied into (not in `#parts` yet). */
  #acc: Uint8Array = EMPTY
  #accFilled = 0
  /** Bytes of memory `#parts` and `#acc` hold. */
  #held = 0
  #failed = false

  /**
   * A decoder of one connection's incoming bytes.
   *
   * @param maxFrameSize - largest packet (header + payload) accepted
   * @param options - see {@link FrameDecoderOptions}
   */
  constructor (maxFrameSize: number, options?: FrameDecoderOptions) {
    this.#max = maxFrameSize
    this.#reuse = options?.reuseChunks === true
  }

  /** Bytes of an unfinished frame held (non-zero at end of stream = truncated). */
  get buffered (): number {
    return this.#size < 0 ? this.#headFilled : FRAME_HEAD + this.#bodyFilled
  }

  /**
   * Bytes of memory this decoder holds for the unfinished frame: never its declared length up
   * front; for a frame above {@link MIN_BODY}, at most about twice the bytes received of it
   * (chunks kept as views count whole). Zero while a frame is reassembled inside a chunk the
   * decoder was allowed to reuse.
   */
  get reserved (): number {
    return (this.#body.buffer === this.#reused ? 0 : this.#body.byteLength) + this.#held
  }

  /**
   * Feeds a chunk; calls `onpacket` for every complete packet, in order. The payload of a packet
   * that lies whole inside `chunk` is a view of it; others are reassembled (see
   * {@link FrameDecoderOptions.reuseChunks}).
   *
   * @throws NetError `FrameTooLarge` (length above the maximum) or `ProtocolError` (length below
   * the header size, invalid header); the decoder then refuses further input
   */
  push (chunk: Uint8Array, onpacket: (packet: Packet) => void): void {
    if (this.#failed) throw protocolError('decoder already failed')
    let i = 0
    const n = chunk.byteLength
    let viewed = false // a payload handed out is a view of this chunk: its bytes must stay
    while (i < n) {
      if (this.#size < 0) {
        let size: number
        if (this.#headFilled === 0 && n - i >= FRAME_HEAD) {
          size = this.#header(chunk, i)
          i += FRAME_HEAD
          if (n - i >= size) { // whole packet in this chunk: no copy
            onpacket({ dst: this.#dst, src: this.#src, flags: this.#flags, payload: chunk.subarray(i, i + size) })
            viewed = true
            i += size
            continue
          }
          if (this.#reuse && !viewed && chunk.byteOffset === 0 && n === chunk.buffer.byteLength && size <= n && size * 2 >= n) {
            // the rest of this chunk is the start of a large frame, and the chunk owns its whole
            // buffer: move that part of the payload to the buffer's start and append the rest of
            // the frame after it (no allocation, no second copy)
            chunk.copyWithin(0, i, n)
            this.#body = chunk.subarray(0, size)
            this.#reused = chunk.buffer
            this.#size = size
            this.#bodyFilled = n - i
            return
          }
        } else {
          while (this.#headFilled < FRAME_HEAD && i < n) this.#head[this.#headFilled++] = chunk[i++] as number
          if (this.#headFilled < FRAME_HEAD) {
            if (this.#headFilled >= LENGTH_SIZE) this.#check(readU32(this.#head, 0))
            return
          }
          this.#headFilled = 0
          size = this.#header(this.#head, 0)
        }
        if (size === 0) { onpacket({ dst: this.#dst, src: this.#src, flags: this.#flags, payload: EMPTY }); continue }
        this.#size = size // memory comes with the bytes: a header alone reserves nothing
        this.#bodyFilled = 0
        continue
      }
      const size = this.#size
      const filled = this.#bodyFilled
      const take = Math.min(size - filled, n - i)
      const piece = chunk.subarray(i, i + take)
      i += take
      if (this.#body !== EMPTY || size <= MIN_BODY) {
        if (this.#body === EMPTY) this.#body = new Uint8Array(size)
        this.#body.set(piece, filled)
      } else {
        this.#gather(piece)
      }
      this.#bodyFilled = filled + take
      if (this.#bodyFilled === size) {
        const payload = this.#body !== EMPTY ? this.#body : this.#join()
        if (payload.buffer === chunk.buffer) viewed = true
        this.#size = -1
        this.#body = EMPTY
        this.#reused = null
        this.#bodyFilled = 0
        onpacket({ dst: this.#dst, src: this.#src, flags: this.#flags, payload })
      }
    }
  }

  /** Adds the next piece of a large frame: kept as it is when large, else copied (drips fill small accumulators). */
  #gather (piece: Uint8Array): void {
    const n = piece.byteLength
    if (n >= KEEP_MIN && n * 2 >= piece.buffer.byteLength) { // held, never written: no copy until the join
      this.#close()
      this.#parts.push(piece)
      this.#held += piece.buffer.byteLength
      return
    }
    let at = 0
    while (at < n) {
      if (this.#accFilled === this.#acc.byteLength) {
        this.#close()
        // no larger than what came before (drips get small ones), nor than what is still due
        const before = this.#bodyFilled + at
        const due = this.#size - before
        this.#acc = new Uint8Array(Math.min(due, Math.max(n - at, Math.min(ACC_MAX, Math.max(256, before)))))
        this.#held += this.#acc.byteLength
      }
      const k = Math.min(this.#acc.byteLength - this.#accFilled, n - at)
      this.#acc.set(piece.subarray(at, at + k), this.#accFilled)
      this.#accFilled += k
      at += k
    }
  }

  /** Moves the accumulator's bytes to the parts (copied out when it is mostly empty, to free it). */
  #close (): void {
    const filled = this.#accFilled
    if (filled === 0) return
    const acc = this.#acc
    const kept = filled * 2 >= acc.byteLength ? acc.subarray(0, filled) : acc.slice(0, filled)
    this.#held += kept.buffer.byteLength - acc.byteLength
    this.#parts.push(kept)
    this.#acc = EMPTY
    this.#accFilled = 0
  }

  /** The complete payload of a large frame: its parts joined (one copy), or its single part. */
  #join (): Uint8Array {
    this.#close()
    const parts = this.#parts
    this.#parts = []
    this.#held = 0
    if (parts.length === 1) return parts[0] as Uint8Array
    const out = new Uint8Array(this.#size)
    let at = 0
    for (const p of parts) { out.set(p, at); at += p.byteLength }
    return out
  }

  /** Reads and validates a length prefix + header at `offset`; returns the payload size. */
  #header (buf: Uint8Array, offset: number): number {
    const length = readU32(buf, offset)
    this.#check(length)
    const size = length - HEADER_SIZE
    const dst = readU32(buf, offset + 4)
    const src = readU32(buf, offset + 8)
    const flags = buf[offset + 12] as number
    try {
      checkShape(dst, src, flags, size)
    } catch (err) {
      this.#failed = true
      throw err
    }
    this.#dst = dst
    this.#src = src
    this.#flags = flags
    return size
  }

  #check (length: number): void {
    if (length > this.#max) { this.#failed = true; throw frameTooLarge(length, this.#max) }
    if (length < HEADER_SIZE) { this.#failed = true; throw protocolError(`frame length ${length} is shorter than the ${HEADER_SIZE}-byte header`) }
  }
}

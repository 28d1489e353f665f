// One connection of the sync protocol (PROTOCOL.md): handshake, a sequential inbound queue,
// a sequential outbound queue, and the limits that get a misbehaving peer dropped.
import { compare, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import type { Plug, Reply } from '../net/index.js'
import {
  BYE_CLOSED, BYE_DUPLICATE, BYE_FLOOD, BYE_INVALID_BLOCKS, BYE_PROTOCOL, BYE_VERSION, NONCE_BYTES, PROTOCOL_VERSION
} from './constants.js'
import { KernelError } from './errors.js'
import type { KernelErrorCode } from './errors.js'
import { decodeMessage, encodeBlocks, encodeBye, encodeHello, encodeSummary, encodeWant, splitForWire } from './protocol.js'
import type { Message, SummaryEntry } from './protocol.js'
import type { PeerInfo, SyncLimits } from './types.js'

/** What a connection needs from its node. @internal */
export interface PeerHost {
  readonly nodeId: Uint8Array
  readonly limits: SyncLimits
  /** Resolves once the block source can be used (the kernel booted). */
  readonly ready: Promise<void>
  /** Handshake done: keep this connection? (duplicate resolution) */
  register (peer: Peer): boolean
  /** The connection closed. */
  unregister (peer: Peer, error: Error | null): void
  summary (): Promise<SummaryEntry[]>
  query (summary: SummaryEntry[], peer: Peer): Promise<Feed[]>
  ingest (feed: Feed, peer: Peer): Promise<Uint8Array | undefined>
  upTo (id: Uint8Array): Promise<Feed | undefined>
}

const BYE_CODES: Partial<Record<KernelErrorCode, number>> = {
  VersionMismatch: BYE_VERSION,
  ProtocolError: BYE_PROTOCOL,
  InvalidBlocks: BYE_INVALID_BLOCKS,
  Flood: BYE_FLOOD,
  DuplicatePeer: BYE_DUPLICATE
}
const CODES_BY_BYE: Record<number, KernelErrorCode> = {
  [BYE_VERSION]: 'VersionMismatch',
  [BYE_PROTOCOL]: 'ProtocolError',
  [BYE_INVALID_BLOCKS]: 'InvalidBlocks',
  [BYE_FLOOD]: 'Flood',
  [BYE_DUPLICATE]: 'DuplicatePeer'
}

function randomBytes (n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/** @internal */
export class Peer {
  readonly plug: Plug
  readonly host: PeerHost
  readonly nonce: Uint8Array = randomBytes(NONCE_BYTES)
  /** Set by the handshake. */
  info: PeerInfo | undefined
  /** Tie-break key of duplicate wires: min(nonces) ‖ max(nonces). */
  key: Uint8Array | undefined
  closed = false
  /** Our delta for the peer is queued: live gossip may follow it. */
  synced = false
  #gotSummary = false
  #held: Feed[] = []
  #heldBytes = 0
  #inbox: Uint8Array[] = []
  #inboxBytes = 0
  #pumping: Promise<void> | null = null
  #outbound: Promise<unknown> = Promise.resolve()
  #outboundBytes = 0
  #wants = new Set<string>()
  /** Bytes handed to the wire, for measurements. */
  bytesSent = 0

  constructor (host: PeerHost, plug: Plug) {
    this.host = host
    this.plug = plug
    plug.closed.then(err => this.#onclosed(err), () => {})
  }

  /** Opens our end and says hello. */
  start (): void {
    this.plug.open((msg, reply) => this.#onmessage(msg, reply)).catch(() => {})
    this.#post(encodeHello(this.host.nodeId, this.nonce))
  }

  /** Sends chain segments in order, split to the message limits. */
  sendFeeds (feeds: readonly Feed[]): void {
    if (this.closed) return
    if (!this.synced) {
      // Before our delta is queued, live blocks wait so the peer never sees a block before its parents.
      for (const f of feeds) this.#heldBytes += f.tail
      this.#held.push(...feeds)
      if (this.#heldBytes > this.host.limits.maxOutboundBytes) {
        this.fail(new KernelError('Flood', 'peer sent no summary while live blocks piled up'))
      }
      return
    }
    const { maxBlocksPerMessage, maxMessageSize } = this.host.limits
    for (const feed of feeds) {
      if (feed.length === 0) continue
      for (const part of splitForWire(feed, maxBlocksPerMessage, maxMessageSize)) this.#post(encodeBlocks(part))
    }
  }

  /** Drops the connection with `error` (a `bye` goes first, best effort). */
  fail (error: KernelError): void {
    if (this.closed) return
    const code = BYE_CODES[error.code] ?? BYE_CLOSED
    this.#bye(code, error.message, error)
  }

  /** Closes politely (kernel halt). */
  close (): void {
    if (this.closed) return
    this.#bye(BYE_CLOSED, 'closed', undefined)
  }

  /** Resolves when no inbound message is being processed. */
  async idle (): Promise<void> {
    while (this.#pumping !== null) await this.#pumping
  }

  #bye (code: number, reason: string, error: Error | undefined): void {
    this.closed = true
    this.#inbox = []
    const done = (): void => { this.plug.close(error) }
    if (!this.plug.isActive) { done(); return }
    const timer = setTimeout(done, 200)
    this.plug.postMessage(encodeBye(code, reason), false).then(() => {}, () => {}).finally(() => { clearTimeout(timer); done() })
  }

  #post (bytes: Uint8Array): void {
    if (this.closed) return
    this.#outboundBytes += bytes.length
    if (this.#outboundBytes > this.host.limits.maxOutboundBytes) {
      this.fail(new KernelError('Flood', `peer too slow: more than ${this.host.limits.maxOutboundBytes} bytes waiting to be sent`))
      return
    }
    this.#outbound = this.#outbound.then(async () => {
      if (this.closed) return
      this.bytesSent += bytes.length
      try {
        await this.plug.postMessage(bytes, false, { timeout: 0 })
      } catch (err) {
        if (!this.closed) this.plug.close(err instanceof Error ? err : undefined)
      } finally {
        this.#outboundBytes -= bytes.length
      }
    })
  }

  #onmessage (msg: Uint8Array, reply: Reply | null): void {
    if (this.closed) return
    const limits = this.host.limits
    if (reply !== null) {
      reply.reject(new KernelError('ProtocolError', 'the sync protocol expects no replies'))
      this.fail(new KernelError('ProtocolError', 'peer asked for a reply'))
      return
    }
    if (msg.length > limits.maxMessageSize) {
      this.fail(new KernelError('ProtocolError', `message of ${msg.length} bytes exceeds ${limits.maxMessageSize}`))
      return
    }
    this.#inbox.push(msg)
    this.#inboxBytes += msg.length
    if (this.#inboxBytes > limits.maxQueueBytes || this.#inbox.length > limits.maxQueueMessages) {
      this.fail(new KernelError('Flood', `more than ${limits.maxQueueMessages} messages or ${limits.maxQueueBytes} bytes queued`))
      return
    }
    if (this.#pumping === null) this.#pumping = this.#pump()
  }

  async #pump (): Promise<void> {
    try {
      while (!this.closed && this.#inbox.length > 0) {
        const msg = this.#inbox[0] as Uint8Array
        try {
          await this.#handle(decodeMessage(msg, { maxMessageSize: this.host.limits.maxMessageSize, maxBlocks: this.host.limits.maxBlocksPerMessage }))
        } catch (err) {
          if (this.closed) break
          this.fail(err instanceof KernelError ? err : new KernelError('ProtocolError', 'failed to process a message', { cause: err }))
          break
        }
        this.#inbox.shift()
        this.#inboxBytes -= msg.length
      }
    } finally {
      this.#pumping = null
    }
  }

  async #handle (m: Message): Promise<void> {
    if (m.type === 'bye') {
      const code = CODES_BY_BYE[m.code]
      this.closed = true
      this.plug.close(code === undefined ? undefined : new KernelError(code, `peer said bye: ${m.reason}`))
      return
    }
    if (m.type === 'hello') {
      if (this.info !== undefined) throw new KernelError('ProtocolError', 'second hello')
      if (m.version !== PROTOCOL_VERSION) throw new KernelError('VersionMismatch', `peer speaks version ${m.version}, we speak ${PROTOCOL_VERSION}`)
      const lo = compare(this.nonce, m.nonce) <= 0
      this.key = new Uint8Array([...(lo ? this.nonce : m.nonce), ...(lo ? m.nonce : this.nonce)])
      this.info = { nodeId: toHex(m.nodeId), since: Date.now() }
      if (!this.host.register(this)) return
      await this.host.ready
      if (this.closed) return
      this.#post(encodeSummary(await this.host.summary()))
      return
    }
    if (this.info === undefined) throw new KernelError('ProtocolError', `${m.type} before hello`)
    await this.host.ready
    if (this.closed) return
    switch (m.type) {
      case 'summary': {
        if (this.#gotSummary) throw new KernelError('ProtocolError', 'second summary')
        this.#gotSummary = true
        const feeds = await this.host.query(m.entries, this)
        if (this.closed) return
        this.synced = true
        const held = this.#held
        this.#held = []
        this.#heldBytes = 0
        this.sendFeeds(feeds)
        this.sendFeeds(held)
        return
      }
      case 'blocks': {
        const missing = await this.host.ingest(m.feed, this)
        if (missing !== undefined && !this.closed) {
          const k = toHex(missing)
          if (!this.#wants.has(k) && this.#wants.size < this.host.limits.maxWants) {
            this.#wants.add(k)
            this.#post(encodeWant(missing))
          }
        }
        return
      }
      case 'want': {
        const feed = await this.host.upTo(m.id)
        if (feed !== undefined) this.sendFeeds([feed])
      }
    }
  }

  #onclosed (err: Error | null): void {
    this.closed = true
    this.#inbox = []
    this.#held = []
    this.host.unregister(this, err)
  }
}

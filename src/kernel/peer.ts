// One connection of the sync protocol (PROTOCOL.md): an authenticated handshake, a flow-
// controlled inbound queue processed one message a turn, an outbound queue fed lazily from the
// answers it owes, and the limits that get a misbehaving peer dropped.
import { toHex } from '../feed/index.js'
import { latin1 } from '../internal/bytes.js'
import type { Feed } from '../feed/index.js'
import type { Plug, Reply } from '../net/index.js'
import {
  BYE_AUTH, BYE_CLOSED, BYE_DUPLICATE, BYE_FLOOD, BYE_HANDSHAKE_TIMEOUT, BYE_INVALID_BLOCKS, BYE_PROTOCOL, BYE_SLOW,
  BYE_VERSION, CHAIN_ID_BYTES, MAX_HEADS_PER_MESSAGE, MAX_QUEUE_BYTES, MESSAGE_OVERHEAD, MSG_ACK, MSG_BLOCKS, MSG_BYE,
  NONCE_BYTES, PROTOCOL_VERSION, RECON_MAX_QUERIES, SUMMARY_CHAIN_BYTES, VERIFY_AHEAD_BYTES
} from './constants.js'
import { KernelError } from './errors.js'
import type { KernelErrorCode } from './errors.js'
import {
  authPayload, decodeMessage, encodeAck, encodeAuth, encodeBlocks, encodeBye, encodeHeads, encodeHello, encodeSummary,
  encodeWant, splitForWire
} from './protocol.js'
import type { HeadEntry, Message, Summary } from './protocol.js'
import { ReconSession, answerQuery, answerSummary, encodeRecon, isSummary } from './recon.js'
import type { ReconIndex } from './recon.js'
import type { PeerInfo, SyncAnswer, SyncLimits } from './types.js'
import { yieldTurn } from './yield.js'

/** What a connection needs from its node. @internal */
export interface PeerHost {
  readonly nodeKey: Uint8Array
  readonly limits: SyncLimits
  /** Resolves once the block source can be used (the kernel booted). */
  readonly ready: Promise<void>
  /** Signs an `auth` payload with the node key. */
  sign (payload: Uint8Array): Uint8Array
  /** Verifies a peer's `auth` signature. */
  verify (sig: Uint8Array, payload: Uint8Array, key: Uint8Array): boolean
  /** Handshake done: keep this connection? (duplicate resolution) */
  register (peer: Peer): boolean
  /** The connection closed. */
  unregister (peer: Peer, error: Error | null): void
  /** Our chains as reconciled (cached while they do not change). */
  reconIndex (): Promise<ReconIndex>
  query (summary: Summary, peer: Peer): SyncAnswer | Promise<SyncAnswer>
  ingest (feed: Feed, peer: Peer): Promise<Uint8Array | undefined>
  /** Checks a message's signatures ahead of its turn (rejects with `InvalidBlocks`). */
  prepare (feed: Feed): Promise<void>
  /** Whether the block `id` is stored (a want answered). */
  has (id: Uint8Array): Promise<boolean>
  /** Blocks of the chain of `id` after height `known`, up to `id`; nothing when none. */
  answerWant (id: Uint8Array, known: Map<string, number>): Promise<AsyncIterable<Feed> | undefined>
  /** A peer's `have`: decides what to fetch from it. */
  onHave (peer: Peer, entries: readonly HeadEntry[]): Promise<void>
  /** Blocks of `chainId` from height `from` on, less what `known` says the peer holds or was sent. */
  answerFetch (chainId: Uint8Array, from: number, known: Map<string, number>): Promise<AsyncIterable<Feed> | undefined>
  /** Node-wide accounting of inbound bytes queued (charged). */
  account (inbound: number): void
  /** Node-wide accounting of an outbound buffer: counted once however many peers hold it. */
  hold (buf: Uint8Array, delta: 1 | -1): void
}

const BYE_CODES: Partial<Record<KernelErrorCode, number>> = {
  VersionMismatch: BYE_VERSION,
  ProtocolError: BYE_PROTOCOL,
  InvalidBlocks: BYE_INVALID_BLOCKS,
  Flood: BYE_FLOOD,
  DuplicatePeer: BYE_DUPLICATE,
  AuthFailed: BYE_AUTH,
  HandshakeTimeout: BYE_HANDSHAKE_TIMEOUT,
  SlowPeer: BYE_SLOW
}
const CODES_BY_BYE: Record<number, KernelErrorCode> = {
  [BYE_VERSION]: 'VersionMismatch',
  [BYE_PROTOCOL]: 'ProtocolError',
  [BYE_INVALID_BLOCKS]: 'InvalidBlocks',
  [BYE_FLOOD]: 'Flood',
  [BYE_DUPLICATE]: 'DuplicatePeer',
  [BYE_AUTH]: 'AuthFailed',
  [BYE_HANDSHAKE_TIMEOUT]: 'HandshakeTimeout',
  [BYE_SLOW]: 'SlowPeer'
}

function randomBytes (n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/** Bytes a message is charged against a window and the queue limits. */
export const charge = (msg: Uint8Array): number => msg.length + MESSAGE_OVERHEAD

/** Bytes that must be acknowledged (everything but `ack` and `bye`). */
const counted = (msg: Uint8Array): boolean => msg[0] !== MSG_ACK && msg[0] !== MSG_BYE

/** A message received and not processed yet; decoded and checked ahead of its turn when it holds blocks. */
interface Inbound {
  readonly msg: Uint8Array
  decoded?: Message
  /** Why it does not decode (thrown when its turn comes). */
  error?: unknown
  /** Its signature checks, started ahead of its turn. */
  prepared?: Promise<void>
}

/** @internal */
export class Peer {
  readonly plug: Plug
  readonly host: PeerHost
  readonly nonce: Uint8Array = randomBytes(NONCE_BYTES)
  /** Set once the handshake is complete (the peer proved its key). */
  info: PeerInfo | undefined
  /** The peer's node key, once its hello arrived. */
  remoteKey: Uint8Array | undefined
  /**
   * Tie-break key among duplicate wires: the nonce that the node with the lower key chose for
   * this wire. Both ends compute the same key, and only one of them picks it.
   */
  key: Uint8Array | undefined
  closed = false
  /** Our answer to the peer's summary is sent. */
  synced = false
  /** Chains the node is fetching from this peer (bookkept by the node). */
  fetches = 0
  /** Bytes handed to the wire, for measurements. */
  bytesSent = 0
  /** Inbound bytes queued (charged), for the node's budget. */
  inboxBytes = 0
  /** Outbound bytes queued or held (charged), for the node's budget. */
  outboundBytes = 0

  #remoteNonce: Uint8Array | undefined
  #gotSummary = false
  /** Our reconciliation (we learn the peer's head of each of our chains), once started. */
  #session: Promise<ReconSession> | undefined
  /** Our reconciliation ended: the answer (what the peer lacks) is under way. */
  #reconciled = false
  /** Queries (a summary included) we sent and the peer has not replied to yet. */
  #repliesDue = 0
  /** Queries (a summary included) the peer sent. */
  #queries = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  // inbound
  #inbox: Inbound[] = []
  #pumping: Promise<void> | null = null
  #unacked = 0
  #wantsReceived = 0
  /** Wants sent and not seen answered yet, by block id (hex), with the orphan messages waiting on each. */
  #wantsSent = new Map<string, { id: Uint8Array, orphans: number }>()
  /** Orphan messages waiting on the wants of {@link Peer.#wantsSent}. */
  #orphans = 0
  /**
   * Per chain of ours ({@link chainKey}), the height the peer holds or was sent on this
   * connection: what it announced or sent us, and what we sent it through wants and fetches.
   */
  #known = new Map<string, number>()
  /** Heads to announce at the next flush, by chain. */
  #haves = new Map<string, HeadEntry>()
  /** A flush waits for the queue to drain. */
  #havesDue = false
  // outbound
  #window = MAX_QUEUE_BYTES
  #inflight = 0
  #queue: Uint8Array[] = []
  /** The message being handed to the wire (held until written, or until the connection closes). */
  #posting: Uint8Array | null = null
  #jobs: Array<AsyncIterator<Feed> | Iterator<Feed>> = []
  /** The answer to the peer's summary, while it is being sent. */
  #delta: AsyncIterator<Feed> | Iterator<Feed> | undefined
  #writing = false
  /** The read of the current answer under way, if any. */
  #pulling: Promise<void> | null = null

  constructor (host: PeerHost, plug: Plug) {
    this.host = host
    this.plug = plug
    plug.closed.then(err => this.#onclosed(err), () => {})
  }

  /** Opens our end, says hello and starts the handshake deadline. */
  start (): void {
    this.plug.open((msg, reply) => this.#onmessage(msg, reply)).catch(() => {})
    const limits = this.host.limits
    this.#timer = setTimeout(() => {
      this.fail(new KernelError('HandshakeTimeout', `no handshake within ${limits.handshakeTimeout} ms`))
    }, limits.handshakeTimeout)
    this.#send(encodeHello(this.host.nodeKey, this.nonce, limits.maxQueueBytes))
  }

  /** Records that the peer holds chain `k` up to `height` (it will not be announced to it). */
  noteHeld (k: string, height: number): void {
    if ((this.#known.get(k) ?? -1) < height) this.#known.set(k, height)
  }

  /** The height of chain `chainId` the peer is known to hold (announced, sent us, or was sent), -1 when unknown. */
  knownHeight (chainId: Uint8Array): number {
    return this.#known.get(chainKey(chainId)) ?? -1
  }

  /** Queues a head for the next `have`, unless the peer is known to hold it. */
  announce (k: string, chainId: Uint8Array, height: number): void {
    if (this.closed || (this.#known.get(k) ?? -1) >= height) return
    const queued = this.#haves.get(k)
    if (queued === undefined || queued.height < height) this.#haves.set(k, { chainId, height })
  }

  /**
   * Sends the queued heads, one message of at most {@link MAX_HEADS_PER_MESSAGE} (fewer under a
   * small `maxOutboundBytes`), and only once everything sent before is written: for a peer that
   * reads slowly or not at all they wait here, one entry per chain, instead of piling up in its
   * queue.
   */
  flushHaves (): void {
    if (this.closed || this.#haves.size === 0) return
    if (this.outboundBytes > 0) { this.#havesDue = true; return } // sent when the queue drains
    this.#havesDue = false
    // a message well within what may wait for this peer (maxOutboundBytes)
    const max = Math.min(MAX_HEADS_PER_MESSAGE, Math.max(1, Math.floor(this.host.limits.maxOutboundBytes / 8 / (CHAIN_ID_BYTES + 5))))
    const entries: HeadEntry[] = []
    for (const [k, e] of this.#haves) {
      this.#haves.delete(k)
      if ((this.#known.get(k) ?? -1) < e.height) entries.push(e) // it may have sent them meanwhile
      if (entries.length === max) break
    }
    if (this.#haves.size > 0) this.#havesDue = true
    if (entries.length > 0) this.#send(encodeHeads('have', entries))
  }

  /** Asks the peer for chains (each from the first height we lack). */
  fetch (entries: readonly HeadEntry[]): void {
    for (let i = 0; i < entries.length; i += MAX_HEADS_PER_MESSAGE) this.#send(encodeHeads('fetch', entries.slice(i, i + MAX_HEADS_PER_MESSAGE)))
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

  // ── outbound ───────────────────────────────────────────────────────────────────────────

  #hold (msg: Uint8Array, into: Uint8Array[]): void {
    into.push(msg)
    this.host.hold(msg, 1)
    this.outboundBytes += charge(msg)
  }

  #release (msg: Uint8Array): void {
    this.host.hold(msg, -1)
    this.outboundBytes -= charge(msg)
  }

  #checkOutbound (): void {
    const max = this.host.limits.maxOutboundBytes
    if (this.outboundBytes > max) this.fail(new KernelError('SlowPeer', `peer reads too slowly: more than ${max} bytes waiting to be sent`))
  }

  /** Queues a control message (hello, auth, summary, recon, have, fetch, want, ack, bye). */
  #send (msg: Uint8Array): void {
    if (this.closed) return
    this.#hold(msg, this.#queue)
    this.#checkOutbound()
    this.#flush()
  }

  /** Writes queued messages in order while the peer's window allows. */
  #flush (): void {
    if (this.#writing || this.closed) return
    this.#writing = true
    void this.#write()
  }

  async #write (): Promise<void> {
    try {
      while (!this.closed) {
        const msg = this.#queue[0]
        if (msg === undefined) {
          // another answer may follow a finished one
          if (this.#jobs.length > 0) { await this.#pull(); if (this.#queue.length > 0 || this.#jobs.length > 0) continue }
          if (this.#havesDue && this.outboundBytes === 0) { this.flushHaves(); if (this.#queue.length > 0) continue }
          break
        }
        const cost = counted(msg) ? charge(msg) : 0
        if (this.#inflight + cost > this.#window && this.#inflight > 0) break // wait for an ack
        this.#queue.shift()
        this.#inflight += cost
        this.bytesSent += msg.length
        this.#posting = msg
        try {
          await this.plug.postMessage(msg, false, { timeout: 0 })
        } catch (err) {
          if (!this.closed) this.plug.close(err instanceof Error ? err : undefined)
        } finally {
          if (this.#posting === msg) { this.#posting = null; this.#release(msg) } // else released on close
        }
        if (this.#queue.length < 2 && this.#jobs.length > 0) void this.#pull()
      }
    } finally {
      this.#writing = false
    }
  }

  /** Adds a lazy answer (summary delta, want answer) to read from as the queue drains. */
  #answer (answer: SyncAnswer, delta: boolean): void {
    const it = Symbol.asyncIterator in answer ? answer[Symbol.asyncIterator]() : answer[Symbol.iterator]()
    if (delta) this.#delta = it
    this.#jobs.push(it)
    this.#flush()
  }

  /** Reads the next segment of the current answer into the queue (one at a time). */
  #pull (): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.#pulling ??= this.#read().finally(() => { this.#pulling = null; this.#flush() })
    return this.#pulling
  }

  async #read (): Promise<void> {
    try {
      const job = this.#jobs[0]
      if (job === undefined) return
      const next = await job.next()
      if (this.closed) return
      if (next.done === true) {
        this.#jobs.shift()
        if (job === this.#delta) this.#synced()
      } else {
        const { maxBlocksPerMessage, maxMessageSize } = this.host.limits
        const feed = next.value
        if (feed.length > 0) {
          for (const part of splitForWire(feed, maxBlocksPerMessage, maxMessageSize)) this.#hold(encodeBlocks(part), this.#queue)
        }
        this.#checkOutbound()
      }
    } catch (err) {
      this.fail(err instanceof KernelError ? err : new KernelError('ProtocolError', 'failed to read blocks for the peer', { cause: err }))
    }
  }

  /** The delta is sent. */
  #synced (): void {
    this.synced = true
    this.#delta = undefined
  }

  #bye (code: number, reason: string, error: Error | undefined): void {
    this.closed = true
    this.#cleanup()
    const done = (): void => { this.plug.close(error) }
    if (!this.plug.isActive) { done(); return }
    const timer = setTimeout(done, 200)
    this.plug.postMessage(encodeBye(code, reason), false).then(() => {}, () => {}).finally(() => { clearTimeout(timer); done() })
  }

  // ── inbound ────────────────────────────────────────────────────────────────────────────

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
    this.#inbox.push({ msg })
    this.inboxBytes += charge(msg)
    this.host.account(charge(msg))
    if (this.inboxBytes > limits.maxQueueBytes) {
      this.fail(new KernelError('Flood', `more than the window of ${limits.maxQueueBytes} bytes sent without waiting for an ack`))
      return
    }
    if (this.#pumping === null) this.#pumping = this.#pump()
    else this.#ahead()
  }

  #decode (entry: Inbound): Message {
    if (entry.decoded !== undefined) return entry.decoded
    if (entry.error !== undefined) throw entry.error
    const limits = this.host.limits
    try {
      entry.decoded = decodeMessage(entry.msg, { maxMessageSize: limits.maxMessageSize, maxBlocks: limits.maxBlocksPerMessage })
    } catch (err) {
      entry.error = err
      throw err
    }
    return entry.decoded
  }

  /**
   * Starts the signature checks of the queued `blocks` messages (the one being processed and
   * those after it, up to {@link VERIFY_AHEAD_BYTES}, at least one), so that a message is
   * checked while the one before it is written. Work stays one check per block sent; a
   * failure surfaces, in order, when the message's turn comes.
   */
  #ahead (): void {
    if (this.info === undefined || this.closed) return
    let bytes = 0
    for (let i = 0; i < this.#inbox.length; i++) {
      const entry = this.#inbox[i] as Inbound
      if (i > 1 && bytes >= VERIFY_AHEAD_BYTES) break
      if (i > 0) bytes += entry.msg.length
      if (entry.prepared !== undefined || entry.msg[0] !== MSG_BLOCKS) continue
      let m: Message
      try {
        m = this.#decode(entry)
      } catch {
        break
      }
      if (m.type !== 'blocks') continue
      entry.prepared = this.host.prepare(m.feed)
      entry.prepared.catch(() => {})
    }
  }

  /** Processes queued messages one a turn, yielding between them so no peer starves the rest. */
  async #pump (): Promise<void> {
    try {
      while (!this.closed && this.#inbox.length > 0) {
        const entry = this.#inbox[0] as Inbound
        const msg = entry.msg
        try {
          const m = this.#decode(entry)
          this.#ahead()
          await this.#handle(m, entry.prepared)
        } catch (err) {
          if (this.closed) break
          this.fail(err instanceof KernelError ? err : new KernelError('ProtocolError', 'failed to process a message', { cause: err }))
          break
        }
        if (this.closed) break
        this.#inbox.shift()
        this.inboxBytes -= charge(msg)
        this.host.account(-charge(msg))
        if (counted(msg)) this.#ack(charge(msg))
        // A turn for the others only when this peer has more waiting: a lone message needs none
        // (the next one arrives in a later turn anyway), and a yield per message was an event
        // loop turn per message.
        if (this.#inbox.length > 0) await yieldTurn()
      }
    } finally {
      this.#pumping = null
    }
  }

  /** Acknowledges processed bytes once a quarter of our window has been processed. */
  #ack (bytes: number): void {
    this.#unacked += bytes
    if (this.#unacked * 4 >= this.host.limits.maxQueueBytes) {
      this.#send(encodeAck(this.#unacked))
      this.#unacked = 0
    }
  }

  async #handle (m: Message, prepared?: Promise<void>): Promise<void> {
    switch (m.type) {
      case 'bye': {
        const code = CODES_BY_BYE[m.code]
        this.closed = true
        this.#cleanup()
        this.plug.close(code === undefined ? undefined : new KernelError(code, `peer said bye: ${m.reason}`))
        return
      }
      case 'ack': {
        if (m.bytes > this.#inflight) throw new KernelError('ProtocolError', `ack of ${m.bytes} bytes, ${this.#inflight} in flight`)
        this.#inflight -= m.bytes
        this.#flush()
        return
      }
      case 'hello': return this.#hello(m)
      case 'auth': return this.#auth(m.sig)
    }
    if (this.info === undefined) throw new KernelError('ProtocolError', `${m.type} before the handshake`)
    await this.host.ready
    if (this.closed) return
    switch (m.type) {
      case 'summary': {
        if (this.#gotSummary) throw new KernelError('ProtocolError', 'second summary')
        this.#gotSummary = true
        this.#query()
        // Answered like a listed node, and taken as the result of our own reconciliation.
        this.#send(encodeRecon({ kind: 'reply', nodes: [answerSummary(await this.host.reconIndex(), m.summary)] }))
        const session = await this.#session
        if (session === undefined || this.closed || this.#reconciled) return
        session.adopt(m.summary)
        return await this.#reconciledWith(session)
      }
      case 'recon': {
        const r = m.recon
        if (r.kind === 'query') {
          this.#query()
          this.#send(encodeRecon({ kind: 'reply', nodes: answerQuery(await this.host.reconIndex(), r.nodes) }))
          return
        }
        if (this.#repliesDue === 0) throw new KernelError('ProtocolError', 'a recon reply to no query')
        this.#repliesDue--
        const session = await this.#session
        if (session === undefined || this.closed || this.#reconciled) return // the peer's summary ended it
        this.#ask(session.onReply(r.nodes))
        if (session.done) await this.#reconciledWith(session)
        return
      }
      case 'blocks': {
        if (prepared !== undefined) await prepared
        if (this.closed) return
        const missing = await this.host.ingest(m.feed, this)
        if (missing !== undefined && !this.closed) {
          const k = toHex(missing)
          if (++this.#orphans > this.host.limits.maxWants) await this.#pruneWants()
          const want = this.#wantsSent.get(k)
          if (want !== undefined) { want.orphans++; return }
          this.#wantsSent.set(k, { id: missing, orphans: 1 })
          this.#send(encodeWant(missing))
        }
        return
      }
      case 'have': return await this.host.onHave(this, m.entries)
      case 'fetch': {
        for (const e of m.entries) {
          const answer = await this.host.answerFetch(e.chainId, e.height, this.#known)
          if (this.closed) return
          if (answer !== undefined) this.#answer(answer, false)
        }
        return
      }
      case 'want': {
        if (++this.#wantsReceived > this.host.limits.maxWantsReceived) {
          throw new KernelError('Flood', `more than ${this.host.limits.maxWantsReceived} wants`)
        }
        const answer = await this.host.answerWant(m.id, this.#known)
        if (answer !== undefined && !this.closed) this.#answer(answer, false)
      }
    }
  }

  /**
   * Past the limit of orphan messages: forgets the wants that were answered (their block is
   * stored now). An honest peer answers every want (it holds the parent of what it sent), so
   * orphans still waiting mean a flood of orphans whose parents never come. More than half the
   * limit must be gone, so this costs at most two index reads per orphan message.
   */
  async #pruneWants (): Promise<void> {
    for (const [k, want] of [...this.#wantsSent]) {
      if (!(await this.host.has(want.id))) continue
      this.#wantsSent.delete(k)
      this.#orphans -= want.orphans
    }
    const max = this.host.limits.maxWants
    if (this.#orphans > max / 2) throw new KernelError('Flood', `more than ${max} orphans whose missing parents the peer did not send when asked`)
  }

  #hello (m: Extract<Message, { type: 'hello' }>): void {
    if (this.remoteKey !== undefined) throw new KernelError('ProtocolError', 'second hello')
    if (m.version !== PROTOCOL_VERSION) throw new KernelError('VersionMismatch', `peer speaks version ${m.version}, we speak ${PROTOCOL_VERSION}`)
    if (m.window < MAX_QUEUE_BYTES) throw new KernelError('ProtocolError', `window of ${m.window} bytes, at least ${MAX_QUEUE_BYTES}`)
    this.remoteKey = m.nodeKey
    this.#remoteNonce = m.nonce
    this.#window = m.window
    const ours = this.host.nodeKey
    this.#send(encodeAuth(this.host.sign(authPayload(m.nonce, m.nodeKey, this.nonce, ours))))
  }

  #auth (sig: Uint8Array): void {
    const key = this.remoteKey
    const nonce = this.#remoteNonce
    if (key === undefined || nonce === undefined) throw new KernelError('ProtocolError', 'auth before hello')
    if (this.info !== undefined) throw new KernelError('ProtocolError', 'second auth')
    const ours = this.host.nodeKey
    if (!this.host.verify(sig, authPayload(this.nonce, ours, nonce, key), key)) {
      throw new KernelError('AuthFailed', 'the peer did not prove its node key')
    }
    clearTimeout(this.#timer)
    this.key = lowerKeyFirst(ours, key) ? this.nonce : nonce
    this.info = { nodeId: toHex(key), since: Date.now() }
    if (!this.host.register(this)) return
    this.#session = this.#openRecon()
    this.#session.catch(err => {
      this.fail(err instanceof KernelError ? err : new KernelError('ProtocolError', 'failed to summarise our chains', { cause: err }))
    })
  }

  /** Starts our reconciliation: a `summary` when we hold few chains, else our root fingerprint. */
  async #openRecon (): Promise<ReconSession> {
    await this.host.ready
    const session = new ReconSession(await this.host.reconIndex())
    if (this.closed) return session
    const first = session.open()
    const only = first[0]
    if (first.length === 1 && only !== undefined && isSummary(only)) {
      this.#repliesDue++
      this.#send(encodeSummary(only[0].entries))
    } else {
      this.#ask(first)
    }
    if (session.done) await this.#reconciledWith(session)
    return session
  }

  /** Sends queries of our reconciliation. */
  #ask (batches: ReturnType<ReconSession['open']>): void {
    for (const nodes of batches) {
      this.#repliesDue++
      this.#send(encodeRecon({ kind: 'query', nodes }))
    }
  }

  /** Counts a query of the peer's. */
  #query (): void {
    if (++this.#queries > RECON_MAX_QUERIES) throw new KernelError('Flood', `more than ${RECON_MAX_QUERIES} recon queries`)
  }

  /** Our reconciliation is over: send what the peer lacks (PROTOCOL.md, Exchange). */
  async #reconciledWith (session: ReconSession): Promise<void> {
    if (this.#reconciled || this.closed) return
    this.#reconciled = true
    this.#answer(await this.host.query(session.summary(), this), true)
  }

  #cleanup (): void {
    clearTimeout(this.#timer)
    for (const e of this.#inbox) this.host.account(-charge(e.msg))
    this.#inbox = []
    this.inboxBytes = 0
    for (const m of this.#queue) this.#release(m)
    this.#queue = []
    if (this.#posting !== null) this.#release(this.#posting) // a write a peer never reads may never settle
    this.#posting = null
    this.#haves.clear()
    for (const job of this.#jobs) void job.return?.()
    this.#jobs = []
    this.#known.clear()
  }

  #onclosed (err: Error | null): void {
    this.closed = true
    this.#cleanup()
    this.host.unregister(this, err)
  }
}

/** Whether `a` sorts before `b` (the node whose nonce breaks ties). */
function lowerKeyFirst (a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number)
  }
  return true
}

/**
 * Map key of a chain in the gossip bookkeeping (what a peer holds, announcements, fetches): its
 * id's first 16 bytes as a 16-character latin1 string (one allocation; a hex key took an array
 * and a join). @internal
 */
export const chainKey = (chainId: Uint8Array): string => latin1(chainId.subarray(0, SUMMARY_CHAIN_BYTES))

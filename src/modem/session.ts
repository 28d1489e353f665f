import { fromStream, isPlug } from '../net/index.js'
import type { Answer, DuplexLike, Plug, Reply, TransportOptions } from '../net/index.js'
import { CHANNEL_PROTOCOL_VERSION, NONCE_SIZE } from './constants.js'
import { decodeChannelMessage, encodeChannelMessage, encodeDataForTransport } from './channel.js'
import type { ChannelMessage } from './channel.js'
import { ModemError, modemError } from './errors.js'
import { toHex, topicToken } from './topic.js'
import type { ChannelInfo, SpawnWire, SwarmDiscovery } from './types.js'

/** A topic the modem has joined, as sessions see it. @internal */
export interface JoinedTopic {
  readonly key: Uint8Array
  readonly hex: string
  /** This modem's channel index for the topic (never reused). */
  readonly index: number
  spawnWire: SpawnWire
  /** The swarm's discovery of the topic. */
  readonly discovery: SwarmDiscovery
}

/** What a session needs from its modem. @internal */
export interface SessionHost {
  topics (): Iterable<JoinedTopic>
  report (error: Error): void
  removed (session: Session): void
}

interface Channel {
  readonly topic: JoinedTopic
  readonly plug: Plug
  readonly remoteIndex: number
}

/** Fire-and-forget: bugs still surface, disconnects and timeouts do not (hypercore safety-catch). */
function safety (err: unknown): void {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) queueMicrotask(() => { throw err })
}

/**
 * Relays one answer to `to` and the rest of the conversation both ways. On a failure, `closed`
 * decides: true means the local plug closed and the peer learns it from the channel's CLOSE (its
 * side of the conversation then fails with `Disconnected`, as on any wire), so the failure is
 * not passed on as an answer.
 */
function pipeAnswer (answer: Promise<Answer>, to: Reply, closed?: () => boolean): void {
  answer.then(([message, back]) => {
    if (back === null) { to(message, false).catch(safety); return }
    pipeAnswer(to(message, true, { timeout: 0, signal: back.signal }), back, closed)
  }, (err: Error) => { if (closed?.() !== true) to.reject(err) })
}

/** Posts `message` from `plug`, relaying the whole conversation to `reply`. */
function relay (plug: Plug, message: Uint8Array, reply: Reply | null, closed?: () => boolean): Promise<undefined> | undefined {
  if (reply === null) return plug.postMessage(message, false)
  pipeAnswer(plug.postMessage(message, true, { timeout: 0, signal: reply.signal }), reply, closed)
  return undefined
}

function randomNonce (): Uint8Array {
  const nonce = new Uint8Array(NONCE_SIZE)
  globalThis.crypto.getRandomValues(nonce)
  return nonce
}

/**
 * One swarm connection: a framed stream carrying the channel protocol (channel.ts). Each side
 * announces its topics blinded by its nonce; a topic both sides announce becomes a channel whose
 * plug comes from that topic's `spawnWire`. Hyperswarm keeps ONE connection per pair of peers
 * whatever the number of shared topics, and the accepting side often does not know the topic, so
 * the topic is settled here rather than from `details.topics`. @internal
 */
export class Session {
  readonly #host: SessionHost
  readonly #outer: Plug
  readonly #nonce: Uint8Array = randomNonce()
  readonly #remotePublicKey: Uint8Array | undefined
  readonly #client: boolean
  #peerNonce: Uint8Array | null = null
  /** Peer's topic index → its token (hex). */
  readonly #peerTopics: Map<number, string> = new Map()
  /** Our topic (hex) → token the peer would send for it (hex), for the peer's nonce. */
  readonly #expected: Map<string, string> = new Map()
  readonly #channels: Map<string, Channel> = new Map()
  readonly #byRemote: Map<number, Channel> = new Map()
  #timer: ReturnType<typeof setTimeout> | null = null
  #closed = false

  constructor (host: SessionHost, socket: DuplexLike, details: { remotePublicKey?: Uint8Array, client: boolean }, options: { handshakeTimeout: number, transport?: TransportOptions }) {
    this.#host = host
    this.#remotePublicKey = details.remotePublicKey
    this.#client = details.client
    this.#outer = fromStream(socket, options.transport)
    this.#outer.closed.then(err => this.#teardown(err), safety)
    this.#outer.open((message, reply) => this.#onmessage(message, reply)).catch(safety)
    if (options.handshakeTimeout > 0) {
      this.#timer = setTimeout(() => {
        this.#fail(modemError('HandshakeTimeout', `no HELLO within ${options.handshakeTimeout} ms`))
      }, options.handshakeTimeout)
    }
    const topics = [...host.topics()].map(t => ({ index: t.index, token: topicToken(this.#nonce, t.key) }))
    this.#send({ type: 'hello', version: CHANNEL_PROTOCOL_VERSION, nonce: this.#nonce, topics })
  }

  /** Number of open topic channels. */
  get channels (): number { return this.#channels.size }

  /** The modem joined a topic: announce it, and open its channel if the peer has it. */
  topicAdded (topic: JoinedTopic): void {
    if (this.#closed) return
    this.#send({ type: 'add', index: topic.index, token: topicToken(this.#nonce, topic.key) })
    if (this.#peerNonce === null) return
    for (const [remoteIndex, token] of this.#peerTopics) {
      if (token === this.#expectedToken(topic)) this.#open(topic, remoteIndex)
    }
  }

  /** The modem left a topic: tell the peer and close its channel. */
  topicRemoved (topic: JoinedTopic): void {
    this.#expected.delete(topic.hex)
    if (this.#closed) return
    this.#send({ type: 'remove', index: topic.index })
    const ch = this.#channels.get(topic.hex)
    if (ch !== undefined) this.#drop(ch)
  }

  /** Ends the connection (the socket is ended). */
  close (error?: Error): void {
    this.#outer.close(error)
  }

  #send (msg: ChannelMessage): void {
    this.#outer.postMessage(encodeChannelMessage(msg), false).catch(safety)
  }

  #expectedToken (topic: JoinedTopic): string {
    let token = this.#expected.get(topic.hex)
    if (token === undefined && this.#peerNonce !== null) {
      token = toHex(topicToken(this.#peerNonce, topic.key))
      this.#expected.set(topic.hex, token)
    }
    return token ?? ''
  }

  #match (token: string): JoinedTopic | undefined {
    for (const topic of this.#host.topics()) if (this.#expectedToken(topic) === token) return topic
    return undefined
  }

  #fail (error: ModemError): void {
    if (this.#closed) return
    this.#host.report(error)
    this.#outer.close(error)
  }

  #onmessage (bytes: Uint8Array, reply: Reply | null): Promise<undefined> | undefined {
    let msg: ChannelMessage
    try {
      msg = decodeChannelMessage(bytes)
      if ((msg.type === 'hello') !== (this.#peerNonce === null)) {
        throw modemError('ProtocolError', msg.type === 'hello' ? 'second HELLO' : `${msg.type.toUpperCase()} before HELLO`)
      }
    } catch (err) {
      const error = err instanceof ModemError ? err : modemError('ProtocolError', String(err))
      reply?.reject(error)
      this.#fail(error)
      return undefined
    }
    switch (msg.type) {
      case 'hello':
        if (this.#timer !== null) clearTimeout(this.#timer)
        this.#timer = null
        this.#peerNonce = msg.nonce
        for (const { index, token } of msg.topics) this.#announced(index, toHex(token))
        return undefined
      case 'add':
        this.#announced(msg.index, toHex(msg.token))
        return undefined
      case 'remove':
        this.#peerTopics.delete(msg.index)
        this.#closeRemote(msg.index)
        return undefined
      case 'close':
        this.#closeRemote(msg.index)
        return undefined
      case 'data': {
        const ch = this.#byRemote.get(msg.index)
        if (ch === undefined) {
          reply?.reject(modemError('ChannelClosed', `no open channel for the peer's topic ${msg.index}`))
          return undefined
        }
        return relay(ch.plug, msg.payload.slice(), reply, () => {
          if (!ch.plug.isClosed) return false
          this.#closedByApp(ch)
          return true
        })
      }
    }
  }

  #announced (remoteIndex: number, token: string): void {
    this.#closeRemote(remoteIndex)
    this.#peerTopics.set(remoteIndex, token)
    const topic = this.#match(token)
    if (topic !== undefined) this.#open(topic, remoteIndex)
  }

  #closeRemote (remoteIndex: number): void {
    const ch = this.#byRemote.get(remoteIndex)
    if (ch !== undefined) this.#drop(ch)
  }

  #open (topic: JoinedTopic, remoteIndex: number): void {
    const old = this.#channels.get(topic.hex)
    if (old !== undefined) {
      if (old.remoteIndex === remoteIndex) return
      this.#drop(old)
    }
    const info: ChannelInfo = { topic: topic.key.slice(), client: this.#client }
    if (this.#remotePublicKey !== undefined) info.remotePublicKey = this.#remotePublicKey
    let plug: unknown
    try {
      plug = topic.spawnWire(info)
      if (!isPlug(plug)) throw new TypeError('spawnWire() did not return a plug')
    } catch (err) {
      this.#host.report(modemError('SpawnFailed', err instanceof Error ? err.message : String(err), err))
      this.#send({ type: 'close', index: topic.index })
      return
    }
    const ch: Channel = { topic, plug, remoteIndex }
    this.#channels.set(topic.hex, ch)
    this.#byRemote.set(remoteIndex, ch)
    const index = topic.index
    plug.open((message, reply) => {
      if (this.#channels.get(topic.hex) !== ch) throw modemError('ChannelClosed')
      return relay(this.#outer, encodeDataForTransport(index, message), reply)
    }).catch(safety)
    plug.closed.then(() => { this.#closedByApp(ch) }, safety)
  }

  /** The channel's plug closed (by the application, e.g. a duplicate peer): tell the other side, once. */
  #closedByApp (ch: Channel): void {
    if (this.#unregister(ch) && !this.#closed) this.#send({ type: 'close', index: ch.topic.index })
  }

  #unregister (ch: Channel): boolean {
    if (this.#channels.get(ch.topic.hex) !== ch) return false
    this.#channels.delete(ch.topic.hex)
    this.#byRemote.delete(ch.remoteIndex)
    return true
  }

  #drop (ch: Channel, error?: Error): void {
    this.#unregister(ch)
    ch.plug.close(error)
  }

  #teardown (error: Error | null): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    for (const ch of [...this.#channels.values()]) this.#drop(ch, error ?? undefined)
    this.#host.removed(this)
  }
}

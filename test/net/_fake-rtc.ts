// In-process stand-ins for WebRTC and the signalling WebSocket, for tests of rtcWire and
// joinRtc in Node (the real ones run in Chromium: test/net/mesh-browser.test.ts).
import type {
  DataChannelEventLike, DataChannelLike, IceCandidateLike, PeerConnectionLike, SessionDescriptionLike, SignalRelay, SignalSocket, SignalWebSocketLike
} from '../../src/net/index.js'

type Listener = (event: DataChannelEventLike) => void

/** One end of a data channel whose messages reach the other end on a later task. */
export class FakeChannel implements DataChannelLike {
  readyState = 'connecting'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  binaryType = 'blob'
  other: FakeChannel | undefined
  /** When false, sent messages wait in `outbox` until `flush()`. */
  auto = true
  readonly outbox: ArrayBuffer[] = []
  readonly #listeners = new Map<string, Set<Listener>>()

  static pair (): [FakeChannel, FakeChannel] {
    const a = new FakeChannel()
    const b = new FakeChannel()
    a.other = b
    b.other = a
    setImmediate(() => { a.open(); b.open() })
    return [a, b]
  }

  open (): void { if (this.readyState === 'connecting') { this.readyState = 'open'; this.emit('open', {}) } }
  send (data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError')
    this.outbox.push(data.slice().buffer)
    this.bufferedAmount += data.byteLength
    if (this.auto) setImmediate(() => { if (this.auto) this.flush() })
  }

  flush (): void {
    const before = this.bufferedAmount
    for (const m of this.outbox.splice(0)) {
      this.bufferedAmount -= m.byteLength
      if (this.other?.readyState === 'open') this.other.emit('message', { data: m })
    }
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.emit('bufferedamountlow', {})
  }

  close (): void {
    if (this.readyState === 'closed') return
    this.readyState = 'closed'
    setImmediate(() => {
      this.emit('close', {})
      if (this.other !== undefined && this.other.readyState !== 'closed') { this.other.readyState = 'closed'; this.other.emit('close', {}) }
    })
  }

  emit (type: string, event: DataChannelEventLike): void { for (const l of [...this.#listeners.get(type) ?? []]) l(event) }
  addEventListener (type: string, listener: Listener): void {
    const set = this.#listeners.get(type) ?? new Set()
    set.add(listener)
    this.#listeners.set(type, set)
  }

  removeEventListener (type: string, listener: Listener): void { this.#listeners.get(type)?.delete(listener) }
}

/** Links two unpaired channels and opens them on a later task. */
export function linkChannels (a: FakeChannel, b: FakeChannel): void {
  a.other = b
  b.other = a
  setImmediate(() => { a.open(); b.open() })
}

type PcListener = (event: { candidate?: IceCandidateLike | null }) => void

/**
 * A peer connection that "connects" once it and the peer whose token its remote description
 * names have both descriptions: then their negotiated channels open. Each description carries
 * a loopback and a LAN candidate line; each setLocalDescription trickles one of each too.
 */
export class FakePeerConnection implements PeerConnectionLike {
  static readonly all: FakePeerConnection[] = []
  /** When true, new connections never connect (ICE that fails silently). */
  static stall = false
  readonly token: string = String(FakePeerConnection.all.length + 1)
  readonly channel = new FakeChannel()
  localDescription: SessionDescriptionLike | null = null
  remoteDescription: SessionDescriptionLike | null = null
  signalingState = 'stable'
  connectionState = 'new'
  readonly sctp = { maxMessageSize: 262144 }
  offers = 0
  answers = 0
  readonly added: string[] = []
  readonly #stall = FakePeerConnection.stall
  readonly #listeners = new Map<string, PcListener[]>()

  readonly config: { iceServers: unknown[] }
  constructor (config: { iceServers: unknown[] }) {
    this.config = config
    FakePeerConnection.all.push(this)
  }

  createDataChannel (): DataChannelLike { return this.channel }
  #sdp (type: 'offer' | 'answer'): string {
    return [`v=0 ${type}`, `x-token:${this.token}`, 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ host', 'a=candidate:2 1 udp 1 10.0.0.1 5000 typ host', ''].join('\r\n')
  }

  async createOffer (): Promise<SessionDescriptionLike> { this.offers++; return { type: 'offer', sdp: this.#sdp('offer') } }
  async createAnswer (): Promise<SessionDescriptionLike> { this.answers++; return { type: 'answer', sdp: this.#sdp('answer') } }
  async setLocalDescription (d?: SessionDescriptionLike): Promise<void> {
    this.localDescription = { type: d?.type ?? 'offer', sdp: d?.sdp ?? '' }
    this.signalingState = this.localDescription.type === 'offer' ? 'have-local-offer' : 'stable'
    setImmediate(() => {
      for (const address of ['127.0.0.1', '192.168.7.7']) {
        this.emit('icecandidate', { candidate: { candidate: `candidate:9 1 udp 1 ${address} 6000 typ host`, sdpMid: '0', sdpMLineIndex: 0 } })
      }
      this.emit('icecandidate', { candidate: null })
    })
    this.#connect()
  }

  async setRemoteDescription (d: { type: 'offer' | 'answer', sdp: string }): Promise<void> {
    this.remoteDescription = d
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable'
    this.#connect()
  }

  async addIceCandidate (c: { candidate: string }): Promise<void> { this.added.push(c.candidate) }

  #peer (): FakePeerConnection | undefined {
    const token = /x-token:(\d+)/.exec(this.remoteDescription?.sdp ?? '')?.[1]
    return FakePeerConnection.all.find(p => p.token === token)
  }

  #connect (): void {
    const peer = this.#peer()
    if (this.#stall || peer === undefined || this.localDescription === null || peer.localDescription === null || peer.#peer() !== this) return
    if (this.connectionState === 'connected') return
    this.connectionState = peer.connectionState = 'connected'
    linkChannels(this.channel, peer.channel)
  }

  close (): void {
    this.connectionState = 'closed'
    this.channel.close()
  }

  emit (type: string, event: { candidate?: IceCandidateLike | null }): void { for (const l of this.#listeners.get(type) ?? []) l(event) }
  addEventListener (type: string, listener: PcListener): void { this.#listeners.set(type, [...this.#listeners.get(type) ?? [], listener]) }
}

type WsListener = (event: { data?: unknown, code?: number, reason?: string }) => void

/** A WebSocket class whose sockets talk to `relay` (or the relay `relay()` returns then) in this process. */
export function fakeWebSocket (relay: SignalRelay | (() => SignalRelay)): { WebSocket: new (url: string) => SignalWebSocketLike, sockets: Array<SignalWebSocketLike & { inject: (text: string) => void }> } {
  const sockets: Array<SignalWebSocketLike & { inject: (text: string) => void }> = []
  class Client implements SignalWebSocketLike {
    readyState = 0
    readonly url: string
    readonly #listeners = new Map<string, WsListener[]>()
    readonly #serverListeners = new Map<string, Array<(e: { data?: unknown }) => void>>()
    readonly server: SignalSocket
    constructor (url: string) {
      this.url = url
      const state = (): number => this.readyState
      this.server = {
        get readyState () { return state() },
        bufferedAmount: 0,
        send: (text: string) => { setImmediate(() => this.emit('message', { data: text })) },
        close: (code?: number, reason?: string) => { this.#closed(code ?? 1005, reason ?? '') },
        addEventListener: (type, l) => { this.#serverListeners.set(type, [...this.#serverListeners.get(type) ?? [], l]) }
      }
      sockets.push(this)
      setImmediate(() => { this.readyState = 1; (typeof relay === 'function' ? relay() : relay).handle(this.server); this.emit('open', {}) })
    }

    #serverEmit (type: string, data?: unknown): void { for (const l of this.#serverListeners.get(type) ?? []) l({ data }) }
    /** A message "from the relay" that the relay never sent. */
    inject (text: string): void { this.emit('message', { data: text }) }
    send (text: string): void { if (this.readyState === 1) setImmediate(() => this.#serverEmit('message', text)) }
    close (code = 1000, reason = ''): void { this.#closed(code, reason) }
    #closed (code: number, reason: string): void {
      if (this.readyState === 3) return
      this.readyState = 3
      setImmediate(() => { this.#serverEmit('close'); this.emit('close', { code, reason }) })
    }

    emit (type: string, event: { data?: unknown, code?: number, reason?: string }): void { for (const l of this.#listeners.get(type) ?? []) l(event) }
    addEventListener (type: string, listener: WsListener): void { this.#listeners.set(type, [...this.#listeners.get(type) ?? [], listener]) }
  }
  return { WebSocket: Client, sockets }
}

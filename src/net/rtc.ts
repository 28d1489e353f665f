// WebRTC: a wire over a data channel (rtcWire), and a mesh of pages that meet through the
// node's signalling relay and hold one data channel per pair (joinRtc).
import { FrameConnection, transportOptions } from './connection.js'
import type { TransportOptions } from './connection.js'
import { DEFAULT_WS_HIGH_WATER } from './constants.js'
import { NetError, connectionError, frameTooLarge, protocolError, safetyCatch } from './errors.js'
import { HEADER_SIZE, writeHeader } from './frame.js'
import { LinkCounters, MeshEvents, intOption } from './mesh.js'
import type { LeaveListener, MeshPeer, PeerListener, SpawnPlug } from './mesh.js'
import { SIGNAL_CLOSE_CODES, encodeSignalMessage, isRoom, parseServerMessage } from './signal-protocol.js'
import type { ClientMessage, SignalData } from './signal-protocol.js'
import type { Plug } from './types.js'
import { isPlug } from './wire.js'

/** An event of a data channel as the transport reads it. */
export interface DataChannelEventLike {
  /** A message's payload (an `ArrayBuffer` once `binaryType` is `'arraybuffer'`, or a string). */
  readonly data?: unknown
}

/** The standard `RTCDataChannel` interface the transport uses (a browser's fits). */
export interface DataChannelLike {
  /** `'connecting'`, `'open'`, `'closing'` or `'closed'`. */
  readonly readyState: string
  /** Bytes queued by `send` and not yet sent. */
  readonly bufferedAmount: number
  /** `bufferedamountlow` fires when `bufferedAmount` falls to this. */
  bufferedAmountLowThreshold: number
  /** The transport sets `'arraybuffer'`. */
  binaryType: string
  /** Sends a binary message. */
  send (data: Uint8Array<ArrayBuffer>): void
  /** Closes the channel. */
  close (): void
  /** Listens for a channel event. */
  addEventListener (type: 'open' | 'message' | 'close' | 'error' | 'bufferedamountlow', listener: (event: DataChannelEventLike) => void): void
  /** Removes a listener. */
  removeEventListener (type: 'open' | 'message' | 'close' | 'error' | 'bufferedamountlow', listener: (event: DataChannelEventLike) => void): void
}

/** Options of {@link rtcWire}. */
export interface RtcWireOptions extends TransportOptions {
  /** `bufferedAmount` (bytes) above which sends wait for `bufferedamountlow` (1 MiB). */
  highWaterMark?: number
  /**
   * Largest data-channel message (bytes, 64 KiB): a packet is sent in fragments of at most this
   * size (browsers limit one SCTP message to 256 KiB, some to 64 KiB or 16 KiB).
   */
  chunkSize?: number
}

/** Default fragment size of {@link rtcWire}. */
export const DEFAULT_RTC_CHUNK_SIZE: number = 64 * 1024
const MORE = 1
const LAST = 0

/*
 * Data-channel message grammar: flag:u8 fragment:*  — flag 1: more fragments follow, 0: the
 * last one; the fragments of one packet concatenated are a net packet (header + payload).
 */

/** Carries `plug` over `channel`, counting into `counters` (null: none); `onend` hears when the link ends. @internal */
export function attachRtc (plug: Plug, channel: DataChannelLike, options: RtcWireOptions | undefined, counters: LinkCounters | null, onend?: (error: Error | null) => void): FrameConnection {
  let ended = false
  /** Tells `onend` once that the link is over, whichever side ended it. */
  const ongone = (error: Error | null): void => { if (!ended) { ended = true; onend?.(error) } }
  if (!isPlug(plug)) throw new TypeError('"plug" expected a plug')
  if (typeof channel?.send !== 'function' || typeof channel.addEventListener !== 'function') throw new TypeError('"channel" expected an RTCDataChannel')
  const opts = transportOptions(options)
  const highWater = options?.highWaterMark ?? DEFAULT_WS_HIGH_WATER
  const chunk = intOption('chunkSize', options?.chunkSize, DEFAULT_RTC_CHUNK_SIZE, 2)
  channel.binaryType = 'arraybuffer'
  channel.bufferedAmountLowThreshold = Math.floor(highWater / 2)
  /** Fragments of the packet being received. */
  let parts: Uint8Array[] = []
  let partsSize = 0
  let detached = false
  let waiting = false

  const detach = (): void => {
    if (detached) return
    detached = true
    channel.removeEventListener('open', onopen)
    channel.removeEventListener('message', onmessage)
    channel.removeEventListener('bufferedamountlow', onlow)
    parts = []
  }
  const ondone = (): void => {
    detach()
    channel.removeEventListener('close', onclose)
    channel.removeEventListener('error', onerror)
  }
  const onopen = (): void => conn.start()
  const onmessage = (event: DataChannelEventLike): void => {
    if (detached) return
    const data = event.data
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) { conn.fail(protocolError('text, empty or non-binary data-channel message')); return }
    const bytes = new Uint8Array(data)
    const flag = bytes[0]
    if (flag !== MORE && flag !== LAST) { conn.fail(protocolError(`bad fragment flag ${String(flag)}`)); return }
    partsSize += bytes.byteLength - 1
    if (partsSize > opts.maxFrameSize) { conn.fail(frameTooLarge(partsSize, opts.maxFrameSize)); return }
    parts.push(bytes.subarray(1))
    if (flag === MORE) { conn.heard(partsSize); return }
    let packet: Uint8Array
    if (parts.length === 1) packet = parts[0] as Uint8Array
    else {
      packet = new Uint8Array(partsSize)
      let at = 0
      for (const p of parts) { packet.set(p, at); at += p.byteLength }
    }
    parts = []
    partsSize = 0
    counters?.in(packet.byteLength)
    conn.receiveBytes(packet)
  }
  const onclose = (): void => {
    ondone()
    ongone?.(null)
    conn.transportClosed(null)
  }
  // stays until 'close' so a late error never goes unhandled
  const onerror = (event: DataChannelEventLike): void => {
    detach()
    const message = (event as { error?: { message?: string } }).error?.message
    const error = connectionError(`data channel error${message !== undefined ? ': ' + message : ''}`)
    ongone?.(error)
    conn.transportClosed(error)
  }
  const onlow = (): void => {
    if (!waiting || detached) return
    waiting = false
    conn.drained()
  }

  const conn = new FrameConnection(plug, {
    write (dst, src, flags, payload) {
      const size = HEADER_SIZE + payload.byteLength
      if (size + 1 <= chunk) {
        const message = new Uint8Array(size + 1)
        message[0] = LAST
        writeHeader(message, 1, dst, src, flags)
        message.set(payload, 1 + HEADER_SIZE)
        channel.send(message)
      } else {
        const packet = new Uint8Array(size)
        writeHeader(packet, 0, dst, src, flags)
        packet.set(payload, HEADER_SIZE)
        for (let at = 0; at < size; at += chunk - 1) {
          const end = Math.min(size, at + chunk - 1)
          const message = new Uint8Array(end - at + 1)
          message[0] = end < size ? MORE : LAST
          message.set(packet.subarray(at, end), 1)
          channel.send(message)
        }
      }
      counters?.out(size)
      if (channel.bufferedAmount <= highWater) return true
      waiting = true
      return false
    },
    buffered: () => channel.bufferedAmount,
    highWater,
    end (error) {
      detach()
      ongone?.(error)
      if (channel.readyState === 'closing' || channel.readyState === 'closed') { ondone(); return }
      channel.close()
    }
  }, opts)

  channel.addEventListener('message', onmessage)
  channel.addEventListener('close', onclose)
  channel.addEventListener('error', onerror)
  channel.addEventListener('bufferedamountlow', onlow)
  if (channel.readyState === 'open') conn.start()
  else if (channel.readyState === 'connecting') channel.addEventListener('open', onopen)
  else { ondone(); conn.start(); conn.transportClosed(connectionError('data channel already closed')) }
  return conn
}

/**
 * Carries `plug`'s conversations over a WebRTC data channel (reliable and ordered), with the
 * semantics and bounds of every net transport ({@link TransportOptions}). Each packet goes in
 * one or more binary messages of at most `chunkSize` bytes; sends wait while `bufferedAmount`
 * is above `highWaterMark` (until `bufferedamountlow`). A text message, a bad fragment, a
 * packet above `maxFrameSize` or a malformed packet closes the channel with a typed error; the
 * channel closing closes the plug (cleanly: a data channel carries no close reason, so the peer
 * sees a clean close), and closing the plug closes the channel.
 *
 * @param plug - an unopened plug (`kernel.spawnWire()`)
 * @param channel - an `RTCDataChannel`, connecting or open
 * @param options - transport bounds, `highWaterMark`, `chunkSize`
 * @throws TypeError when `plug` is not a plug or `channel` not a data channel
 * @example
 * ```ts
 * const channel = pc.createDataChannel('picostack', { negotiated: true, id: 0 })
 * rtcWire(kernel.spawnWire(), channel)
 * ```
 */
export function rtcWire (plug: Plug, channel: DataChannelLike, options?: RtcWireOptions): void {
  attachRtc(plug, channel, options, null)
}

// ---------------------------------------------------------------------------------------------
// The mesh client

/** An ICE server entry (as `RTCIceServer`). */
export interface IceServer {
  /** `stun:`/`turn:` URLs. */
  urls: string | string[]
  /** TURN user name. */
  username?: string
  /** TURN credential. */
  credential?: string
}

/** An ICE candidate as `RTCIceCandidate` carries it. */
export interface IceCandidateLike {
  /** The `candidate:...` line (`''` at the end of candidates). */
  readonly candidate: string
  /** Its media stream id. */
  readonly sdpMid: string | null
  /** Its m-line index. */
  readonly sdpMLineIndex: number | null
}

/** A session description as `RTCSessionDescription` carries it. */
export interface SessionDescriptionLike {
  /** The description's type. */
  type: 'offer' | 'answer' | 'pranswer' | 'rollback'
  /** The SDP text. */
  sdp?: string
}

/** The SCTP transport of a peer connection. */
export interface SctpTransportLike {
  /** Largest message the peer accepts (bytes). */
  readonly maxMessageSize?: number
}

/** The configuration the mesh gives each peer connection. */
export interface PeerConnectionConfig {
  /** ICE servers ({@link RtcMeshOptions.iceServers}). */
  iceServers: IceServer[]
}

/** A class of peer connections (`RTCPeerConnection`). */
export interface PeerConnectionClass {
  /** Creates a peer connection. */
  new (config: PeerConnectionConfig): PeerConnectionLike
}

/** A class of WebSockets (`WebSocket`). */
export interface SignalWebSocketClass {
  /** Opens a WebSocket to `url`. */
  new (url: string): SignalWebSocketLike
}

/** The `RTCPeerConnection` interface the mesh uses (a browser's fits). */
export interface PeerConnectionLike {
  /** Creates the negotiated data channel. */
  createDataChannel (label: string, init: { negotiated: boolean, id: number, ordered: boolean }): DataChannelLike
  /** Makes an offer. */
  createOffer (): Promise<SessionDescriptionLike>
  /** Makes an answer. */
  createAnswer (): Promise<SessionDescriptionLike>
  /** Sets the local description (the argument's, or an implicit one). */
  setLocalDescription (description?: SessionDescriptionLike): Promise<void>
  /** Sets the remote description. */
  setRemoteDescription (description: { type: 'offer' | 'answer', sdp: string }): Promise<void>
  /** Adds a remote candidate. */
  addIceCandidate (candidate: { candidate: string, sdpMid: string | null, sdpMLineIndex: number | null }): Promise<void>
  /** The local description once set. */
  readonly localDescription: SessionDescriptionLike | null
  /** The remote description once set. */
  readonly remoteDescription: unknown
  /** `'stable'`, `'have-local-offer'`, ... */
  readonly signalingState: string
  /** `'new'`, `'connecting'`, `'connected'`, `'disconnected'`, `'failed'`, `'closed'`. */
  readonly connectionState: string
  /** The SCTP transport once negotiated (its `maxMessageSize`). */
  readonly sctp?: SctpTransportLike | null
  /** Closes the connection. */
  close (): void
  /** Listens for `icecandidate` and `connectionstatechange`. */
  addEventListener (type: 'icecandidate' | 'connectionstatechange', listener: (event: { candidate?: IceCandidateLike | null }) => void): void
}

/** The browser-standard WebSocket surface the mesh's signalling uses. */
export interface SignalWebSocketLike {
  /** 1 when open. */
  readonly readyState: number
  /** Sends a text message. */
  send (data: string): void
  /** Closes the socket. */
  close (code?: number, reason?: string): void
  /** Listens for socket events. */
  addEventListener (type: 'open' | 'message' | 'close' | 'error', listener: (event: { data?: unknown, code?: number, reason?: string }) => void): void
}

/** Options of {@link joinRtc}. */
export interface RtcMeshOptions extends RtcWireOptions {
  /** The room: pages of one room connect to each other (`'picostack'`; 1–64 of `[A-Za-z0-9._-]`). */
  room?: string
  /** ICE servers (default none: host candidates only, enough on one machine or LAN). */
  iceServers?: IceServer[]
  /**
   * Keeps a candidate only when this returns true (default: all). Applied to local candidates
   * before they are sent, to remote ones before they are added, and to `a=candidate` lines of
   * both descriptions. Tests pass {@link loopbackCandidate}.
   */
  candidateFilter?: (candidate: string) => boolean
  /** Most peer connections at once (16). */
  maxPeers?: number
  /** Milliseconds a peer connection has to open its data channel before it is dropped (20 000). */
  connectTimeout?: number
  /**
   * Milliseconds before joining again after the signalling connection closed (the node
   * restarted, say), doubling on each failed attempt up to 30 s; `0` (default): never. The page
   * gets a new id on each join and meets the room again; open links stay, and a pair that ends
   * up with two links keeps one (the kernel drops the duplicate wire).
   */
  reconnect?: number
  /** The `RTCPeerConnection` class (default: the global one). */
  RTCPeerConnection?: PeerConnectionClass
  /** The WebSocket class (default: the global one). */
  WebSocket?: SignalWebSocketClass
}

/** A running WebRTC mesh, from {@link joinRtc}. */
export interface RtcMesh {
  /** This page's id in the room, assigned by the relay (null until joined). */
  readonly id: string | null
  /**
   * Resolves once joined; rejects with `SignalRefused` or `ConnectionError` when signalling
   * fails first (with `reconnect`, it waits for the first join instead).
   */
  readonly ready: Promise<void>
  /** The data-channel links open now, with live counters. */
  readonly peers: MeshPeer[]
  /** Whether {@link RtcMesh.close} was called. */
  readonly closed: boolean
  /**
   * Resolves when the signalling connection is over for good: `null` after `close()`, else the
   * error (`SignalRefused` with the relay's close name, or `ConnectionError`); never before
   * `close()` with `reconnect`. Open links stay up; without `reconnect` no new peer is found
   * until the app joins again.
   */
  readonly signalClosed: Promise<Error | null>
  /** Calls `listener` for each data-channel link that opens; returns a remover. */
  on (event: 'peer', listener: PeerListener): () => void
  /** Calls `listener` for each link that closes, with its error (`null`: clean); returns a remover. */
  on (event: 'leave', listener: LeaveListener): () => void
  /** Closes the signalling socket and every peer connection. Idempotent. */
  close (): void
}

/**
 * True when an ICE candidate line (`candidate:… <address> <port> typ …`, with or without `a=`)
 * is on the loopback address 127.0.0.1 or ::1 — the `candidateFilter` of tests that must keep
 * WebRTC traffic on loopback.
 *
 * @param candidate - the candidate text
 * @returns whether its address is loopback
 */
export function loopbackCandidate (candidate: string): boolean {
  const fields = candidate.trim().split(/\s+/)
  const address = fields[4]
  return address === '127.0.0.1' || address === '::1'
}

/** Removes the `a=candidate` lines of `sdp` that `keep` refuses. */
function filterSdp (sdp: string, keep: (candidate: string) => boolean): string {
  return sdp.split('\r\n').filter(line => !line.startsWith('a=candidate:') || keep(line.slice(2))).join('\r\n')
}

/** Longest wait between two reconnection attempts (ms). */
const MAX_RECONNECT_DELAY = 30_000

/** Most remote candidates held for a connection whose remote description is not set yet. */
const MAX_PENDING_CANDIDATES = 64

interface Pc {
  readonly peer: string
  readonly pc: PeerConnectionLike
  readonly channel: DataChannelLike
  readonly counters: LinkCounters
  readonly offerer: boolean
  conn: FrameConnection | null
  pending: Array<{ candidate: string, sdpMid: string | null, sdpMLineIndex: number | null }>
  timer: ReturnType<typeof setTimeout> | null
  opened: boolean
  gone: boolean
}

/**
 * Joins the WebRTC mesh of a room through the signalling relay at `signalUrl` (a
 * `picostack node` serves one at `ws://HOST:WS-PORT/signal`): each other page of the room gets
 * one peer connection with one data channel, carrying a wire made by `spawn`
 * (`() => kernel.spawnWire()`) through {@link rtcWire}. The relay only passes the offers,
 * answers and ICE candidates; the blocks go page to page.
 *
 * - The page with the smaller id offers (the other says hello), so offers never cross; the data
 *   channel is pre-negotiated (id 0). Candidates trickle; those that arrive early wait (64 at most).
 * - `iceServers` default to none; `candidateFilter` can keep ICE on chosen addresses.
 * - Bounds: `maxPeers` connections, `connectTimeout` to open, and each link's transport bounds.
 *   Malformed relay messages are ignored; a peer's garbage closes only its connection.
 *
 * @param signalUrl - the relay's WebSocket URL
 * @param spawn - makes the unopened plug of each new link; its argument is the link's counters
 * @param options - room, ICE, bounds, and injectables for tests
 * @returns the mesh: `ready`, `id`, `peers`, `on('peer' | 'leave')`, `close()`
 * @throws TypeError on a bad argument or when WebSocket/RTCPeerConnection are missing; RangeError on a bad bound
 * @example
 * ```ts
 * const rtc = joinRtc(`ws://${location.hostname}:${wsPort}/signal`, () => kernel.spawnWire(), { room: 'todo' })
 * await rtc.ready
 * rtc.on('peer', p => console.log('webrtc peer', p.id))
 * ```
 */
export function joinRtc (signalUrl: string, spawn: SpawnPlug, options: RtcMeshOptions = {}): RtcMesh {
  if (typeof signalUrl !== 'string') throw new TypeError(`"signalUrl" expected a string, got ${typeof signalUrl}`)
  if (typeof spawn !== 'function') throw new TypeError(`"spawn" expected a function, got ${typeof spawn}`)
  const room = options.room ?? 'picostack'
  if (!isRoom(room)) throw new TypeError('"room" expected 1 to 64 characters of A-Z a-z 0-9 . _ -')
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: SignalWebSocketClass }).WebSocket
  const PC = options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: PeerConnectionClass }).RTCPeerConnection
  if (typeof WS !== 'function') throw new TypeError('no WebSocket here: pass options.WebSocket')
  if (typeof PC !== 'function') throw new TypeError('no RTCPeerConnection here: pass options.RTCPeerConnection')
  const maxPeers = intOption('maxPeers', options.maxPeers, 16)
  const connectTimeout = intOption('connectTimeout', options.connectTimeout, 20_000)
  transportOptions(options) // checks the bounds now
  const keep = options.candidateFilter ?? ((): boolean => true)
  if (typeof keep !== 'function') throw new TypeError('"candidateFilter" expected a function')
  const iceServers = options.iceServers ?? []
  const reconnect = intOption('reconnect', options.reconnect, 0, 0)

  const events = new MeshEvents()
  const pcs = new Map<string, Pc>()
  let myId: string | null = null
  let closed = false
  let joined!: () => void
  let refused!: (err: Error) => void
  const ready = new Promise<void>((resolve, reject) => { joined = resolve; refused = reject })
  ready.catch(() => {})
  let signalDone!: (err: Error | null) => void
  const signalClosed = new Promise<Error | null>(resolve => { signalDone = resolve })

  const send = (message: ClientMessage): void => {
    if (socket.readyState !== 1) return
    try { socket.send(encodeSignalMessage(message)) } catch { /* closing */ }
  }
  const signal = (peer: string, data: SignalData): void => send({ type: 'signal', peer, data })

  /** Ends one peer connection: its link leaves (once) and the pc closes. */
  const drop = (entry: Pc, error: Error | null): void => {
    if (entry.gone) return
    entry.gone = true
    if (pcs.get(entry.peer) === entry) pcs.delete(entry.peer)
    if (entry.timer !== null) { clearTimeout(entry.timer); entry.timer = null }
    if (entry.conn !== null) entry.conn.transportClosed(error)
    try { entry.channel.close() } catch { /* closed */ }
    try { entry.pc.close() } catch { /* closed */ }
    if (entry.opened) events.leave(entry.counters, error)
  }

  const create = (peer: string, offerer: boolean): Pc | null => {
    if (closed || pcs.size >= maxPeers || peer === myId) return null
    let pc: PeerConnectionLike
    let channel: DataChannelLike
    try {
      pc = new PC({ iceServers })
      channel = pc.createDataChannel('picostack', { negotiated: true, id: 0, ordered: true })
    } catch (err) {
      safetyCatch(err)
      return null
    }
    const entry: Pc = {
      peer, pc, channel, offerer, conn: null, pending: [], timer: null, opened: false, gone: false,
      counters: new LinkCounters(peer, 'webrtc', () => { drop(entry, null) })
    }
    pcs.set(peer, entry)
    entry.timer = setTimeout(() => { entry.timer = null; if (!entry.opened) drop(entry, connectionError(`no data channel to ${peer} within ${connectTimeout} ms`)) }, connectTimeout)
    ;(entry.timer as { unref?: () => void }).unref?.()
    pc.addEventListener('icecandidate', event => {
      const c = event.candidate
      if (c === null || c === undefined || entry.gone) return
      if (c.candidate !== '' && !keep(c.candidate)) return
      signal(peer, { kind: 'candidate', candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null })
    })
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed') drop(entry, connectionError(`WebRTC connection to ${peer} failed`))
    })
    channel.addEventListener('open', () => {
      if (entry.gone || entry.opened) return
      entry.opened = true
      if (entry.timer !== null) { clearTimeout(entry.timer); entry.timer = null }
      let plug: Plug
      try {
        plug = spawn(entry.counters)
        if (!isPlug(plug)) throw new TypeError('"spawn" did not return a plug')
      } catch (err) {
        entry.opened = false
        drop(entry, null)
        safetyCatch(err)
        return
      }
      const max = pc.sctp?.maxMessageSize
      const chunkSize = Math.min(options.chunkSize ?? DEFAULT_RTC_CHUNK_SIZE, typeof max === 'number' && max > 1 ? max : Infinity)
      entry.conn = attachRtc(plug, channel, { ...options, chunkSize }, entry.counters, error => {
        // the link ended (either side): the pc goes too
        entry.conn = null
        queueMicrotask(() => drop(entry, error))
      })
      events.peer(entry.counters)
    })
    return entry
  }

  const describe = async (entry: Pc, make: () => Promise<SessionDescriptionLike>): Promise<void> => {
    const description = await make()
    if (entry.gone) return
    await entry.pc.setLocalDescription(description)
    if (entry.gone) return
    const local = entry.pc.localDescription
    const kind = local?.type === 'offer' ? 'offer' : 'answer'
    signal(entry.peer, { kind, sdp: filterSdp(local?.sdp ?? description.sdp ?? '', keep) })
  }

  const flush = async (entry: Pc): Promise<void> => {
    const pending = entry.pending
    entry.pending = []
    for (const c of pending) await entry.pc.addIceCandidate(c).catch(() => {})
  }

  /** A page of the room we should be connected to. */
  const meet = (peer: string): void => {
    if (pcs.has(peer) || myId === null) return
    if (myId < peer) {
      const entry = create(peer, true)
      if (entry !== null) describe(entry, () => entry.pc.createOffer()).catch(err => drop(entry, connectionError('offer failed', err)))
    } else {
      signal(peer, { kind: 'hello' })
    }
  }

  const onsignal = (peer: string, data: SignalData): void => {
    const entry = pcs.get(peer)
    switch (data.kind) {
      case 'hello':
        if (myId !== null && myId < peer && entry === undefined) meet(peer)
        return
      case 'offer': {
        if (myId === null || myId < peer) return // we offer to that page, it never offers to us
        if (entry !== undefined) drop(entry, null) // the peer started over
        const fresh = create(peer, false)
        if (fresh === null) return
        fresh.pc.setRemoteDescription({ type: 'offer', sdp: filterSdp(data.sdp, keep) })
          .then(() => flush(fresh))
          .then(() => describe(fresh, () => fresh.pc.createAnswer()))
          .catch(err => drop(fresh, connectionError('answer failed', err)))
        return
      }
      case 'answer':
        if (entry === undefined || !entry.offerer || entry.pc.signalingState !== 'have-local-offer') return
        entry.pc.setRemoteDescription({ type: 'answer', sdp: filterSdp(data.sdp, keep) })
          .then(() => flush(entry as Pc))
          .catch(err => drop(entry as Pc, connectionError('bad answer', err)))
        return
      case 'candidate': {
        if (entry === undefined) return
        if (data.candidate !== '' && !keep(data.candidate)) return
        const c = { candidate: data.candidate, sdpMid: data.sdpMid, sdpMLineIndex: data.sdpMLineIndex }
        if (entry.pc.remoteDescription === null || entry.pending.length > 0) {
          if (entry.pending.length < MAX_PENDING_CANDIDATES) entry.pending.push(c)
          if (entry.pc.remoteDescription !== null) flush(entry).catch(() => {})
        } else {
          entry.pc.addIceCandidate(c).catch(() => {})
        }
        return
      }
    }
  }

  /** Opens the signalling socket and joins the room; with `reconnect`, again after it closes. */
  const connect = (): void => {
    retry = null
    const s = new WS(signalUrl)
    socket = s
    let welcomed = false
    let socketError: Error | null = null
    s.addEventListener('open', () => { if (socket === s) send({ type: 'join', room }) })
    s.addEventListener('message', event => {
      if (closed || socket !== s) return
      const message = parseServerMessage(event.data)
      if (message === null) return // not the relay's grammar: ignored
      switch (message.type) {
        case 'welcome':
          if (welcomed) return
          welcomed = true
          myId = message.id
          attempts = 0
          joined()
          for (const peer of message.peers.slice(0, maxPeers)) meet(peer)
          return
        case 'signal':
          if (welcomed) onsignal(message.peer, message.data)
          return
        case 'leave': {
          const entry = pcs.get(message.peer)
          if (entry !== undefined && !entry.opened) drop(entry, null) // an open link ends by itself
        }
      }
    })
    s.addEventListener('error', () => { socketError ??= connectionError('signalling WebSocket error') })
    s.addEventListener('close', event => {
      if (socket !== s) return
      if (closed) { signalDone(null); return }
      const name = Object.entries(SIGNAL_CLOSE_CODES).find(([, code]) => code === event.code)?.[0]
      const error = name !== undefined
        ? new NetError('SignalRefused', `SignalRefused: the relay closed the signalling connection with ${name} (${String(event.code)})`)
        : socketError ?? connectionError(`signalling WebSocket closed with ${String(event.code)}`)
      if (reconnect > 0) {
        retry = setTimeout(connect, Math.min(MAX_RECONNECT_DELAY, reconnect * 2 ** attempts++))
        return
      }
      refused(error)
      signalDone(error)
    })
  }
  let socket!: SignalWebSocketLike
  let attempts = 0
  let retry: ReturnType<typeof setTimeout> | null = null
  connect()

  return {
    get id (): string | null { return myId },
    ready,
    signalClosed,
    get peers (): MeshPeer[] { return [...pcs.values()].filter(e => e.opened && !e.gone).map(e => e.counters) },
    get closed (): boolean { return closed },
    on (event: 'peer' | 'leave', listener: PeerListener | LeaveListener): () => void { return events.on(event, listener) },
    close (): void {
      if (closed) return
      closed = true
      refused(connectionError('the mesh was closed'))
      if (retry !== null) { clearTimeout(retry); retry = null }
      try { socket.close(1000) } catch { /* closed */ }
      signalDone(null)
      for (const entry of [...pcs.values()]) drop(entry, null)
      events.clear()
    }
  } as RtcMesh
}

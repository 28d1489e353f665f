// The signalling protocol between pages and the node's relay (JSON text messages over a
// WebSocket), shared by the relay (Node) and the WebRTC mesh client (browser). Parsers are
// strict: a message that does not match the grammar exactly is null.

/*
 * page -> relay
 *   {"type":"join","room":ROOM}                      first and only once
 *   {"type":"signal","peer":ID,"data":DATA}          to the page ID of the same room
 * relay -> page
 *   {"type":"welcome","id":ID,"peers":[ID, ...]}     answer to join: your id, who is here
 *   {"type":"signal","peer":ID,"data":DATA}          from the page ID (same bytes or fewer than it sent)
 *   {"type":"leave","peer":ID}                       a page you signalled with has gone
 * DATA
 *   {"kind":"hello"}                                 "I am here; you offer" (the smaller id offers)
 *   {"kind":"offer","sdp":S} | {"kind":"answer","sdp":S}
 *   {"kind":"candidate","candidate":S,"sdpMid":S|null,"sdpMLineIndex":N|null}   ("" = end of candidates)
 * ID = 16 lower-case hex digits (the relay assigns them); ROOM = 1-64 characters of [A-Za-z0-9._-].
 * No other key, no other type.
 */

/** "I am here; you offer" (sent by the page with the larger id). */
export interface SignalHello {
  /** `'hello'`. */
  kind: 'hello'
}

/** A session description. */
export interface SignalDescription {
  /** `'offer'` or `'answer'`. */
  kind: 'offer' | 'answer'
  /** The SDP text. */
  sdp: string
}

/** A trickled ICE candidate. */
export interface SignalCandidate {
  /** `'candidate'`. */
  kind: 'candidate'
  /** The `candidate:...` text (`''`: end of candidates). */
  candidate: string
  /** Its media stream id. */
  sdpMid: string | null
  /** Its m-line index. */
  sdpMLineIndex: number | null
}

/** What one page says to another through the relay. */
export type SignalData = SignalHello | SignalDescription | SignalCandidate

/** A message from a page to the relay. @internal */
export type ClientMessage =
  | { type: 'join', room: string }
  | { type: 'signal', peer: string, data: SignalData }

/** A message from the relay to a page. @internal */
export type ServerMessage =
  | { type: 'welcome', id: string, peers: string[] }
  | { type: 'signal', peer: string, data: SignalData }
  | { type: 'leave', peer: string }

const ID = /^[0-9a-f]{16}$/
const ROOM = /^[A-Za-z0-9._-]{1,64}$/
/** Longest SDP or candidate text accepted (characters). */
const MAX_TEXT = 64 * 1024
/** Most peers listed in a welcome. */
const MAX_LISTED = 1024

/** True when `value` is a peer id of the signalling protocol. @internal */
export const isPeerId = (value: unknown): value is string => typeof value === 'string' && ID.test(value)
/** True when `value` is a valid room name. @internal */
export const isRoom = (value: unknown): value is string => typeof value === 'string' && ROOM.test(value)

function record (value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : null
}

function keysAre (o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o)
  return own.length === keys.length && keys.every(k => Object.hasOwn(o, k))
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT

/** Checks a DATA object; returns a fresh object holding only its fields, or null. @internal */
export function signalData (value: unknown): SignalData | null {
  const o = record(value)
  if (o === null) return null
  switch (o.kind) {
    case 'hello':
      return keysAre(o, ['kind']) ? { kind: 'hello' } : null
    case 'offer':
    case 'answer':
      return keysAre(o, ['kind', 'sdp']) && text(o.sdp) ? { kind: o.kind, sdp: o.sdp } : null
    case 'candidate': {
      if (!keysAre(o, ['kind', 'candidate', 'sdpMid', 'sdpMLineIndex']) || !text(o.candidate)) return null
      const mid = o.sdpMid
      const index = o.sdpMLineIndex
      if (mid !== null && !(typeof mid === 'string' && mid.length <= 64)) return null
      if (index !== null && !(typeof index === 'number' && Number.isInteger(index) && index >= 0 && index <= 65535)) return null
      return { kind: 'candidate', candidate: o.candidate, sdpMid: mid, sdpMLineIndex: index }
    }
    default:
      return null
  }
}

function json (raw: unknown): Record<string, unknown> | null {
  if (typeof raw !== 'string') return null
  try { return record(JSON.parse(raw)) } catch { return null }
}

/** Parses a page's message to the relay; null when it is not exactly the grammar. @internal */
export function parseClientMessage (raw: unknown): ClientMessage | null {
  const o = json(raw)
  if (o === null) return null
  if (o.type === 'join') return keysAre(o, ['type', 'room']) && isRoom(o.room) ? { type: 'join', room: o.room } : null
  if (o.type === 'signal' && keysAre(o, ['type', 'peer', 'data']) && isPeerId(o.peer)) {
    const data = signalData(o.data)
    return data === null ? null : { type: 'signal', peer: o.peer, data }
  }
  return null
}

/** Parses the relay's message to a page; null when it is not exactly the grammar. @internal */
export function parseServerMessage (raw: unknown): ServerMessage | null {
  const o = json(raw)
  if (o === null) return null
  switch (o.type) {
    case 'welcome':
      if (!keysAre(o, ['type', 'id', 'peers']) || !isPeerId(o.id) || !Array.isArray(o.peers) || o.peers.length > MAX_LISTED) return null
      if (!o.peers.every(isPeerId)) return null
      return { type: 'welcome', id: o.id, peers: [...o.peers as string[]] }
    case 'signal': {
      if (!keysAre(o, ['type', 'peer', 'data']) || !isPeerId(o.peer)) return null
      const data = signalData(o.data)
      return data === null ? null : { type: 'signal', peer: o.peer, data }
    }
    case 'leave':
      return keysAre(o, ['type', 'peer']) && isPeerId(o.peer) ? { type: 'leave', peer: o.peer } : null
    default:
      return null
  }
}

/** Serialises a message of either direction (field order as in the grammar). @internal */
export function encodeSignalMessage (message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message)
}

/**
 * Close codes of the signalling WebSocket (the close reason is the name). The relay closes a
 * page's connection with one of these; {@link joinRtc} rejects/reports `SignalRefused` with it.
 */
export const SIGNAL_CLOSE_CODES = {
  /** Not JSON, not the grammar, binary, a second join, a signal before joining, or a message the relay would have to enlarge. */
  BadSignal: 4400,
  /** No join within the relay's `joinTimeout`. */
  JoinTimeout: 4408,
  /** The room already holds `maxPeersPerRoom` pages. */
  RoomFull: 4409,
  /** A message above `maxMessageSize` (the `ws` server itself closes with 1009 first when its `maxPayload` is set). */
  TooLarge: 4413,
  /** More messages than the rate limit allows. */
  RateLimited: 4429,
  /** The relay already holds `maxRooms` rooms. */
  TooManyRooms: 4503,
  /** The relay is shutting down. */
  Closing: 4001
} as const

/** Name of a {@link SIGNAL_CLOSE_CODES} entry. */
export type SignalCloseName = keyof typeof SIGNAL_CLOSE_CODES

// The tab mesh: pages of one browser profile (same origin) find each other over one named
// BroadcastChannel and hold one wire per pair, with addressed frames.
import { FrameConnection, transportOptions } from './connection.js'
import type { TransportOptions } from './connection.js'
import { frameTooLarge, safetyCatch } from './errors.js'
import { HEADER_SIZE, writeHeader } from './frame.js'
import { ID_BYTES, LinkCounters, MeshEvents, hexOf, intOption, randomIdBytes } from './mesh.js'
import type { LeaveListener, MeshPeer, PeerListener, SpawnPlug } from './mesh.js'
import type { Plug } from './types.js'
import { isPlug } from './wire.js'

/*
 * Tab frame grammar (one BroadcastChannel message, a Uint8Array):
 *
 *   frame = version:u8 type:u8 from:8 to:8 body
 *
 * version 1
 * type    1 HELLO   body empty; to = 0 (to every tab) or one tab: "I have no link with you, link me"
 *         2 WELCOME body empty; to = the HELLO's sender: "linked, link me back"
 *         3 DATA    body = one net packet (header + payload) of the link from -> to
 *         4 BYE     body empty; to = 0: "I am leaving"; to = one tab: "I closed our link"
 *         5 RESET   body empty; to = a tab that sent DATA over a link its receiver does not have
 * from    the sender's random id (never 0); to: the receiver's id, or 0 where allowed.
 * Anything else is garbage and ignored; a bad packet inside DATA of a linked tab drops that tab.
 */

/** Version byte of the tab frames. @internal */
export const TAB_VERSION = 1
/** Frame types. @internal */
export const TAB_HELLO = 1
/** @internal */
export const TAB_WELCOME = 2
/** @internal */
export const TAB_DATA = 3
/** @internal */
export const TAB_BYE = 4
/** @internal */
export const TAB_RESET = 5
/** Bytes of a tab frame's header (version, type, from, to). @internal */
export const TAB_HEADER = 2 + 2 * ID_BYTES

/** Default most other tabs one tab links with. */
export const DEFAULT_MAX_TABS = 32

/** A decoded tab frame. @internal */
export interface TabFrame {
  /** One of the `TAB_*` types. */
  type: number
  /** The sender's id (hex). */
  from: string
  /** The receiver's id (hex), or null for every tab. */
  to: string | null
  /** DATA: the net packet (a view into the frame); else empty. */
  body: Uint8Array
}

function isZero (bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false
  return true
}

/**
 * Decodes one BroadcastChannel message of the tab mesh; anything that is not a well-formed
 * frame (another type, a wrong length, a zero sender, a zero receiver where one is required)
 * gives null. Never throws. @internal
 */
export function decodeTabFrame (data: unknown): TabFrame | null {
  let bytes: Uint8Array
  if (data instanceof Uint8Array) bytes = data
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
  else return null
  if (bytes.byteLength < TAB_HEADER || bytes[0] !== TAB_VERSION) return null
  const type = bytes[1] as number
  if (type < TAB_HELLO || type > TAB_RESET) return null
  if (type === TAB_DATA ? bytes.byteLength < TAB_HEADER + HEADER_SIZE : bytes.byteLength !== TAB_HEADER) return null
  if (isZero(bytes, 2, 2 + ID_BYTES)) return null
  const broadcast = isZero(bytes, 2 + ID_BYTES, TAB_HEADER)
  if (broadcast && type !== TAB_HELLO && type !== TAB_BYE) return null
  return {
    type,
    from: hexOf(bytes.subarray(2, 2 + ID_BYTES)),
    to: broadcast ? null : hexOf(bytes.subarray(2 + ID_BYTES, TAB_HEADER)),
    body: bytes.subarray(TAB_HEADER)
  }
}

/** Encodes a control frame (no body). @internal */
export function encodeTabControl (type: number, from: Uint8Array, to: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(TAB_HEADER)
  out[0] = TAB_VERSION
  out[1] = type
  out.set(from, 2)
  if (to !== null) out.set(to, 2 + ID_BYTES)
  return out
}

/** The BroadcastChannel interface the mesh uses (the browser's and Node's both fit). */
export interface BroadcastChannelLike {
  /** Posts a message to every other channel object of the same name. */
  postMessage (message: unknown): void
  /** Stops receiving and frees the channel. */
  close (): void
  /** Listens for `message` (and `messageerror`, ignored) events. */
  addEventListener (type: 'message' | 'messageerror', listener: (event: { data?: unknown }) => void): void
  /** Removes a listener. */
  removeEventListener (type: 'message' | 'messageerror', listener: (event: { data?: unknown }) => void): void
}

/** A class of broadcast channels (`BroadcastChannel`). */
export interface BroadcastChannelClass {
  /** Opens the channel `name`. */
  new (name: string): BroadcastChannelLike
}

/** Page lifecycle events the mesh follows (a browser `window` fits). */
export interface LifecycleTarget {
  /** Listens for `pagehide` (leave) and `pageshow` (come back from the back/forward cache). */
  addEventListener (type: 'pagehide' | 'pageshow', listener: (event: { persisted?: boolean }) => void): void
  /** Removes a listener. */
  removeEventListener (type: 'pagehide' | 'pageshow', listener: (event: { persisted?: boolean }) => void): void
}

/** Options of {@link joinTabs}: the transport bounds of each link, plus the mesh's own. */
export interface TabMeshOptions extends TransportOptions {
  /** Most other tabs linked at once (32); a HELLO beyond it is ignored. */
  maxTabs?: number
  /** The BroadcastChannel class (default: the global one). */
  BroadcastChannel?: BroadcastChannelClass
  /**
   * Where `pagehide`/`pageshow` come from (default: the global object when it has
   * `addEventListener`, i.e. `window` in a page; `null`: none).
   */
  lifecycle?: LifecycleTarget | null
}

/** A running tab mesh, from {@link joinTabs}. */
export interface TabMesh {
  /** This tab's id in the mesh (16 hex digits, random per join). */
  readonly id: string
  /** The links open now, one per other tab, with live counters. */
  readonly peers: MeshPeer[]
  /** Whether {@link TabMesh.close} was called. */
  readonly closed: boolean
  /** Calls `listener` for each link that opens; returns a function that removes it. */
  on (event: 'peer', listener: PeerListener): () => void
  /** Calls `listener` for each link that closes, with its error (`null`: clean); returns a remover. */
  on (event: 'leave', listener: LeaveListener): () => void
  /** Tells the other tabs this one leaves, closes every link and the channel. Idempotent. */
  close (): void
}

interface Link {
  readonly counters: LinkCounters
  readonly peer: Uint8Array
  conn: FrameConnection
  /** The link is gone from the mesh's table (its leave was told). */
  gone: boolean
}

const CHANNEL_PREFIX = 'picostack.tabs/'
const MAX_NAME = 200

function idBytesOf (hex: string): Uint8Array {
  const out = new Uint8Array(ID_BYTES)
  for (let i = 0; i < ID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Joins the tab mesh `name`: every page of this browser profile (same origin) that joins the
 * same name gets one wire to this page, made by `spawn` (`() => kernel.spawnWire()`) and carried
 * over one shared BroadcastChannel (`picostack.tabs/<name>`) with addressed frames. No server,
 * no network.
 *
 * - A tab announces itself on joining (HELLO); each other tab links with it and answers.
 * - Each link is a full net transport (see {@link TransportOptions}): pings keep it alive, and a
 *   tab silent for `idleTimeout` (closed without notice, crashed, frozen) is dropped with
 *   `PeerTimeout`; a tab that comes back is re-linked on its next frame.
 * - A tab leaving (`close()`, `pagehide`) says BYE; `pageshow` from the back/forward cache
 *   announces it again.
 * - Bounds: `maxTabs` links; a DATA frame above `maxFrameSize` or holding a malformed packet
 *   drops that tab's link (`FrameTooLarge`, `ProtocolError`); anything else malformed on the
 *   channel is ignored. Nothing queues in the mesh: each packet is posted at once (a
 *   BroadcastChannel has no backpressure), and the kernel's flow control bounds what is in flight.
 * - Trust: the channel is shared by every page of the origin; a page of the origin can pose as
 *   any tab. The sync protocol authenticates kernels on top.
 *
 * @param name - the mesh's name (1–200 characters; one app, one name)
 * @param spawn - makes the unopened plug of each new link; its argument is the link's counters
 * @param options - link transport bounds, `maxTabs`, and injectables for tests
 * @returns the mesh: `id`, `peers`, `on('peer' | 'leave')`, `close()`
 * @throws TypeError on a bad name or spawn, or when there is no BroadcastChannel; RangeError on a bad bound
 * @example
 * ```ts
 * const tabs = joinTabs('todo', () => kernel.spawnWire())
 * tabs.on('peer', p => console.log('tab', p.id, 'joined'))
 * addEventListener('beforeunload', () => tabs.close())
 * ```
 */
export function joinTabs (name: string, spawn: SpawnPlug, options: TabMeshOptions = {}): TabMesh {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) throw new TypeError(`"name" expected a string of 1 to ${MAX_NAME} characters`)
  if (typeof spawn !== 'function') throw new TypeError(`"spawn" expected a function, got ${typeof spawn}`)
  const Channel = options.BroadcastChannel ?? (globalThis as { BroadcastChannel?: BroadcastChannelClass }).BroadcastChannel
  if (typeof Channel !== 'function') throw new TypeError('no BroadcastChannel here: pass options.BroadcastChannel')
  const opts = transportOptions(options)
  const maxTabs = intOption('maxTabs', options.maxTabs, DEFAULT_MAX_TABS)
  const lifecycle = options.lifecycle !== undefined
    ? options.lifecycle
    : typeof (globalThis as Partial<LifecycleTarget>).addEventListener === 'function' ? globalThis as unknown as LifecycleTarget : null

  const me = randomIdBytes()
  const myId = hexOf(me)
  const links = new Map<string, Link>()
  /** Tabs sent a RESET and not linked since (the last 4 × maxTabs): their stale DATA gets one RESET. */
  const reset = new Set<string>()
  const events = new MeshEvents()
  const channel = new Channel(CHANNEL_PREFIX + name)
  let closed = false
  /** Between `pagehide` and `pageshow`: the page is leaving or in the back/forward cache. */
  let hidden = false

  const post = (frame: Uint8Array): boolean => {
    if (closed) return false
    try { channel.postMessage(frame); return true } catch { return false }
  }
  const control = (type: number, to: Uint8Array | null): void => { post(encodeTabControl(type, me, to)) }

  /** Removes a link from the table and tells the listeners, once. */
  const forget = (link: Link, error: Error | null): void => {
    if (link.gone) return
    link.gone = true
    if (links.get(link.counters.id) === link) links.delete(link.counters.id)
    events.leave(link.counters, error)
  }
  /** The other side is gone or reset: close the link's wire without telling it. */
  const drop = (link: Link, error: Error | null): void => {
    forget(link, error)
    link.conn.transportClosed(error)
  }

  const link = (id: string, peer: Uint8Array): Link | null => {
    if (links.size >= maxTabs || closed) return null
    reset.delete(id)
    let plug: Plug | null = null
    const entry: Link = { counters: new LinkCounters(id, 'tab', () => { plug?.close() }), peer, conn: null as unknown as FrameConnection, gone: false }
    try {
      plug = spawn(entry.counters)
    } catch (err) {
      safetyCatch(err) // a halted kernel refuses new wires: no link
      return null
    }
    if (!isPlug(plug)) {
      queueMicrotask(() => { throw new TypeError('"spawn" did not return a plug') })
      return null
    }
    entry.conn = new FrameConnection(plug, {
      write (dst, src, flags, payload) {
        const frame = new Uint8Array(TAB_HEADER + HEADER_SIZE + payload.byteLength)
        frame[0] = TAB_VERSION
        frame[1] = TAB_DATA
        frame.set(me, 2)
        frame.set(peer, 2 + ID_BYTES)
        writeHeader(frame, TAB_HEADER, dst, src, flags)
        frame.set(payload, TAB_HEADER + HEADER_SIZE)
        if (post(frame)) entry.counters.out(HEADER_SIZE + payload.byteLength)
        return true
      },
      end (error) {
        // our side closed the link: tell the peer, unless it went silent (then it is gone, or
        // its next frame gets a RESET and it links again)
        if ((error as { code?: unknown } | null)?.code !== 'PeerTimeout') control(TAB_BYE, peer)
        forget(entry, error)
      },
      buffered: () => 0,
      highWater: 0
    }, opts)
    links.set(id, entry)
    entry.conn.start()
    if (!entry.gone) events.peer(entry.counters)
    return entry
  }

  const onmessage = (event: { data?: unknown }): void => {
    if (closed || hidden) return
    const frame = decodeTabFrame(event?.data)
    if (frame === null || frame.from === myId) return
    if (frame.to !== null && frame.to !== myId) return
    const known = links.get(frame.from)
    switch (frame.type) {
      case TAB_HELLO: {
        // the sender has no link with us: a link we still hold is stale
        if (known !== undefined) drop(known, null)
        if (link(frame.from, idBytesOf(frame.from)) !== null) control(TAB_WELCOME, idBytesOf(frame.from))
        return
      }
      case TAB_WELCOME:
        if (known === undefined) link(frame.from, idBytesOf(frame.from))
        return
      case TAB_DATA: {
        if (known === undefined) {
          if (!reset.has(frame.from)) {
            if (reset.size >= 4 * maxTabs) reset.delete(reset.values().next().value as string) // forget the oldest
            reset.add(frame.from)
            control(TAB_RESET, idBytesOf(frame.from))
          }
          return
        }
        known.counters.in(frame.body.byteLength)
        if (frame.body.byteLength > opts.maxFrameSize) known.conn.fail(frameTooLarge(frame.body.byteLength, opts.maxFrameSize))
        else known.conn.receiveBytes(frame.body)
        return
      }
      case TAB_BYE:
        if (known !== undefined) drop(known, null)
        return
      case TAB_RESET:
        // our link is unknown to that tab: start again
        if (known !== undefined) drop(known, null)
        if (links.size < maxTabs) control(TAB_HELLO, idBytesOf(frame.from))
    }
  }
  const ignore = (): void => {}
  const dropAll = (): void => { for (const l of [...links.values()]) drop(l, null) }
  const onpagehide = (): void => {
    if (closed || hidden) return
    control(TAB_BYE, null)
    hidden = true
    dropAll()
  }
  const onpageshow = (event: { persisted?: boolean }): void => {
    if (closed || !hidden || event?.persisted !== true) return
    hidden = false
    control(TAB_HELLO, null)
  }

  channel.addEventListener('message', onmessage)
  channel.addEventListener('messageerror', ignore)
  lifecycle?.addEventListener('pagehide', onpagehide)
  lifecycle?.addEventListener('pageshow', onpageshow)
  control(TAB_HELLO, null)

  return {
    id: myId,
    get peers (): MeshPeer[] { return [...links.values()].map(l => l.counters) },
    get closed (): boolean { return closed },
    on (event: 'peer' | 'leave', listener: PeerListener | LeaveListener): () => void { return events.on(event, listener) },
    close (): void {
      if (closed) return
      control(TAB_BYE, null)
      dropAll()
      closed = true
      channel.removeEventListener('message', onmessage)
      channel.removeEventListener('messageerror', ignore)
      lifecycle?.removeEventListener('pagehide', onpagehide)
      lifecycle?.removeEventListener('pageshow', onpageshow)
      try { channel.close() } catch { /* already closed */ }
      events.clear()
    }
  } as TabMesh
}

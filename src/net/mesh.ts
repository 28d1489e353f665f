// What the browser meshes (tabs, WebRTC) share: per-link counters, peer events, random ids.
import type { Plug } from './types.js'

/** The transport a mesh link runs over. */
export type MeshTransport = 'tab' | 'webrtc'

/**
 * One link of a mesh to another peer, with live counters (read them when drawing a panel;
 * they change as traffic flows).
 */
export interface MeshPeer {
  /** The other peer's id in this mesh (16 hex digits; not its kernel's node id). */
  readonly id: string
  /** `'tab'` (BroadcastChannel) or `'webrtc'` (a data channel). */
  readonly transport: MeshTransport
  /** When the link opened (`Date.now()` milliseconds). */
  readonly since: number
  /** Bytes received on this link (whole packets, headers included). */
  readonly bytesIn: number
  /** Bytes sent on this link (whole packets, headers included). */
  readonly bytesOut: number
  /** Packets received. */
  readonly messagesIn: number
  /** Packets sent. */
  readonly messagesOut: number
  /** Closes this link only (its wire closes; the peer sees a clean close). */
  close (): void
}

/** Makes the plug for one new peer link: usually `() => kernel.spawnWire()`. */
export type SpawnPlug = (peer: MeshPeer) => Plug

/** Listener of a mesh's `'peer'` event: a link opened. */
export type PeerListener = (peer: MeshPeer) => void
/** Listener of a mesh's `'leave'` event: a link closed, with its error (`null`: closed cleanly). */
export type LeaveListener = (peer: MeshPeer, error: Error | null) => void

/** The counters of one link; the mesh updates them. @internal */
export class LinkCounters implements MeshPeer {
  readonly id: string
  readonly transport: MeshTransport
  readonly since: number = Date.now()
  bytesIn = 0
  bytesOut = 0
  messagesIn = 0
  messagesOut = 0
  readonly #close: () => void

  constructor (id: string, transport: MeshTransport, close: () => void) {
    this.id = id
    this.transport = transport
    this.#close = close
  }

  close (): void { this.#close() }

  /** Counts one packet in. */
  in (bytes: number): void { this.bytesIn += bytes; this.messagesIn++ }
  /** Counts one packet out. */
  out (bytes: number): void { this.bytesOut += bytes; this.messagesOut++ }
}

/** The `'peer'`/`'leave'` listeners of a mesh; a throwing listener cannot break the mesh. @internal */
export class MeshEvents {
  readonly #peer = new Set<PeerListener>()
  readonly #leave = new Set<LeaveListener>()

  on (event: 'peer' | 'leave', listener: PeerListener | LeaveListener): () => void {
    if (typeof listener !== 'function') throw new TypeError(`"listener" expected a function, got ${typeof listener}`)
    if (event === 'peer') {
      const l = listener as PeerListener
      this.#peer.add(l)
      return () => { this.#peer.delete(l) }
    }
    if (event === 'leave') {
      const l = listener as LeaveListener
      this.#leave.add(l)
      return () => { this.#leave.delete(l) }
    }
    throw new TypeError(`"event" expected 'peer' or 'leave', got ${String(event)}`)
  }

  peer (peer: MeshPeer): void {
    for (const l of [...this.#peer]) call(() => l(peer))
  }

  leave (peer: MeshPeer, error: Error | null): void {
    for (const l of [...this.#leave]) call(() => l(peer, error))
  }

  clear (): void {
    this.#peer.clear()
    this.#leave.clear()
  }
}

/** Runs a listener; its throw surfaces as an uncaught error later instead of breaking the caller. */
function call (fn: () => void): void {
  try { fn() } catch (err) { queueMicrotask(() => { throw err }) }
}

/** Bytes of a mesh id. @internal */
export const ID_BYTES = 8

/** A fresh random mesh id: 8 bytes. @internal */
export function randomIdBytes (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ID_BYTES))
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`. @internal */
export function hexOf (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b] as string
  return s
}

/** Checks a positive integer option; returns the default when absent. @internal */
export function intOption (name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`"${name}" expected an integer >= ${min}, got ${String(value)}`)
  return value
}

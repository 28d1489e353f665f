import { toHex } from '../feed/index.js'

// The simulator's event log: one JSON object per line (ndjson, gaps H1), typed below. Every
// line carries `t` (virtual ms) and `type`; the rest depends on the type. Nothing taken from the
// wall clock is ever logged, so the same scenario and seed give the same bytes.

/** `sim` events: the run's lifecycle. */
export type SimLogEvent =
  | { t: number, type: 'sim', event: 'start', seed: number, until: number | null, interval: number }
  | { t: number, type: 'sim', event: 'end', reason: 'converged' | 'until' | 'idle' | 'error', converged: boolean, convergence: number }
  | { t: number, type: 'sim', event: 'error', code: string, message: string, peer?: number, name?: string }

/**
 * `peer` events: launches, starts (`up`), stops, crashes, restarts, ends, `drop` (a watched
 * kernel closed the wire of peer `remote` with an error: how attackers get disconnected), and
 * `ontick` reports.
 */
export type PeerLogEvent =
  | { t: number, type: 'peer', event: 'launch', peer: number, name: string, honest: boolean }
  | { t: number, type: 'peer', event: 'up', peer: number, name: string, incarnation: number }
  | { t: number, type: 'peer', event: 'stop' | 'crash' | 'restart', peer: number, name: string }
  | { t: number, type: 'peer', event: 'end', peer: number, name: string, error: { message: string, code?: string } | null }
  | { t: number, type: 'peer', event: 'drop', peer: number, remote: number | null, code: string, message: string }
  | { t: number, type: 'peer', event: 'tick', peer: number, name: string, rx: number, tx: number, connections: number, [field: string]: unknown }

/**
 * `conn` events: a connection opened or closed (`by` names the side that closed first; `bytes`
 * and `writes` count both directions, a write being about one message frame), and at the end
 * of a run one `stats` per connection still open.
 */
export type ConnLogEvent =
  | { t: number, type: 'conn', event: 'open', id: number, a: number, b: number, latency: number }
  | { t: number, type: 'conn', event: 'close', id: number, a: number, b: number, bytes: number, writes: number, by: number | null, reason: string | null }
  | { t: number, type: 'conn', event: 'stats', id: number, a: number, b: number, bytes: number, writes: number }

/** `fault` events: what a scenario did to the network or a peer. */
export type FaultLogEvent =
  | { t: number, type: 'fault', event: 'partition', groups: number[][] }
  | { t: number, type: 'fault', event: 'heal' }
  | { t: number, type: 'fault', event: 'link', peer: number, link: Record<string, unknown> }
  | { t: number, type: 'fault', event: 'skew', peer: number, skew: number }

/** `custom` events: `peer.signal(name, payload)`; the payload's fields come first. */
export interface CustomLogEvent {
  t: number
  type: 'custom'
  name: string
  peer: number
  [field: string]: unknown
}

/**
 * `metrics`, once per interval: live peers, open connections, bytes moved in the interval and
 * in total, blocks created by honest peers and held by live honest peers, and convergence —
 * the share of live honest peers whose chain heads match the union of what honest peers created
 * (`heads`) and whose state also matches the majority state of those (`convergence`).
 */
export interface MetricsLogEvent {
  t: number
  type: 'metrics'
  peers: number
  honest: number
  connections: number
  bytes: number
  bytesTotal: number
  created: number
  held: number
  heads: number
  convergence: number
}

/** Every line of the log. */
export type LogEvent = SimLogEvent | PeerLogEvent | ConnLogEvent | FaultLogEvent | CustomLogEvent | MetricsLogEvent

/** Serialises one event as a line (no trailing newline); non-JSON values become strings. */
export function formatEvent (ev: LogEvent): string {
  return JSON.stringify(ev, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Uint8Array) return toHex(v)
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
    return v
  })
}

import { toHex } from '../feed/index.js'

// The simulator's event log: one JSON object per line (ndjson, gaps H1), typed below. Every
// line carries `t` (virtual ms) and `type`; the rest depends on the type. Nothing taken from the
// wall clock is ever logged, so the same scenario and seed give the same bytes.

/** `sim` events: the run's lifecycle. */
export type SimLogEvent =
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'sim'
    /** What happened. */
    event: 'start'
    /** The run's seed. */
    seed: number
    /** Virtual time limit in ms (null: none). */
    until: number | null
    /** Virtual ms between metrics lines. */
    interval: number
    /** Worker threads of a parallel run (absent: one process). */
    workers?: number
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'sim'
    /** What happened. */
    event: 'end'
    /** Why (a code or a word), or null. */
    reason: 'converged' | 'until' | 'idle' | 'error'
    /** Whether every live honest peer converged. */
    converged: boolean
    /** Share of live honest peers converged, 0..1. */
    convergence: number
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'sim'
    /** What happened. */
    event: 'error'
    /** Error code. */
    code: string
    /** Error message. */
    message: string
    /** Peer id. */
    peer?: number
    /** Peer name, as launched. */
    name?: string
  }

/**
 * `peer` events: launches, starts (`up`), stops, crashes, restarts, ends, `drop` (a watched
 * kernel closed the wire of peer `remote` with an error: how attackers get disconnected), and
 * `ontick` reports.
 */
export type PeerLogEvent =
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'launch'
    /** Peer id. */
    peer: number
    /** Peer name, as launched. */
    name: string
    /** Whether the peer is honest. */
    honest: boolean
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'up'
    /** Peer id. */
    peer: number
    /** Peer name, as launched. */
    name: string
    /** How many times the peer has started. */
    incarnation: number
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'stop' | 'crash' | 'restart'
    /** Peer id. */
    peer: number
    /** Peer name, as launched. */
    name: string
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'end'
    /** Peer id. */
    peer: number
    /** Peer name, as launched. */
    name: string
    /** The error it ended with, or null. */
    error: {
      /** Its message. */
      message: string
      /** Its code, when it has one. */
      code?: string
    } | null
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'drop'
    /** Peer id. */
    peer: number
    /** The peer it dropped, or null when unknown. */
    remote: number | null
    /** Error code. */
    code: string
    /** Error message. */
    message: string
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'peer'
    /** What happened. */
    event: 'tick'
    /** Peer id. */
    peer: number
    /** Peer name, as launched. */
    name: string
    /** Bytes received. */
    rx: number
    /** Bytes sent. */
    tx: number
    /** Open connections. */
    connections: number
    [field: string]: unknown
  }

/**
 * `conn` events: a connection opened or closed (`by` names the side that closed first; `bytes`
 * and `writes` count both directions, a write being about one message frame), and at the end
 * of a run one `stats` per connection still open.
 */
export type ConnLogEvent =
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'conn'
    /** What happened. */
    event: 'open'
    /** Connection id. */
    id: number
    /** The dialling peer. */
    a: number
    /** The dialled peer. */
    b: number
    /** Link latency in ms. */
    latency: number
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'conn'
    /** What happened. */
    event: 'close'
    /** Connection id. */
    id: number
    /** The dialling peer. */
    a: number
    /** The dialled peer. */
    b: number
    /** Bytes moved, both directions. */
    bytes: number
    /** Writes (about one frame each), both directions. */
    writes: number
    /** The peer that closed first, or null. */
    by: number | null
    /** Why (a code or a word), or null. */
    reason: string | null
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'conn'
    /** What happened. */
    event: 'stats'
    /** Connection id. */
    id: number
    /** The dialling peer. */
    a: number
    /** The dialled peer. */
    b: number
    /** Bytes moved, both directions. */
    bytes: number
    /** Writes (about one frame each), both directions. */
    writes: number
  }

/** `fault` events: what a scenario did to the network or a peer. */
export type FaultLogEvent =
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'fault'
    /** What happened. */
    event: 'partition'
    /** Peer ids on each side of the partition. */
    groups: number[][]
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'fault'
    /** What happened. */
    event: 'heal'
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'fault'
    /** What happened. */
    event: 'link'
    /** Peer id. */
    peer: number
    /** The link options set. */
    link: Record<string, unknown>
  }
  | {
    /** Virtual time in ms since the run began. */
    t: number
    /** The event family. */
    type: 'fault'
    /** What happened. */
    event: 'skew'
    /** Peer id. */
    peer: number
    /** Clock skew in ms. */
    skew: number
  }

/** `custom` events: `peer.signal(name, payload)`; the payload's fields come first. */
export interface CustomLogEvent {
  /** Virtual time in ms since the run began. */
  t: number
  /** The event family. */
  type: 'custom'
  /** The signal's name. */
  name: string
  /** Peer id. */
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
  /** Virtual time in ms since the run began. */
  t: number
  /** The event family. */
  type: 'metrics'
  /** Live peers. */
  peers: number
  /** Live honest peers. */
  honest: number
  /** Open connections. */
  connections: number
  /** Bytes moved in the interval. */
  bytes: number
  /** Bytes moved since the start. */
  bytesTotal: number
  /** Blocks created by honest peers. */
  created: number
  /** Blocks held by live honest peers. */
  held: number
  /** Share of live honest peers whose chain heads match what was created, 0..1. */
  heads: number
  /** Share of live honest peers whose heads and state match, 0..1. */
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

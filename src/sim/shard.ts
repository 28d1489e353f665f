// What the workers of a parallel run and their coordinator say to each other at each window
// edge: the changes peers' code made to the network, the bytes crossing to other workers, the
// log, the blocks created (the union every worker's convergence is measured against) and the
// metrics of the peers each worker runs.
import type { ControlInput, Crossing } from './network.js'
import type { LogEvent } from './log.js'
import type { RunResult } from './simulator.js'

/** A change made by a peer's code, stamped for the order every worker applies them in. @internal */
export interface StampedInput {
  /** Virtual time of the call. */
  t: number
  /** The worker that made it, and its count there. */
  shard: number
  n: number
  input: ControlInput
}

/** Chunks for one worker, packed: five numbers per chunk, and their bytes end to end. @internal */
export interface Parcel {
  /** conn, side, arrive, last, length (-1: the end of the stream), per chunk. */
  meta: Float64Array
  bytes: Uint8Array
}

/** What a worker's peers look like at a metrics edge. @internal */
export interface Counts {
  t: number
  peers: number
  honest: number
  heads: number
  held: number
  tx: number
  connections: number
  created: number
  /** Digests of the states of the peers that hold every block, with how many hold each. */
  states: Array<[string, number]>
  /** No launch, scripted action, peer timer or boot is pending here. */
  quiet: boolean
}

/** A worker's report at a window edge. @internal */
export interface WindowOut {
  edge: number
  /** Window length, ms (the same in every worker, checked once). */
  window: number
  /** The run's end and whether it stops once converged (as `run()` was given them). */
  until: number
  converge: boolean
  inputs: StampedInput[]
  /** Parcels by receiving worker. */
  parcels: Array<Parcel | null>
  events: LogEvent[]
  /** Blocks created by honest local peers: author, tip, count (in order). */
  created: Array<[string, string, number]>
  /** Kernel ids of local peers (to name who dropped whom). */
  ids: Array<[string, number]>
  partial: Counts | null
  /** Earliest pending event, or null when none. */
  next: number | null
  failure: { code: string, message: string } | null
}

/** The coordinator's answer: everything the other workers sent, and whether to stop. @internal */
export interface WindowIn {
  inputs: StampedInput[]
  parcels: Parcel[]
  created: Array<[string, string, number]>
  ids: Array<[string, number]>
  stop: 'converged' | 'until' | 'idle' | 'failed' | null
}

/** The end of a run, as a worker reports it. @internal */
export interface FinalOut {
  events: LogEvent[]
  partial: Counts
  /** Events run and errors inside peers, in this worker. */
  count: number
  errors: number
}

/** A worker's end of the coordinator. @internal */
export interface ShardLink {
  readonly index: number
  readonly count: number
  exchange (out: WindowOut): Promise<WindowIn>
  /** Sends the last report; resolves with the run's result, as every worker returns it. */
  finish (out: FinalOut): Promise<RunResult>
}

/** Packs chunks for one worker. @internal */
export function pack (list: Crossing[]): Parcel {
  const meta = new Float64Array(list.length * 5)
  let size = 0
  for (const c of list) size += c.chunk === null ? 0 : c.chunk.byteLength
  const bytes = new Uint8Array(size)
  let o = 0
  list.forEach((c, i) => {
    meta[i * 5] = c.conn
    meta[i * 5 + 1] = c.side
    meta[i * 5 + 2] = c.arrive
    meta[i * 5 + 3] = c.last
    if (c.chunk === null) { meta[i * 5 + 4] = -1; return }
    meta[i * 5 + 4] = c.chunk.byteLength
    bytes.set(c.chunk, o)
    o += c.chunk.byteLength
  })
  return { meta, bytes }
}

/** Unpacks a parcel (each chunk a view of the parcel's bytes). @internal */
export function unpack (p: Parcel): Crossing[] {
  const out: Crossing[] = []
  let o = 0
  for (let i = 0; i < p.meta.length; i += 5) {
    const len = p.meta[i + 4] as number
    const chunk = len < 0 ? null : p.bytes.subarray(o, o + len)
    if (len > 0) o += len
    out.push({ conn: p.meta[i] as number, side: p.meta[i + 1] === 1 ? 1 : 0, chunk, arrive: p.meta[i + 2] as number, last: p.meta[i + 3] as number })
  }
  return out
}

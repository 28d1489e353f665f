// A parallel run: the scenario runs in several worker threads, each running every n-th peer
// and replaying the network (DHT, swarms, connections) of all of them alike. Virtual time goes
// in windows as long as the least link latency, so nothing one worker's peers do can reach
// another worker's peers within the window it happens in; at each window edge the coordinator
// below gathers what crossed (changes to the network, bytes, the log, the blocks created and
// the metrics), hands it on, merges the log in time order and decides when to stop. A run is
// deterministic for a given seed and number of workers.
import { Worker } from 'node:worker_threads'
import { resolve } from 'node:path'
import { parseDuration } from './duration.js'
import { SimError, simError } from './errors.js'
import { formatEvent } from './log.js'
import type { LogEvent } from './log.js'
import type { Latency } from './network.js'
import { metricsEvent } from './simulator.js'
import type { RunResult } from './simulator.js'
import type { FinalOut, Parcel, Counts, StampedInput, WindowIn, WindowOut } from './shard.js'
import type { WorkerData } from './worker.js'

/** Options of {@link runParallel}. */
export interface ParallelOptions {
  /** Worker threads (2); peer `id` runs in worker `(id - 1) % workers`. */
  workers?: number
  /** Seed of every random stream (0). The same seed and number of workers give the same log. */
  seed?: number
  /** Overrides the `until` the scenario gives `run()`. */
  until?: number | string
  /** Virtual time between two `metrics` events (1s); a whole number of ms. */
  interval?: number | string
  /** Delay of a DHT lookup, ms: fixed or `[min, max]` (default [100, 500]). */
  lookupDelay?: number | readonly [number, number]
  /** Wall-clock time (ms since the epoch) of virtual time 0. */
  epoch?: number
  /** Receives each log line (ndjson, without the newline), in time order. */
  out?: (line: string) => void
  /** Receives each log event as an object (live view, report). */
  onevent?: (event: LogEvent) => void
}

interface Round { outs: WindowOut[], finals: FinalOut[] }

/**
 * Runs the scenario file `file` in `workers` threads (see {@link ParallelOptions}): for
 * scenarios of many peers, about `workers` times the speed of one process on as many cores.
 * Each worker runs the scenario function; peers run in one worker each, and what the scenario
 * does with a peer's own objects (its kernel, say) must happen inside that peer's init. Faults
 * (`partition`, `heal`, `crash`, `stop`, `restart`, `setLink`, `skew`) must come from the
 * scenario (its code or `sim.at`), not from a peer's code. Not available in a parallel run:
 * latencies given as functions, `speed`.
 *
 * @param file - a scenario file (.ts, .js or .mjs) default-exporting a function of the simulator
 * @param opts - workers, seed, until, interval, lookup delay, epoch, outputs
 * @returns the outcome, as `Simulator.run` returns it
 * @throws SimError `BadOption`, `BadScenario`, `PeerInitFailed`, `ScenarioFailed` (from any worker)
 */
export async function runParallel (file: string, opts: ParallelOptions = {}): Promise<RunResult> {
  const count = opts.workers ?? 2
  if (!Number.isInteger(count) || count < 1 || count > 256) throw simError('BadOption', `"workers" expected an integer from 1 to 256, got ${String(count)}`)
  const seed = opts.seed ?? 0
  if (!Number.isSafeInteger(seed)) throw simError('BadOption', `"seed" expected an integer, got ${String(seed)}`)
  const lookupDelay: Latency | undefined = opts.lookupDelay
  const options: WorkerData['options'] = { seed }
  if (opts.until !== undefined) options.until = parseDuration(opts.until, 'until')
  const interval = Math.max(1, parseDuration(opts.interval ?? 1000, 'interval'))
  options.interval = interval
  if (lookupDelay !== undefined) options.lookupDelay = lookupDelay
  if (opts.epoch !== undefined) options.epoch = opts.epoch
  const emit = (ev: LogEvent): void => {
    opts.out?.(formatEvent(ev))
    opts.onevent?.(ev)
  }
  const workers: Worker[] = []
  for (let i = 0; i < count; i++) {
    const data: WorkerData = { file: resolve(file), index: i, count, options }
    workers.push(spawn(data))
  }
  const round: Round = { outs: [], finals: [] }
  let arrived = 0
  let finished = 0
  let started = false
  let mark = 0
  let lastConvergence = 0
  let stopped: { reason: RunResult['reason'], time: number } | null = null
  let failure: SimError | null = null
  let failed = false
  let settle!: (r: RunResult) => void
  let fail!: (e: Error) => void
  const done = new Promise<RunResult>((resolve, reject) => { settle = resolve; fail = reject })
  let outcome: RunResult | null = null

  const abort = (err: SimError): void => {
    failure ??= err
    for (const w of workers) void w.terminate()
    fail(failure)
  }

  const window = (): void => {
    const outs = round.outs
    round.outs = []
    const first = outs[0] as WindowOut
    const edge = first.edge
    for (const o of outs) {
      if (o.window !== first.window || o.edge !== edge) { abort(simError('ScenarioFailed', 'the workers of a parallel run disagree on its windows: the scenario must launch the same peers in every worker')); return }
    }
    if (!started) {
      started = true
      emit({ t: 0, type: 'sim', event: 'start', seed, until: first.until, interval, workers: count })
    }
    let stop: WindowIn['stop'] = null
    // metrics of the last edge, before what happened since
    const partials = outs.map(o => o.partial).filter((p): p is Counts => p !== null)
    if (partials.length === outs.length) {
      const m = merge(partials)
      const ev = metricsEvent(m, mark)
      emit(ev)
      mark = m.tx
      lastConvergence = ev.convergence
      if (first.converge && m.best === m.honest && m.honest > 0 && m.created > 0 && partials.every(p => p.quiet)) {
        stop = 'converged'
        stopped = { reason: 'converged', time: edge }
      }
    }
    const events: Array<[LogEvent, number]> = []
    outs.forEach((o, i) => { for (const e of o.events) events.push([e, i]) })
    events.sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
    for (const [e] of events) emit(e)
    const bad = outs.find(o => o.failure !== null)
    if (bad !== undefined && bad.failure !== null) {
      failure = new SimError(bad.failure.code as SimError['code'], bad.failure.message)
      failed = true
      emit({ t: edge, type: 'sim', event: 'end', reason: 'error', converged: false, convergence: lastConvergence })
      for (const w of workers) w.postMessage({ inputs: [], parcels: [], created: [], ids: [], stop: 'failed' } satisfies WindowIn)
      return
    }
    const inputs: StampedInput[] = outs.flatMap(o => o.inputs)
    inputs.sort((a, b) => a.t - b.t || a.input.peer - b.input.peer || a.n - b.n)
    const busy = inputs.length > 0 || outs.some(o => o.next !== null || o.created.length > 0 || o.parcels.some(p => p !== null))
    if (stop === null && !busy) { stop = 'idle'; stopped = { reason: 'idle', time: first.until } }
    if (stop === null && edge > first.until) { stop = 'until'; stopped = { reason: 'until', time: first.until } }
    outs.forEach((_, d) => {
      const parcels: Parcel[] = []
      const transfer: ArrayBuffer[] = []
      outs.forEach((o, s) => {
        const p = o.parcels[d]
        if (s === d || p === undefined || p === null) return
        parcels.push(p)
        transfer.push(p.meta.buffer as ArrayBuffer, p.bytes.buffer as ArrayBuffer)
      })
      const reply: WindowIn = {
        inputs,
        parcels,
        created: outs.flatMap((o, s) => s === d ? [] : o.created),
        ids: outs.flatMap((o, s) => s === d ? [] : o.ids),
        stop
      }
      ;(workers[d] as Worker).postMessage(reply, transfer)
    })
  }

  const final = (): void => {
    const finals = round.finals
    const events: Array<[LogEvent, number]> = []
    finals.forEach((o, i) => { for (const e of o.events) events.push([e, i]) })
    events.sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
    for (const [e] of events) emit(e)
    const m = merge(finals.map(f => f.partial))
    const convergence = m.honest === 0 ? 0 : Math.round((m.best / m.honest) * 10000) / 10000
    const end = stopped ?? { reason: 'idle' as const, time: m.t }
    outcome = {
      time: end.time,
      reason: end.reason,
      converged: convergence === 1 && m.created > 0,
      convergence,
      events: finals.reduce((n, f) => n + f.count, 0),
      errors: finals.reduce((n, f) => n + f.errors, 0)
    }
    emit({ t: end.time, type: 'sim', event: 'end', reason: end.reason, converged: outcome.converged, convergence })
    for (const w of workers) w.postMessage(outcome)
  }

  workers.forEach((w, i) => {
    w.on('message', (msg: { type: string, out?: unknown, code?: string, message?: string }) => {
      try {
        onmessage(i, msg)
      } catch (err) { // a log listener (`out`, `onevent`) threw
        abort(err instanceof SimError ? err : simError('ScenarioFailed', `the coordinator failed: ${(err as Error)?.message ?? String(err)}`, err))
      }
    })
    w.on('error', err => { abort(simError('ScenarioFailed', `worker ${i}: ${err.message}`, err)) })
    w.on('exit', code => { if (code !== 0 && outcome === null) abort(simError('ScenarioFailed', `worker ${i} exited with code ${code}`)) })
  })

  function onmessage (i: number, msg: { type: string, out?: unknown, code?: string, message?: string }): void {
    if (msg.type === 'window') {
      round.outs[i] = msg.out as WindowOut
      if (++arrived === count) { arrived = 0; window() }
    } else if (msg.type === 'final') {
      round.finals[i] = msg.out as FinalOut
      if (++arrived === count) { arrived = 0; final() }
    } else if (msg.type === 'error') {
      const err = failed && failure !== null ? failure : new SimError((msg.code ?? 'ScenarioFailed') as SimError['code'], msg.message ?? 'a worker failed')
      abort(err)
    } else if (msg.type === 'done') {
      if (++finished === count) {
        if (outcome === null) abort(simError('ScenarioFailed', 'the scenario ended without running the simulation'))
        else settle(outcome)
      }
    }
  }
  try {
    return await done
  } finally {
    for (const w of workers) void w.terminate()
  }
}

/**
 * A worker running `worker.js`; run from TypeScript sources (tests, `--import tsx`), its
 * `worker.ts` through tsx, whose loader a worker thread does not inherit in time for its entry.
 */
function spawn (data: WorkerData): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData: data })
  const api = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./worker.ts', here).href
  return new Worker(`import(${JSON.stringify(api)}).then(api => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}))`, { eval: true, workerData: data })
}

/** The metrics of every worker's peers together. */
function merge (parts: Counts[]): Omit<Counts, 'states' | 'quiet'> & { best: number } {
  const states = new Map<string, number>()
  let best = 0
  for (const p of parts) {
    for (const [d, n] of p.states) {
      const c = (states.get(d) ?? 0) + n
      states.set(d, c)
      best = Math.max(best, c)
    }
  }
  const sum = (k: 'peers' | 'honest' | 'heads' | 'held' | 'tx'): number => parts.reduce((n, p) => n + p[k], 0)
  const first = parts[0] as Counts
  return { t: first.t, peers: sum('peers'), honest: sum('honest'), heads: sum('heads'), held: sum('held'), tx: sum('tx'), connections: first.connections, created: first.created, best }
}

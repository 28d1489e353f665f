/**
 * `picostack/sim`: a discrete-event swarm simulator in virtual time. Launch hundreds or
 * thousands of peers (each a kernel over Modem56, or anything that uses a hyperswarm-4-like
 * swarm), script faults, and watch convergence in an ndjson log, a live view or an HTML report.
 *
 * @example
 * ```ts
 * import { Simulator } from 'picostack/sim'
 * const sim = new Simulator({ seed: 7 })
 * for (let i = 0; i < 50; i++) sim.launch('peer', { latency: [20, 120] }, async peer => {
 *   const kernel = new MyKernel(peer.db(), { secret: peer.secret }); await kernel.boot()
 *   peer.watch(kernel)
 *   await new Modem56(peer.Swarm, peer.swarmOptions).join('app', () => kernel.spawnWire())
 *   peer.setTimeout(() => { void kernel.createBlock('tick', { n: 1 }) }, peer.random() * 10_000)
 * })
 * const { converged } = await sim.run({ until: '10m' })
 * ```
 *
 * A scenario file (a module default-exporting such a function of the simulator) also runs in
 * worker threads, its peers spread over them: `await runParallel('scenario.ts', { workers: 4 })`.
 *
 * @packageDocumentation
 */
export { Simulator, Peer } from './simulator.js'
export { runParallel } from './parallel.js'
export type { ParallelOptions } from './parallel.js'
export type { SimulatorOptions, LaunchOptions, PeerInit, PeerContext, SimSwarmClass, RunOptions, RunResult, PeerState } from './simulator.js'
export { SimSwarm, SimSocket } from './network.js'
export type { LinkOptions, Latency, SimSwarmOptions, SimPeerInfo, SimDiscovery } from './network.js'
export type { Watchable, WatchOptions } from './track.js'
export { adversaries } from './adversary.js'
export type { AdversaryOptions } from './adversary.js'
export { Random } from './random.js'
export { parseDuration } from './duration.js'
export { SimError } from './errors.js'
export type { SimErrorCode } from './errors.js'
export { formatEvent } from './log.js'
export type { LogEvent, SimLogEvent, PeerLogEvent, ConnLogEvent, FaultLogEvent, CustomLogEvent, MetricsLogEvent } from './log.js'
export { LiveView } from './live.js'
export type { LiveViewOptions } from './live.js'
export { Report } from './report.js'

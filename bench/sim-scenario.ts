// The scenario of bench/sim.ts: 20 authors x 50 blocks, full kernels over Modem56, peers joining
// at random times. A scenario file (a parallel run loads it in each worker), sized by the
// environment: SIM_PEERS (100), SIM_WORKLOAD (live or history), MAXCONN, GOSSIP_DELAY.
import { Modem56 } from '../src/modem/index.js'
import type { RunResult, Simulator } from '../src/sim/index.js'
import { ClockKernel } from '../scenarios/clock-kernel.js'

export const AUTHORS = 20
export const BLOCKS = 50

/** The two workloads: blocks written while peers join, or before. */
export type Workload = 'live' | 'history'

/** Launches the benchmark's peers on `sim` and runs it until every peer holds every block. */
export async function bench (sim: Simulator, workload: Workload, peers: number): Promise<RunResult> {
  const history = workload === 'history'
  const gossipDelay = process.env.GOSSIP_DELAY === undefined ? undefined : Number(process.env.GOSSIP_DELAY)
  const gap = history ? [10, 20] : [500, 1000]
  for (let i = 0; i < peers; i++) {
    const author = i < AUTHORS
    const at = history ? (author ? i * 10 : 5000 + Math.floor(sim.random() * 30_000)) : Math.floor(sim.random() * 30_000)
    sim.launch(author ? 'author' : 'peer', { latency: [20, 120], linkRate: 1 << 20, maxConnections: Number(process.env.MAXCONN ?? 8), at }, async peer => {
      const kernel = new ClockKernel(peer.db(), { secret: peer.secret, ...(gossipDelay === undefined ? {} : { limits: { gossipDelay } }) })
      await kernel.boot()
      peer.watch(kernel)
      await new Modem56(peer.Swarm, peer.swarmOptions).join('bench', () => kernel.spawnWire())
      if (!author) return
      let n = 0
      const next = (): void => {
        if (n++ >= BLOCKS) return
        kernel.createTick().then(() => peer.setTimeout(next, (gap[0] as number) + peer.random() * (gap[1] as number)), () => {})
      }
      peer.setTimeout(next, history ? 100 : 1000)
    })
  }
  return await sim.run({ until: '30m' })
}

export default async function (sim: Simulator): Promise<void> {
  await bench(sim, process.env.SIM_WORKLOAD === 'history' ? 'history' : 'live', Number(process.env.SIM_PEERS ?? 100))
}

// A network split in two for a minute while both halves keep ticking, then healed: the halves
// converge on their own ticks while split, and on everything after the heal.
import type { Peer, Simulator } from '../src/sim/index.js'
import { honestPeer } from './honest.js'

export interface PartitionParams {
  peers?: number
  ticks?: number
  /** Use the seed's order-dependent clock reducer: heads converge, states do not. */
  seedReducer?: boolean
}

export async function partition (sim: Simulator, { peers = 30, ticks = 2, seedReducer = false }: PartitionParams = {}): Promise<void> {
  const all: Peer[] = []
  for (let i = 0; i < peers; i++) {
    all.push(sim.launch('peer', { latency: [10, 80], maxConnections: 16, at: i * 20 }, async peer => { await honestPeer(peer, ticks, 60_000, seedReducer) }))
  }
  const half = Math.floor(peers / 2)
  sim.at('5s', () => { sim.partition([all.slice(0, half), all.slice(half)]) })
  sim.at('65s', () => { sim.heal() })
  await sim.run({ until: seedReducer ? '3m' : '10m' })
}

export default partition

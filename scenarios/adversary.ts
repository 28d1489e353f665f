// Honest clock peers with adversaries among them: forgers, an orphan flood, an equivocator,
// a withholder and a garbage writer. The honest peers still converge and drop the attackers.
import { adversaries } from '../src/sim/index.js'
import type { Simulator } from '../src/sim/index.js'
import { TOPIC, honestPeer } from './honest.js'

export interface AdversaryParams {
  peers?: number
  ticks?: number
}

export async function adversary (sim: Simulator, { peers = 30, ticks = 2 }: AdversaryParams = {}): Promise<void> {
  for (let i = 0; i < peers; i++) {
    sim.launch('honest', { latency: [10, 80], maxConnections: 16, at: i * 20 }, async peer => { await honestPeer(peer, ticks) })
  }
  const topic = TOPIC
  sim.launch('forger', { honest: false, at: 100 }, adversaries.forger({ topic }))
  sim.launch('forger', { honest: false, at: 300 }, adversaries.forger({ topic }))
  sim.launch('orphans', { honest: false, at: 200 }, adversaries.orphanFlood({ topic }))
  sim.launch('fork', { honest: false, at: 250 }, adversaries.equivocator({ topic }))
  sim.launch('withhold', { honest: false, at: 350 }, adversaries.withholder({ topic }))
  sim.launch('garbage', { honest: false, at: 400 }, adversaries.garbage({ topic }))
  await sim.run({ until: '10m' })
}

export default adversary

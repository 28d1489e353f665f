// Churn: peers leave gracefully and come back, others crash and restart on the same disk,
// while ticks keep coming. Every live peer converges once the churn stops. (With a small
// connection limit the peers that stay form a full clique and the restarted ones an island
// that never syncs: the scenario allows 16 connections per peer.)
import type { Peer, Simulator } from '../src/sim/index.js'
import { honestPeer } from './honest.js'

export interface ChurnParams {
  peers?: number
  ticks?: number
  /** Churn events (each a stop or a crash, and a restart 5-15 s later). */
  events?: number
}

export async function churn (sim: Simulator, { peers = 30, ticks = 2, events = 20 }: ChurnParams = {}): Promise<void> {
  const all: Peer[] = []
  for (let i = 0; i < peers; i++) {
    all.push(sim.launch('peer', { latency: [10, 80], maxConnections: 16, at: i * 20 }, async peer => { await honestPeer(peer, ticks, 40_000) }))
  }
  for (let e = 0; e < events; e++) {
    const at = 3000 + e * 2000
    sim.at(at, async () => {
      const victim = all[Math.floor(sim.random() * all.length)]
      if (victim === undefined || !victim.alive) return
      if (e % 2 === 0) victim.crash()
      else await victim.stop()
      sim.after(5000 + Math.floor(sim.random() * 10_000), () => { victim.restart() })
    })
  }
  await sim.run({ until: '10m' })
}

export default churn

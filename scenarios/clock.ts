// The seed's clock kernel on 50 peers over Modem56: every peer ticks a few times at random
// moments; the run ends once every peer holds every tick.
//   picostack sim scenarios/clock.ts --seed 7 --report clock.html
import type { Simulator } from '../src/sim/index.js'
import { honestPeer } from './honest.js'

/** Sizes of the scenario. */
export interface ClockParams {
  peers?: number
  ticks?: number
}

export async function clock (sim: Simulator, { peers = 50, ticks = 3 }: ClockParams = {}): Promise<void> {
  for (let i = 0; i < peers; i++) {
    sim.launch('clock', { linkRate: 256 << 10, latency: [20, 120], at: i * 50 }, async peer => {
      const kernel = await honestPeer(peer, ticks)
      peer.ontick(() => ({ clock: kernel.store.state.clock }))
    })
  }
  await sim.run({ until: '10m' })
}

export default clock

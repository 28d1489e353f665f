// A plain honest peer for the scenarios: the seed's clock kernel over Modem56, ticking `ticks`
// times at random moments in the first `window` ms after it starts.
import { Modem56 } from '../src/modem/index.js'
import type { PeerContext } from '../src/sim/index.js'
import { ClockKernel } from './clock-kernel.js'

export const TOPIC = 'sim-clock'

/** Boots a clock kernel on the peer's disk, joins the topic, schedules `ticks` ticks. */
export async function honestPeer (peer: PeerContext, ticks: number, window = 20_000, seedReducer = false): Promise<ClockKernel> {
  const kernel = new ClockKernel(peer.db(), { secret: peer.secret }, seedReducer)
  await kernel.boot()
  peer.watch(kernel)
  const modem = new Modem56(peer.Swarm, peer.swarmOptions)
  peer.onstop(async () => { await modem.destroy(); await kernel.halt() })
  await modem.join(TOPIC, () => kernel.spawnWire())
  for (let n = 0; n < ticks; n++) {
    peer.setTimeout(() => {
      kernel.createTick().catch(err => peer.signal('tick-failed', { message: (err as Error).message }))
    }, 500 + peer.random() * window)
  }
  return kernel
}

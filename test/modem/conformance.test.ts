// The wire contract over Modem56 channels: each end is the application side of the plug a
// modem's spawnWire handed out for the peer, the two modems joined on one topic over an
// in-memory swarm (a Node duplex pair per connection, net's framed stream transport on it).
import { picoWire } from '../../src/net/index.js'
import type { Plug } from '../../src/net/index.js'
import { Modem56 } from '../../src/modem/index.js'
import { wireConformance } from '../net/wire-conformance.js'
import { LoopSwarm } from './helpers.js'

let rooms = 0

wireConformance('Modem56 channel over an in-memory swarm', async () => {
  const room = `conformance${rooms++}`
  const modems = [new Modem56(LoopSwarm, { room }), new Modem56(LoopSwarm, { room })]
  const ends = modems.map(modem => new Promise<Plug>(resolve => {
    void modem.join('conformance', () => {
      const [channel, app] = picoWire()
      resolve(app)
      return channel
    })
  }))
  const [a, b] = await Promise.all(ends) as [Plug, Plug]
  return { a, b, teardown: async () => { for (const m of modems) await m.destroy() } }
})

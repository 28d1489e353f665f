import { fromStream } from '../../src/net/index.js'
import { scrambledStreams, tcpWires } from './helpers.js'
import { wireConformance } from './wire-conformance.js'

wireConformance('TCP on 127.0.0.1', () => tcpWires())

wireConformance('Duplex pair cutting writes into 1..31-byte chunks', async () => {
  const [x, y] = scrambledStreams(31)
  return { a: fromStream(x), b: fromStream(y), teardown: async () => { x.destroy(); y.destroy() } }
})

wireConformance('Duplex pair cutting writes into 1..70000-byte chunks', async () => {
  const [x, y] = scrambledStreams(70000)
  return { a: fromStream(x), b: fromStream(y), teardown: async () => { x.destroy(); y.destroy() } }
})
